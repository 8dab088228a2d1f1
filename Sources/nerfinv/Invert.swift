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
              nerfinv invert photo.png --out car.latent --fast         # encoder + iterative encoder, no steps
              nerfinv invert photo.png --out car.latent --init mean    # no encoder
              nerfinv invert scenes/photos/*.png --out-dir out/ --turntable out/turntables \\
                --overview out/overview.png
              nerfinv invert front.png side.png back.png --joint --out car.latent   # one object, 3 photos
              nerfinv invert photo.png --out car.latent --tune-decoder   # also writes car.delta
              nerfinv invert photo.png --out car.latent --code-only      # no layered phase
              nerfinv invert photo.png --out car.latent --layer-steps 150 --layer-min-gain 0   # longer, kept on any gain
              nerfinv invert photo.png --out car.latent --mask scratches.png
              nerfinv invert old_bw_photo.png --out car.latent --grayscale

            Any PNG works (8/16-bit, gray, palette, alpha). Transparent parts become white, the \
            background colour is read from the border, and the object is framed like the rig's views \
            (--crop). Beside each latent it writes <name>_input.png (what the model saw) and \
            <name>_input_reconstruction.png (input | reconstruction). With several photos, a photo \
            that fails is reported and the others still run (exit status 1 at the end). --distance, \
            --fov and --size apply to the turntable frames.

            The layered latent (lit-triplane default): after the code, up to 100 steps of a \
            mirror-symmetric residual on the generator's planes, kept only if 10% of the photo's \
            object pixels held out from the fit gain 2 dB or more (--layer-min-gain); otherwise the \
            code-only result stands. --code-only skips it. A model with an iterative encoder (the \
            shipped one) first moves the encoder's start by 3 of its updates (--iterations); --fast \
            stops after them.

            A photo much smaller than the model's views (16x16, 32x32) is compared with the render \
            averaged over each pixel's footprint. More on every flag: docs/inversion.md.
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
        try inversion.validate(photos: photos)
    }

    func run() throws {
        let photos = try outputs.selected(self.photos)
        let model = try modelOptions.load()
        let session = try inversion.backgroundOptions.session(model: model)
        var request = try inversion.request(refine: refine, defaults: model.refineDefaults)
        try OutputOptions.asValidation { try session.check(request, photos: photos.count) }
        (request.turntableFrames, request.turntableCamera) = (outputs.frames, camera.renderCamera)
        // Every output checked before any work: none is an input, all can be written.
        try outputs.plan(photos: photos, request: request, inputs: photos + inversion.inputs(model: modelOptions.model))
        let newBar = { ProgressBar.steps(of: request, quiet: output.silent || inversion.noRefine || inversion.fast) }
        if outputs.joint {
            request.turntable = outputs.turntable
            let bar = newBar()
            let o = try session.invert(photos: photos, latentPath: outputs.out!, request: request, progress: bar.psnr)
            bar.finish()
            output.note("framing: \(o.framing)")  // one latent for all the photos
            output.report(o.fields, o.summary)
            return
        }
        var outcomes: [InversionOutcome] = [], failures: [String] = []
        for photo in photos {
            request.turntable = outputs.turntableFolder(for: photo)
            let bar = newBar()
            do {
                let o = try session.invert(
                    photo: photo, latentPath: outputs.latentPath(for: photo), request: request, progress: bar.psnr)
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
                OutputOptions.error(error is FileError ? "\(error)" : "\(photo): \(error)")  // FileErrors name it
            }
        }
        if let overview = outputs.overview, !outcomes.isEmpty {
            try session.writeOverview(outcomes, to: overview)
            if !output.silent { print("overview: \(overview)") }
        }
        if !failures.isEmpty {
            OutputOptions.error(
                "\(failures.count) of \(photos.count) photos failed: \(failures.joined(separator: ", "))")
            throw ExitCode(1)
        }
    }
}
