import FileIO
import Foundation
import Geometry
import ImageIO
import Model

// P the side of the square the photo is framed to.

/// Where an inversion starts: the encoder, or the mean code with a coarse pose search.
public enum InversionStart: String, CaseIterable, Codable, Sendable { case encoder, mean }

/// What one `invert` asks for.
public struct InversionRequest: Sendable {
    public var start = InversionStart.encoder
    /// Stop after the encoder (no refinement).
    public var refine = true
    public var settings = RefineSettings()
    public var crop = CropMode.auto
    /// Side the photo is framed to and refined at (nil: the framed square's own side, up to the model's training views' side).
    public var photoSize: Int?
    /// A mask PNG of the photo's size: white (above half) marks pixels to ignore (occluders,
    /// scratches, text); the prior fills in what they hide.
    public var mask: String?
    /// Compare luminance only (nil: when the PNG is grayscale).
    public var grayscale: Bool?
    /// Also write a turntable into this folder.
    public var turntable: String?
    public var turntableFrames = 36
    public var turntableElevation = 20.0
    public var turntableCamera = RenderCamera()
    public init() {}

    var mode: InversionMode { start == .mean ? .meanRefine : (refine ? .refine : .encoder) }
    /// How the latent says it was obtained.
    public var method: String {
        switch mode {
        case .encoder: "encoder"
        case .refine: "encoder+refine"
        case .meanRefine: "mean+pose-search+refine"
        }
    }
}

/// What one photo's inversion produced.
public struct InversionOutcome {
    public var photo: String
    public var latentPath: String
    public var result: InversionResult
    /// The photo as the model saw it, and its reconstruction at the found view (photometric code applied).
    public var input: RGBAImage
    public var reconstruction: RGBAImage
    public var inputPSNR: Double
    public var framing: String
    public var comparisonPath: String
    public var method: String
    public var turntable: String?

    /// The outcome as JSON fields (`--json`) and as a sentence.
    public var fields: [String: Any] {
        var f: [String: Any] = [
            "photo": photo, "latent": latentPath, "azimuth": result.view.azimuth, "elevation": result.view.elevation,
            "input_psnr_db": inputPSNR, "seconds": result.seconds, "method": method, "reconstruction": comparisonPath,
        ]
        if let turntable { f["turntable"] = turntable }
        return f
    }

    public var summary: String {
        String(
            format: "wrote %@ (%@, azimuth %.1f°, elevation %.1f°, input PSNR %.2f dB, %.2f s)", latentPath, method,
            result.view.azimuth, result.view.elevation, inputPSNR, result.seconds)
            + "\n  input and reconstruction: \(comparisonPath)"
            + (turntable.map { "; turntable: \($0)/contact_sheet.png" } ?? "")
    }
}

/// Photos in, latents and pictures out, against one model. The model is only read: several
/// sessions can share it.
public final class InversionSession {
    public let model: NeRFModel
    /// The model file's name and SHA-256, which each latent records.
    public let modelName: String
    public let modelSHA256: String

    public init(model: NeRFModel, modelName: String, modelSHA256: String) {
        self.model = model
        self.modelName = modelName
        self.modelSHA256 = modelSHA256
    }

    /// The files `invert` writes for one photo (the latent, <stem>_input.png and
    /// <stem>_input_reconstruction.png) and the turntable folder, for an `OutputPlan`.
    public static func outputs(latentPath: String, request: InversionRequest) -> (files: [String], folder: String?) {
        let stem = latentPath.hasSuffix(".latent") ? String(latentPath.dropLast(7)) : latentPath
        return ([latentPath, stem + "_input.png", stem + "_input_reconstruction.png"], request.turntable)
    }

    /// Reads and frames a photo, inverts it, and writes `latentPath`, <stem>_input.png,
    /// <stem>_input_reconstruction.png and the turntable if asked; `progress(step, mse)` during
    /// refinement. Errors about the photo name it.
    /// One photo's inversion in memory: what `invert` writes, without writing it.
    public struct Inferred {
        public var result: InversionResult
        /// The photo as the model saw it, and its reconstruction at the found view.
        public var input: RGBAImage
        public var reconstruction: RGBAImage
        public var inputPSNR: Double
        public var framing: String
        /// How the loss saw the photo: "masked", "grayscale" (empty: all pixels, in colour).
        public var restoration: [String] = []
    }

    /// Reads and frames a photo and inverts it; errors about the photo name it.
    public func infer(photo: String, request: InversionRequest, progress: ((Int, Float) -> Void)? = nil) throws
        -> Inferred
    {
        if request.start == .encoder && model.encoder == nil {
            throw ModelError(
                "this model has no encoder: run `nerfinv train-encoder` first, or start from the mean code")
        }
        let (raw, info) = try PNG.read(photo)
        // The photo's own resolution up to the model's (a smaller photo is not upsampled), unless asked.
        let framed: FramedPhoto
        do {
            framed = try PhotoFraming.prepare(
                raw, side: request.photoSize ?? model.config.resolution, mode: request.crop,
                shrinkOnly: request.photoSize == nil)
        } catch {
            throw FileError(path: photo, reason: "\(error)")
        }
        let P = framed.image.width
        var ignore: [Bool]? = nil
        if let maskPath = request.mask {
            let (m, _) = try PNG.read(maskPath)
            guard m.width == raw.width, m.height == raw.height else {
                throw FileError(
                    path: maskPath,
                    reason: "is \(m.width)x\(m.height); the photo \(photo) is \(raw.width)x\(raw.height)")
            }
            var values = [Float](repeating: 0, count: m.width * m.height)  // (H, W) grey x alpha
            for k in 0..<values.count {
                let grey: Float = (m.pixels[4 * k] + m.pixels[4 * k + 1] + m.pixels[4 * k + 2]) / 3
                values[k] = grey * m.pixels[4 * k + 3]
            }
            // Outside the photo (padding) there is nothing to ignore: it is background.
            let framedMask = PhotoFraming.frame(values, width: m.width, height: m.height, like: framed, outside: 0)
            ignore = framedMask.map { $0 > 0.5 }
            guard ignore!.contains(false) else {
                throw FileError(path: maskPath, reason: "hides the whole photo: nothing is left to invert")
            }
        }
        var settings = request.settings
        // A gray PNG (colour types 0 and 4) says nothing about colour.
        settings.grayscale = request.grayscale ?? (info.colorType == 0 || info.colorType == 4)
        // A photo smaller than the model's views: each pixel averages the render over its footprint.
        let ratio = Double(model.config.resolution) / Double(P)
        if ratio > 1.5 { settings.footprint = min(16, Int(ratio * ratio)) }
        let result = try Inversion.run(
            model: model, photo: framed.image.rgb, width: P, height: P, mode: request.mode, settings: settings,
            ignore: ignore, progress: progress)
        let reconstruction = reconstruct(result, side: P)
        return Inferred(
            result: result, input: framed.image, reconstruction: reconstruction,
            inputPSNR: Metrics.psnr(reconstruction, framed.image), framing: framed.description,
            restoration: (ignore == nil ? [] : ["masked"]) + (settings.grayscale ? ["grayscale"] : []))
    }

    public func invert(
        photo: String, latentPath: String, request: InversionRequest, progress: ((Int, Float) -> Void)? = nil
    ) throws
        -> InversionOutcome
    {
        let inferred = try infer(photo: photo, request: request, progress: progress)
        let result = inferred.result, input = inferred.input, reconstruction = inferred.reconstruction
        let psnr = inferred.inputPSNR
        let files = Self.outputs(latentPath: latentPath, request: request).files
        let dir = URL(fileURLWithPath: latentPath).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: dir.isEmpty ? "." : dir, withIntermediateDirectories: true)
        let view = result.view
        let latent = LatentFile(
            model: .init(name: modelName, sha256: modelSHA256), identity: result.code,
            view: .init(
                azimuth: view.azimuth, elevation: view.elevation, distance: model.config.cameraDistance,
                fov: model.config.fovDegrees,
                gain: (0..<3).map { Double(view.gain[$0]) }, bias: (0..<3).map { Double(view.bias[$0]) }),
            obtained: .init(
                method: ([request.method] + inferred.restoration).joined(separator: ", "), source: photo,
                steps: request.mode == .encoder ? 0 : request.settings.steps,
                views: 1,
                seconds: result.seconds),
            losses: [
                "input_psnr_db": psnr, "final_batch_mse": result.finalMSE.isFinite ? Double(result.finalMSE) : -1,
            ],
            light: model.field.conditionSize > 0 ? result.light.packed : nil)
        // All of them or none: a failure in any (a full disk, a turntable folder that is a file)
        // leaves the previous latent and pictures as they were.
        let comparison = files[2]
        try AtomicFile.transaction {
            try latent.write(to: latentPath)
            try PNG.write(input, to: files[1])
            try PNG.write(ContactSheet.make([input, reconstruction], columns: 2), to: comparison)
            if let folder = request.turntable {
                try RenderExport.turntable(
                    field: model.field, code: result.code, frames: request.turntableFrames,
                    elevation: request.turntableElevation, camera: request.turntableCamera, to: folder)
            }
        }
        return InversionOutcome(
            photo: photo, latentPath: latentPath, result: result, input: input, reconstruction: reconstruction,
            inputPSNR: psnr,
            framing: inferred.framing, comparisonPath: comparison, method: request.method,
            turntable: request.turntable)
    }

    /// One sheet of several inversions: a row per photo with input, reconstruction and views around.
    public func overview(_ outcomes: [InversionOutcome]) -> RGBAImage {
        let rows = outcomes.map {
            (
                name: URL(fileURLWithPath: $0.photo).lastPathComponent, input: $0.input,
                reconstruction: $0.reconstruction, code: $0.result.code
            )
        }
        return InversionOverview.make(rows: rows, field: model.field)
    }

    /// The code rendered at the found view, the photometric code applied, opaque (P, P).
    public func reconstruct(_ result: InversionResult, side P: Int) -> RGBAImage {
        let cam = result.view.camera(
            width: P, height: P, distance: model.config.cameraDistance, fovDegrees: model.config.fovDegrees)
        let renderer = FieldRenderer(field: model.field, code: result.code)
        renderer.light = result.light
        var recon = renderer.render(camera: cam).image.clamped()
        for k in 0..<(P * P) {
            for c in 0..<3 {
                recon.pixels[4 * k + c] = min(
                    1, max(0, result.view.gain[c] * recon.pixels[4 * k + c] + result.view.bias[c]))
            }
            recon.pixels[4 * k + 3] = 1
        }
        return recon
    }
}
