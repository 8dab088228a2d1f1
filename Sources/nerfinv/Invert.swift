import ArgumentParser
import FileIO
import Foundation
import ImageIO
import Model
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

    @Option(help: "Refinement steps (Adam on identity and view codes; default 300).")
    var steps: Int?

    @Flag(help: "Stop after the encoder (no refinement).")
    var noRefine = false

    enum PoseHandling: String, EnumerableFlag {
        case refinePose, fixedPose
        static func help(for value: PoseHandling) -> ArgumentHelp? {
            value == .refinePose
                ? "Refine the camera pose with the codes (default)." : "Keep the encoder's (or searched) pose fixed."
        }
    }

    @Flag var pose: PoseHandling = .refinePose

    @Option(
        help: "Starting point: encoder, or mean (the mean training code with a coarse pose search; no encoder needed).")
    var `init`: InversionStart = .encoder

    @Option(
        help:
            "Framing: auto (keep the rig's framing when the photo has it), none (pad and resize), tight (crop around the object)."
    )
    var crop: CropMode = .auto

    @Option(
        help:
            "Also write a turntable (frame_000.png ... and contact_sheet.png) into this folder (a subfolder per photo with --out-dir)."
    )
    var turntable: String?

    @Option(
        help: "Also write one overview PNG: a row per photo with input, reconstruction and 8 views around the object.")
    var overview: String?

    @Option(help: "Turntable frames.")
    var frames: Int = 36

    @OptionGroup var camera: CameraOptions
    @OptionGroup var refine: RefineOptions

    @Option(help: "Random seed for the ray batches (default 11).")
    var seed: UInt64?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !photos.isEmpty else { throw ValidationError("name at least one photo") }
        switch (out, outDir) {
        case (nil, nil): throw ValidationError("--out (one photo) or --out-dir (any number) is required")
        case (.some, .some): throw ValidationError("--out and --out-dir exclude each other")
        case (.some, nil) where photos.count > 1:
            throw ValidationError("\(photos.count) photos need --out-dir, not --out")
        default: break
        }
        if let clash = Dictionary(grouping: photos.map(Self.stem), by: { $0 }).first(where: { $0.value.count > 1 })?.key
        {
            throw ValidationError(
                "two photos are named \(clash): their outputs in --out-dir would overwrite each other")
        }
        if let overview, !overview.lowercased().hasSuffix(".png") {
            throw ValidationError("--overview should name a .png file")
        }
        if let steps, !(1...100_000).contains(steps) { throw ValidationError("--steps must be in 1...100000") }
        guard frames >= 1, frames <= 3600 else { throw ValidationError("--frames must be in 1...3600") }
        guard !(noRefine && `init` == .mean) else {
            throw ValidationError("--no-refine needs the encoder start (--init encoder)")
        }
    }

    /// The name each photo's outputs take: its file name without the extension.
    static func stem(_ photo: String) -> String {
        URL(fileURLWithPath: photo).deletingPathExtension().lastPathComponent
    }

    func run() throws {
        let (model, sha) = try modelOptions.load()
        if `init` == .encoder && model.encoder == nil {
            throw ValidationError(
                "\(modelOptions.model): this model has no encoder: run `nerfinv train-encoder` first, or use --init mean"
            )
        }
        let session = InversionSession(
            model: model, modelName: URL(fileURLWithPath: modelOptions.model).lastPathComponent, modelSHA256: sha)
        var request = InversionRequest()
        request.start = `init`
        request.refine = !noRefine
        request.settings = try refine.settings()
        if let steps { request.settings.steps = steps }
        if let seed { request.settings.seed = seed }
        request.settings.refinePose = pose == .refinePose
        request.crop = crop
        request.turntableFrames = frames
        request.turntableCamera = camera.renderCamera
        if let outDir { try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) }
        var outcomes: [InversionOutcome] = [], failures: [String] = []
        for photo in photos {
            request.turntable = turntable.map { outDir == nil ? $0 : "\($0)/\(Self.stem(photo))" }
            let bar = ProgressBar(
                total: request.settings.steps, label: "invert", unit: "steps", quiet: output.silent || noRefine)
            do {
                let o = try session.invert(
                    photo: photo, latentPath: out ?? "\(outDir!)/\(Self.stem(photo)).latent", request: request
                ) { s, mse in
                    bar.update(s, extra: String(format: "batch PSNR %.2f dB", -10 * log10(Double(max(mse, 1e-10)))))
                }
                report(o, request: request)
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
        if let overview, !outcomes.isEmpty {
            let rows = outcomes.map {
                (
                    name: URL(fileURLWithPath: $0.photo).lastPathComponent, input: $0.input,
                    reconstruction: $0.reconstruction, code: $0.result.code
                )
            }
            try PNG.write(InversionOverview.make(rows: rows, field: model.field), to: overview)
            if !output.silent { print("overview: \(overview)") }
        }
        if !failures.isEmpty {
            FileHandle.standardError.write(
                Data("\(failures.count) of \(photos.count) photos failed: \(failures.joined(separator: ", "))\n".utf8))
            throw ExitCode(1)
        }
    }

    func report(_ o: InversionOutcome, request: InversionRequest) {
        output.note("\(o.photo): \(o.framing)")
        let r = o.result
        var fields: [String: Any] = [
            "photo": o.photo, "latent": o.latentPath, "azimuth": r.view.azimuth, "elevation": r.view.elevation,
            "input_psnr_db": o.inputPSNR, "seconds": r.seconds, "method": request.method,
            "reconstruction": o.comparisonPath,
        ]
        if let t = request.turntable { fields["turntable"] = t }
        let text = String(
            format: "wrote %@ (%@, azimuth %.1f°, elevation %.1f°, input PSNR %.2f dB, %.2f s)", o.latentPath,
            request.method,
            r.view.azimuth, r.view.elevation, o.inputPSNR, r.seconds)
        output.report(
            fields,
            text + "\n  input and reconstruction: \(o.comparisonPath)"
                + (request.turntable.map { "; turntable: \($0)/contact_sheet.png" } ?? ""))
    }
}

extension InversionStart: ExpressibleByArgument {}
extension CropMode: ExpressibleByArgument {}
