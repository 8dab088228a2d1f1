import ArgumentParser
import Foundation
import Geometry
import ImageIO
import Model
import NeuralCore

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

        Any PNG works (8/16-bit, gray, palette, alpha). Transparent parts become white, the \
        background colour is read from the border, and the object is framed like the rig's views \
        (--crop). Beside each latent it writes <name>_input.png (what the model saw) and \
        <name>_input_reconstruction.png (input | reconstruction). With several photos, a photo \
        that fails is reported and the others still run (exit status 1 at the end). --distance, \
        --fov and --size apply to the turntable frames.
        """
    )

    @Argument(help: "The photo(s) (PNG). Several photos need --out-dir.")
    var photos: [String]

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Latent file to write (JSON), for a single photo.")
    var out: String?

    @Option(help: "Folder for each photo's <name>.latent, <name>_input.png and <name>_input_reconstruction.png.")
    var outDir: String?

    @Option(help: "Refinement steps (Adam on identity and view codes).")
    var steps: Int = RefineSettings().steps

    @Flag(help: "Stop after the encoder (no refinement).")
    var noRefine = false

    enum PoseHandling: String, EnumerableFlag {
        case refinePose, fixedPose
        static func help(for value: PoseHandling) -> ArgumentHelp? {
            value == .refinePose ? "Refine the camera pose with the codes (default)." : "Keep the encoder's (or searched) pose fixed."
        }
    }

    @Flag var pose: PoseHandling = .refinePose

    @Option(help: "Starting point: encoder, or mean (the mean training code with a coarse pose search; no encoder needed).")
    var `init`: String = "encoder"

    @Option(help: "Framing: auto (keep the rig's framing when the photo has it), none (pad and resize), tight (crop around the object).")
    var crop: String = "auto"

    @Option(help: "Also write a turntable (frame_000.png ... and contact_sheet.png) into this folder (a subfolder per photo with --out-dir).")
    var turntable: String?

    @Option(help: "Also write one overview PNG: a row per photo with input, reconstruction and 8 views around the object.")
    var overview: String?

    @Option(help: "Turntable frames.")
    var frames: Int = 36

    @OptionGroup var camera: CameraOptions

    @Option(help: "Random seed for the ray batches.")
    var seed: UInt64 = 11

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !photos.isEmpty else { throw ValidationError("name at least one photo") }
        switch (out, outDir) {
        case (nil, nil): throw ValidationError("--out (one photo) or --out-dir (any number) is required")
        case (.some, .some): throw ValidationError("--out and --out-dir exclude each other")
        case (.some, nil) where photos.count > 1: throw ValidationError("\(photos.count) photos need --out-dir, not --out")
        default: break
        }
        let stems = photos.map(Self.stem)
        if let clash = Dictionary(grouping: stems, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw ValidationError("two photos are named \(clash): their outputs in --out-dir would overwrite each other")
        }
        if let overview, !overview.lowercased().hasSuffix(".png") { throw ValidationError("--overview should name a .png file") }
        guard steps >= 1, steps <= 100_000 else { throw ValidationError("--steps must be in 1...100000") }
        guard CropMode(rawValue: crop) != nil else { throw ValidationError("--crop must be auto, none or tight") }
        guard ["encoder", "mean"].contains(`init`) else { throw ValidationError("--init must be encoder or mean") }
        guard frames >= 1, frames <= 3600 else { throw ValidationError("--frames must be in 1...3600") }
        guard !(noRefine && `init` == "mean") else { throw ValidationError("--no-refine needs the encoder start (--init encoder)") }
    }

    /// What one photo's inversion produced, for the overview sheet.
    struct Outcome {
        var result: InversionResult
        var input: RGBAImage, reconstruction: RGBAImage
    }

    /// The name each photo's outputs take: its file name without the extension.
    static func stem(_ photo: String) -> String { URL(fileURLWithPath: photo).deletingPathExtension().lastPathComponent }

    func run() throws {
        let (model, sha) = try modelOptions.load()
        if `init` == "encoder" && model.encoder == nil {
            throw ValidationError("\(modelOptions.model): this model has no encoder: run `nerfinv train-encoder` first, or use --init mean")
        }
        if let outDir { try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) }
        var outcomes: [(photo: String, outcome: Outcome)] = [], failures: [String] = []
        for photo in photos {
            let stem = Self.stem(photo)
            let latentPath = out ?? "\(outDir!)/\(stem).latent"
            let turntableDir = turntable.map { outDir == nil ? $0 : "\($0)/\(stem)" }
            do {
                outcomes.append((photo, try invert(photo: photo, model: model, sha: sha, latentPath: latentPath, turntableDir: turntableDir)))
            } catch {
                // One photo: its error is the command's. Several: report it and go on with the rest.
                guard photos.count > 1 else { throw error }
                failures.append(photo)
                // FileErrors already name the photo.
                let message = error is FileError ? "\(error)" : "\(photo): \(error)"
                FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            }
        }
        if let overview, !outcomes.isEmpty {
            let sheet = InversionOverview.make(rows: outcomes.map { (name: URL(fileURLWithPath: $0.photo).lastPathComponent, input: $0.outcome.input,
                                                                     reconstruction: $0.outcome.reconstruction, code: $0.outcome.result.code) },
                                               decoder: model.decoder)
            try PNG.write(sheet, to: overview)
            if !output.silent { print("overview: \(overview)") }
        }
        if !failures.isEmpty {
            FileHandle.standardError.write(Data("\(failures.count) of \(photos.count) photos failed: \(failures.joined(separator: ", "))\n".utf8))
            throw ExitCode(1)
        }
    }

    func invert(photo: String, model: NeRFModel, sha: String, latentPath out: String, turntableDir turntable: String?) throws -> Outcome {
        let (raw, _) = try PNG.read(photo)
        let framed: FramedPhoto
        do { framed = try PhotoFraming.prepare(raw, side: model.config.resolution, mode: CropMode(rawValue: crop)!) } catch {
            throw FileError(path: photo, reason: "\(error)")
        }
        let S = model.config.resolution
        let pixels = framed.image.rgb
        let mode: InversionMode = `init` == "mean" ? .meanRefine : (noRefine ? .encoder : .refine)
        var settings = RefineSettings()
        settings.steps = steps
        settings.refinePose = pose == .refinePose
        settings.seed = seed
        output.note("\(photo): \(framed.description)")
        let bar = ProgressBar(total: steps, label: "invert", unit: "steps", quiet: output.silent || mode == .encoder)
        let result: InversionResult
        do {
            result = try Inversion.run(model: model, photo: pixels, width: S, height: S, mode: mode, settings: settings) { s, mse in
                bar.update(s, extra: String(format: "batch PSNR %.2f dB", -10 * log10(Double(max(mse, 1e-10)))))
            }
        } catch let e as ModelError { throw ValidationError("\(modelOptions.model): \(e)") }
        // Reconstruction at the found view, photometric code applied, and its PSNR against the input.
        let renderer = FieldRenderer(decoder: model.decoder, code: result.code)
        let cam = result.view.camera(width: S, height: S, distance: model.config.cameraDistance, fovDegrees: model.config.fovDegrees)
        var recon = srgbImage(renderer.render(camera: cam).image)
        for k in 0..<(S * S) {
            for c in 0..<3 { recon.pixels[4 * k + c] = min(1, max(0, result.view.gain[c] * recon.pixels[4 * k + c] + result.view.bias[c])) }
            recon.pixels[4 * k + 3] = 1
        }
        let input = framed.image
        let psnr = Metrics.psnr(recon, input)
        let stem = out.hasSuffix(".latent") ? String(out.dropLast(7)) : out
        let dir = URL(fileURLWithPath: out).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: dir.isEmpty ? "." : dir, withIntermediateDirectories: true)
        let method = mode == .encoder ? "encoder" : (mode == .refine ? "encoder+refine" : "mean+pose-search+refine")
        let latent = LatentFile(
            model: .init(name: URL(fileURLWithPath: modelOptions.model).lastPathComponent, sha256: sha), identity: result.code,
            view: .init(azimuth: result.view.azimuth, elevation: result.view.elevation, distance: model.config.cameraDistance,
                        fov: model.config.fovDegrees, gain: (0..<3).map { Double(result.view.gain[$0]) },
                        bias: (0..<3).map { Double(result.view.bias[$0]) }),
            obtained: .init(method: method, source: photo, steps: mode == .encoder ? 0 : steps, views: 1, seconds: result.seconds),
            losses: ["input_psnr_db": psnr, "final_batch_mse": result.finalMSE.isFinite ? Double(result.finalMSE) : -1])
        try latent.write(to: out)
        try PNG.write(input, to: stem + "_input.png")
        try PNG.write(ContactSheet.make([input, recon], columns: 2), to: stem + "_input_reconstruction.png")
        if let turntable {
            try Turntable.write(decoder: model.decoder, code: result.code, frames: frames, elevation: 20, camera: camera, to: turntable,
                                quiet: output.silent)
        }
        var fields: [String: Any] = ["photo": photo, "latent": out, "azimuth": result.view.azimuth, "elevation": result.view.elevation,
                                     "input_psnr_db": psnr, "seconds": result.seconds, "method": method,
                                     "reconstruction": stem + "_input_reconstruction.png"]
        if let turntable { fields["turntable"] = turntable }
        output.report(fields, String(format: "wrote %@ (%@, azimuth %.1f°, elevation %.1f°, input PSNR %.2f dB, %.2f s)", out, method,
                                     result.view.azimuth, result.view.elevation, psnr, result.seconds)
                      + "\n  input and reconstruction: \(stem)_input_reconstruction.png"
                      + (turntable.map { "; turntable: \($0)/contact_sheet.png" } ?? ""))
        return Outcome(result: result, input: input, reconstruction: recon)
    }
}
