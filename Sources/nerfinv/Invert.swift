import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv invert`: photos in, 3D latents out.
struct Invert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Invert photos into 3D latents: encoder start, then refinement of identity and view codes.",
        discussion: """
            Examples:
              nerfinv invert photo.png --out car.latent
              nerfinv invert photo.png --out car.latent --turntable turntable/
              nerfinv invert photo.png --out car.latent --no-refine    # encoder only
              nerfinv invert photo.png --out car.latent --init mean    # no encoder
              nerfinv invert scenes/photos/*.png --out-dir out/ --turntable out/turntables \\
                --overview out/overview.png
              nerfinv invert front.png side.png back.png --joint --out car.latent   # one object, 3 photos
              nerfinv invert photo.png --out car.latent --tune-decoder   # also writes car.delta
              nerfinv invert photo.png --out car.latent --mask scratches.png
              nerfinv invert old_bw_photo.png --out car.latent --grayscale

            Any PNG works (8/16-bit, gray, palette, alpha). Transparent parts become white, the \
            background colour is read from the border, and the object is framed like the rig's views \
            (--crop). Beside each latent it writes <name>_input.png (what the model saw) and \
            <name>_input_reconstruction.png (input | reconstruction). With several photos, a photo \
            that fails is reported and the others still run (exit status 1 at the end). --distance, \
            --fov and --size apply to the turntable frames.

            Restoration: --mask leaves pixels out of the loss (the prior fills them in); --grayscale \
            compares luminance only (colour from the prior; automatic for gray PNGs); a photo much \
            smaller than the model's views (16x16, 32x32) is compared with the render averaged over \
            each pixel's footprint. --joint fits several photos of one object (one identity code, a \
            view code each; the latent records every view). --tune-decoder then fine-tunes part of \
            the decoder on the photo (a few seconds; <name>.delta beside the latent, used by render \
            and turntable, refused with another model).
            """
    )

    @Argument(help: "The photo(s) (PNG). Several photos need --out-dir.")
    var photos: [String]

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var inversion: InversionOptions
    @OptionGroup var camera: CameraOptions
    @OptionGroup var refine: RefineOptions

    @OptionGroup var output: OutputOptions

    @OptionGroup var outputs: InvertOutputs

    func validate() throws {
        try outputs.validate(photos: photos)
        if inversion.mask != nil && photos.count != 1 {
            throw ValidationError("--mask belongs to one photo; invert the others without it")
        }
    }

    func run() throws {
        let model = try modelOptions.load()
        let explicitMatting = CommandLine.arguments.contains("--matting")
        let session = InversionSession(model: model, matting: try inversion.loadMatting(explicit: explicitMatting))
        session.warn = { message in FileHandle.standardError.write(Data("warning: \(message)\n".utf8)) }
        var request = try inversion.request(refine: refine, defaults: model.refineDefaults)
        do { try session.check(request, photos: photos.count) } catch let error as ModelError {
            throw ValidationError("\(error)")
        }
        request.turntableFrames = outputs.frames
        request.turntableCamera = camera.renderCamera
        // Every output checked before any work: none is an input, all can be written.
        var plan = OutputPlan(
            inputs: photos + [modelOptions.model, inversion.matting] + [inversion.mask].compactMap { $0 })
        if let outDir = outputs.outDir { try plan.add(folder: outDir) }
        for photo in outputs.joint ? [photos[0]] : photos {
            request.turntable = outputs.turntableFolder(for: photo)
            let planned = LatentWriter(latentPath: outputs.latentPath(for: photo), request: request).outputs
            for file in planned.files { try plan.add(file: file) }
            if let folder = planned.folder { try plan.add(folder: folder) }
        }
        if let overview = outputs.overview { try plan.add(file: overview) }
        if outputs.joint {
            request.turntable = outputs.turntable
            let bar = ProgressBar(
                total: (request.settings?.steps ?? 0) + (request.tune?.steps ?? 0), label: "invert", unit: "steps",
                quiet: output.silent || inversion.noRefine)
            let o = try session.invert(photos: photos, latentPath: outputs.out!, request: request) { s, mse in
                bar.update(s, extra: String(format: "batch PSNR %.2f dB", -10 * log10(Double(max(mse, 1e-10)))))
            }
            bar.finish()
            output.note("framing: \(o.framing)")
            output.report(o.fields, o.summary)
            return
        }
        var outcomes: [InversionOutcome] = [], failures: [String] = []
        for photo in photos {
            request.turntable = outputs.turntableFolder(for: photo)
            let bar = ProgressBar(
                total: (request.settings?.steps ?? 0) + (request.tune?.steps ?? 0), label: "invert", unit: "steps",
                quiet: output.silent || inversion.noRefine)
            do {
                let o = try session.invert(
                    photo: photo, latentPath: outputs.latentPath(for: photo), request: request
                ) { s, mse in
                    bar.update(s, extra: String(format: "batch PSNR %.2f dB", -10 * log10(Double(max(mse, 1e-10)))))
                }
                bar.finish()
                output.note("\(o.photo): \(o.framing)")
                output.report(o.fields, o.summary)
                outcomes.append(o)
            } catch {
                // One photo: its error is the command's. Several: report it and go on with the rest.
                guard photos.count > 1 else {
                    throw error is ModelError ? ValidationError("\(modelOptions.model): \(error)") : error
                }
                failures.append(photo)
                // FileErrors already name the photo
                let message = error is FileError ? "\(error)" : "\(photo): \(error)"
                FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            }
        }
        if let overview = outputs.overview, !outcomes.isEmpty {
            try session.writeOverview(outcomes, to: overview)
            if !output.silent { print("overview: \(overview)") }
        }
        if !failures.isEmpty {
            FileHandle.standardError.write(
                Data("\(failures.count) of \(photos.count) photos failed: \(failures.joined(separator: ", "))\n".utf8))
            throw ExitCode(1)
        }
    }
}
