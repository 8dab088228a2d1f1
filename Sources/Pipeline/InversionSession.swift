import FileIO
import Foundation
import Geometry
import ImageIO
import Model

// P the side of the square the photo is framed to.

/// Where an inversion starts: the encoder, or the mean code with a coarse pose search.
public enum InversionStart: String, CaseIterable, Codable, Sendable { case encoder, mean }

/// What `invert` does about a photo's background.
public enum BackgroundMode: String, CaseIterable, Codable, Sendable {
    /// Remove it when the photo's border says there is one (and a matting network is at hand).
    case auto
    /// Invert the photo as it is (a plain backdrop).
    case keep
    /// Always predict the object's mask and make the rest white.
    case remove
}

/// What one `invert` asks for.
public struct InversionRequest: Sendable {
    public var start = InversionStart.encoder
    /// Stop after the encoder (no refinement).
    public var refine = true
    /// Refinement settings (nil: the model's field kind's defaults).
    public var settings: RefineSettings?
    public var crop = CropMode.auto
    /// Side the photo is framed to and refined at (nil: the framed square's own side, up to the model's training views' side).
    public var photoSize: Int?
    /// A mask PNG of the photo's size: white (above half) marks pixels to ignore (occluders,
    /// scratches, text); the prior fills in what they hide.
    public var mask: String?
    /// Compare luminance only (nil: when the PNG is grayscale).
    public var grayscale: Bool?
    /// What to do about a background (a given `mask` replaces the prediction).
    public var background = BackgroundMode.auto
    /// After the code inversion, tune the decoder on the photo (pivotal tuning); the tuned weights
    /// are written beside the latent as a delta file.
    public var tune: TuneSettings?
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
    /// The tuned decoder the result renders with (nil: the model's own).
    public var tunedField: (any RadianceField)? = nil
    /// The photo as given and its predicted object mask, when its background was removed.
    public var removed: (photo: RGBAImage, mask: RGBAImage)? = nil

    /// The outcome as JSON fields (`--json`) and as a sentence.
    public var fields: [String: Any] {
        var f: [String: Any] = [
            "photo": photo, "latent": latentPath, "azimuth": result.view.azimuth, "elevation": result.view.elevation,
            "input_psnr_db": inputPSNR, "seconds": result.seconds, "method": method, "reconstruction": comparisonPath,
        ]
        if let turntable { f["turntable"] = turntable }
        if let tuning = result.tuning {
            f["tuning"] = [
                "steps": tuning.steps, "validation_psnr_before_db": tuning.validationPSNRBefore,
                "validation_psnr_after_db": tuning.validationPSNRAfter, "seconds": tuning.seconds,
            ]
        }
        if result.views.count > 1 {
            f["views"] = result.views.map { ["azimuth": $0.azimuth, "elevation": $0.elevation] }
        }
        return f
    }

    public var summary: String {
        String(
            format: "wrote %@ (%@, azimuth %.1f°, elevation %.1f°, input PSNR %.2f dB, %.2f s)", latentPath, method,
            result.view.azimuth, result.view.elevation, inputPSNR, result.seconds)
            + (result.views.count > 1
                ? "\n  views: "
                    + result.views.map { String(format: "%.1f°/%.1f°", $0.azimuth, $0.elevation) }.joined(
                        separator: ", ") : "")
            + (result.tuning.map {
                String(
                    format:
                        "\n  decoder tuned: %d steps, held-out pixels %.2f -> %.2f dB (%.1f s); delta beside the latent",
                    $0.steps, $0.validationPSNRBefore, $0.validationPSNRAfter, $0.seconds)
            } ?? "")
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
    /// Finds the object in photos with a background (nil: none at hand).
    public let matting: MattingNetwork?
    /// Said when a photo has a background but no matting network is at hand (auto mode).
    public var warn: (String) -> Void = { _ in }

    public init(model: NeRFModel, modelName: String, modelSHA256: String, matting: MattingNetwork? = nil) {
        self.model = model
        self.modelName = modelName
        self.modelSHA256 = modelSHA256
        self.matting = matting
    }

    /// The files `invert` writes for one photo (the latent, <stem>_input.png and
    /// <stem>_input_reconstruction.png) and the turntable folder, for an `OutputPlan`.
    public static func outputs(latentPath: String, request: InversionRequest) -> (files: [String], folder: String?) {
        let stem = latentPath.hasSuffix(".latent") ? String(latentPath.dropLast(7)) : latentPath
        let delta = request.tune == nil ? [] : [DecoderDelta.path(forLatent: latentPath)]
        let matting =
            request.background == .keep || request.mask != nil ? [] : [stem + "_mask.png", stem + "_cutout.png"]
        return (
            [latentPath, stem + "_input.png", stem + "_input_reconstruction.png"] + delta + matting, request.turntable
        )
    }

    /// Reads and frames a photo, inverts it, and writes `latentPath`, <stem>_input.png,
    /// <stem>_input_reconstruction.png and the turntable if asked; `progress(step, mse)` during
    /// refinement. Errors about the photo name it.
    /// One photo's inversion in memory: what `invert` writes, without writing it.
    public struct Inferred {
        public var result: InversionResult
        /// The photos as the model saw them, and their reconstructions at the found views.
        public var inputs: [RGBAImage]
        public var reconstructions: [RGBAImage]
        /// The first photo's (the only one's, but for a joint inversion).
        public var input: RGBAImage { inputs[0] }
        public var reconstruction: RGBAImage { reconstructions[0] }
        /// Mean over the photos of their input-view PSNR.
        public var inputPSNR: Double
        public var framing: String
        /// How the loss saw the photo: "masked", "grayscale" (empty: all pixels, in colour).
        public var restoration: [String] = []
        /// The field the result renders with: the model's, or its tuned copy.
        public var field: any RadianceField
        /// The tuned decoder's differences as its delta file holds them (nil: not tuned).
        public var delta: DecoderDelta?
        /// The first photo's predicted object mask (H, W at its own size) and the photo with the
        /// background removed (alpha = mask), when the background was removed.
        public var mask: RGBAImage? = nil
        public var cutout: RGBAImage? = nil
    }

    /// Reads and frames a photo and inverts it; errors about the photo name it.
    public func infer(photo: String, request: InversionRequest, progress: ((Int, Float) -> Void)? = nil) throws
        -> Inferred
    {
        try infer(photos: [photo], request: request, progress: progress)
    }

    /// Reads and frames photos of one object and inverts them together: one identity code, a view
    /// code per photo. They are framed to one side, the smallest photo's own (up to the model's).
    public func infer(photos: [String], request: InversionRequest, progress: ((Int, Float) -> Void)? = nil) throws
        -> Inferred
    {
        precondition(!photos.isEmpty, "at least one photo")
        if request.start == .encoder && model.encoder == nil {
            throw ModelError(
                "this model has no encoder: run `nerfinv train-encoder` first, or start from the mean code")
        }
        if request.mask != nil && photos.count > 1 {
            throw ModelError("a mask belongs to one photo; a joint inversion takes none")
        }
        // The photo's own resolution up to the model's (a smaller photo is not upsampled), unless asked.
        var raws: [(RGBAImage, PNG.Info)] = []
        var framings: [FramedPhoto] = []
        var predicted: (mask: RGBAImage, cutout: RGBAImage)? = nil
        for photo in photos {
            var (raw, info) = try PNG.read(photo)
            // A photo with a background: the matting network's mask makes everything else white,
            // so the framing finds the object and the loss sees only it (and its silhouette).
            if let m = try backgroundMask(raw, photo: photo, request: request) {
                if predicted == nil {
                    var maskImage = RGBAImage(width: raw.width, height: raw.height)
                    var cutout = raw
                    for k in 0..<(raw.width * raw.height) {
                        for c in 0..<3 { maskImage.pixels[4 * k + c] = m[k] }
                        cutout.pixels[4 * k + 3] = m[k] * raw.pixels[4 * k + 3]
                    }
                    predicted = (maskImage, cutout)
                }
                raw = Matting.whiteBackground(raw, mask: m)
            }
            framings.append(try frame(raw, photo: photo, request: request))
            raws.append((raw, info))
        }
        // One side for all: the smallest's (the others are framed down to it).
        let P = framings.map(\.image.width).min()!
        for k in framings.indices where framings[k].image.width != P {
            framings[k] = try PhotoFraming.prepare(raws[k].0, side: P, mode: request.crop, shrinkOnly: false)
        }
        var ignore: [Bool]? = nil
        if let maskPath = request.mask {
            let raw = raws[0].0, framed = framings[0]
            let (m, _) = try PNG.read(maskPath)
            guard m.width == raw.width, m.height == raw.height else {
                throw FileError(
                    path: maskPath,
                    reason: "is \(m.width)x\(m.height); the photo \(photos[0]) is \(raw.width)x\(raw.height)")
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
        var settings = request.settings ?? model.refineDefaults
        // A gray PNG (colour types 0 and 4) says nothing about colour; several are compared in
        // luminance when all are gray.
        settings.grayscale = request.grayscale ?? raws.allSatisfy { $0.1.colorType == 0 || $0.1.colorType == 4 }
        // A photo smaller than the model's views: each pixel averages the render over its footprint.
        let ratio = Double(model.config.resolution) / Double(P)
        if ratio > 1.5 { settings.footprint = min(16, Int(ratio * ratio)) }
        let result = try Inversion.run(
            model: model, photos: framings.map { ($0.image.rgb, ignore) }, width: P, height: P, mode: request.mode,
            settings: settings, tune: request.refine ? request.tune : nil, progress: progress)
        // The delta as its file will hold it (fp16), so what is shown is what a later render shows.
        var delta: DecoderDelta? = nil
        var field = model.field
        if let tuning = result.tuning {
            let d = DecoderDelta(
                header: .init(
                    baseModel: modelName, baseModelSHA256: modelSHA256, pivot: result.code, steps: tuning.steps,
                    validationPSNRBefore: tuning.validationPSNRBefore, validationPSNRAfter: tuning.validationPSNRAfter),
                differences: tuning.differences.map { ($0.name, $0.values.map { Float(Float16($0)) }) })
            delta = d
            field = d.applied(to: model.field)
        }
        let reconstructions = result.views.indices.map { reconstruct(result, side: P, view: $0, field: field) }
        let inputs = framings.map(\.image)
        let psnr = zip(reconstructions, inputs).map { Metrics.psnr($0, $1) }.reduce(0, +) / Double(inputs.count)
        return Inferred(
            result: result, inputs: inputs, reconstructions: reconstructions, inputPSNR: psnr,
            framing: framings.map(\.description).joined(separator: "; "),
            restoration: (ignore == nil ? [] : ["masked"]) + (settings.grayscale ? ["grayscale"] : [])
                + (predicted == nil ? [] : ["background removed"]), field: field,
            delta: delta, mask: predicted?.mask, cutout: predicted?.cutout)
    }

    /// The object's mask (H, W) when the photo's background is to be removed, or nil: asked for
    /// (`remove`), or seen (`auto`) unless a hand-made mask was given. Without a matting network,
    /// `remove` is an error and `auto` a warning.
    func backgroundMask(_ raw: RGBAImage, photo: String, request: InversionRequest) throws -> [Float]? {
        guard request.mask == nil,
            request.background == .remove || (request.background == .auto && Matting.hasBackground(raw))
        else { return nil }
        guard let matting else {
            if request.background == .remove {
                throw ModelError(
                    "no matting network to remove the background with: train one (`nerfinv train-matting`) and pass --matting"
                )
            }
            warn(
                "\(photo) seems to have a background, but there is no matting network (--matting): inverting it as it is"
            )
            return nil
        }
        return Matting.predict(matting, photo: raw)
    }

    /// A photo framed like the rig's views: its own resolution up to the model's, unless asked.
    func frame(_ raw: RGBAImage, photo: String, request: InversionRequest) throws -> FramedPhoto {
        do {
            return try PhotoFraming.prepare(
                raw, side: request.photoSize ?? model.config.resolution, mode: request.crop,
                shrinkOnly: request.photoSize == nil)
        } catch {
            throw FileError(path: photo, reason: "\(error)")
        }
    }

    public func invert(
        photo: String, latentPath: String, request: InversionRequest, progress: ((Int, Float) -> Void)? = nil
    ) throws
        -> InversionOutcome
    {
        try invert(photos: [photo], latentPath: latentPath, request: request, progress: progress)
    }

    /// Inverts photos of one object together (`invert --joint`): one latent recording every view.
    public func invert(
        photos: [String], latentPath: String, request: InversionRequest, progress: ((Int, Float) -> Void)? = nil
    ) throws
        -> InversionOutcome
    {
        let inferred = try infer(photos: photos, request: request, progress: progress)
        let photo = photos[0]
        let result = inferred.result, input = inferred.input, reconstruction = inferred.reconstruction
        let psnr = inferred.inputPSNR
        let files = Self.outputs(latentPath: latentPath, request: request).files
        let dir = URL(fileURLWithPath: latentPath).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: dir.isEmpty ? "." : dir, withIntermediateDirectories: true)
        let view = result.view
        let cameraOf = { (v: ViewCode) in
            LatentFile.ViewCode(
                azimuth: v.azimuth, elevation: v.elevation, distance: self.model.config.cameraDistance,
                fov: self.model.config.fovDegrees,
                gain: (0..<3).map { Double(v.gain[$0]) }, bias: (0..<3).map { Double(v.bias[$0]) })
        }
        let lit = model.field.conditionSize > 0
        let deltaPath = DecoderDelta.path(forLatent: latentPath)
        var latent = LatentFile(
            model: .init(name: modelName, sha256: modelSHA256), identity: result.code,
            view: .init(
                azimuth: view.azimuth, elevation: view.elevation, distance: model.config.cameraDistance,
                fov: model.config.fovDegrees,
                gain: (0..<3).map { Double(view.gain[$0]) }, bias: (0..<3).map { Double(view.bias[$0]) }),
            obtained: .init(
                method: ([request.method + (photos.count > 1 ? " (joint)" : "")] + inferred.restoration
                    + (inferred.delta == nil ? [] : ["tuned decoder"])).joined(separator: ", "),
                source: photos.joined(separator: ", "),
                steps: request.mode == .encoder
                    ? 0 : (request.settings ?? model.refineDefaults).steps,
                views: photos.count,
                seconds: result.seconds),
            losses: [
                "input_psnr_db": psnr, "final_batch_mse": result.finalMSE.isFinite ? Double(result.finalMSE) : -1,
            ],
            light: lit ? result.light.packed : nil)
        if photos.count > 1 {
            latent.views = result.views.map(cameraOf)
            latent.lights = lit ? result.lights.map(\.packed) : nil
        }
        if let delta = inferred.delta {
            latent.decoderDelta = URL(fileURLWithPath: deltaPath).lastPathComponent
            latent.losses["tuning_validation_psnr_before_db"] = delta.header.validationPSNRBefore
            latent.losses["tuning_validation_psnr_after_db"] = delta.header.validationPSNRAfter
        }
        // All of them or none: a failure in any (a full disk, a turntable folder that is a file)
        // leaves the previous latent and pictures as they were.
        let comparison = files[2]
        try AtomicFile.transaction {
            try latent.write(to: latentPath)
            try inferred.delta?.write(to: deltaPath)
            if let mask = inferred.mask, let cutout = inferred.cutout {
                let stem = latentPath.hasSuffix(".latent") ? String(latentPath.dropLast(7)) : latentPath
                try PNG.writeBytes(
                    (0..<(mask.width * mask.height)).map {
                        UInt8(max(0, min(255, (mask.pixels[4 * $0] * 255).rounded())))
                    },
                    width: mask.width, height: mask.height, channels: 1, to: stem + "_mask.png")
                try PNG.write(cutout, to: stem + "_cutout.png", alpha: true)
            }
            let inputs = inferred.inputs
            try PNG.write(inputs.count == 1 ? input : ContactSheet.make(inputs, columns: inputs.count), to: files[1])
            // input | reconstruction; for several photos, the inputs above their reconstructions.
            try PNG.write(
                inputs.count == 1
                    ? ContactSheet.make([input, reconstruction], columns: 2)
                    : ContactSheet.make(inputs + inferred.reconstructions, columns: inputs.count), to: comparison)
            if let folder = request.turntable {
                try RenderExport.turntable(
                    field: inferred.field, code: result.code, frames: request.turntableFrames,
                    elevation: request.turntableElevation, camera: request.turntableCamera, to: folder,
                    gif: folder + "/turntable.gif")
            }
        }
        // A delta left from an earlier tuned latent of this name belongs to the code just replaced.
        if inferred.delta == nil { DecoderDelta.removeStale(besideLatent: latentPath) }
        return InversionOutcome(
            photo: photo, latentPath: latentPath, result: result, input: input, reconstruction: reconstruction,
            inputPSNR: psnr,
            framing: inferred.framing, comparisonPath: comparison, method: request.method,
            turntable: request.turntable, tunedField: inferred.delta == nil ? nil : inferred.field,
            removed: inferred.cutout.flatMap { cutout in
                inferred.mask.map { mask in
                    var photo = cutout  // the photo's own colours, opaque
                    for k in 0..<(photo.width * photo.height) { photo.pixels[4 * k + 3] = 1 }
                    return (photo, mask)
                }
            })
    }

    /// One sheet of several inversions: a row per photo with input, reconstruction and views around.
    public func overview(_ outcomes: [InversionOutcome]) -> RGBAImage {
        let rows = outcomes.map {
            (
                name: URL(fileURLWithPath: $0.photo).lastPathComponent, input: $0.input,
                reconstruction: $0.reconstruction, code: $0.result.code
            )
        }
        return InversionOverview.make(
            rows: rows, field: model.field, fields: outcomes.map(\.tunedField), removed: outcomes.map(\.removed))
    }

    /// The code rendered at the found view, the photometric code applied, opaque (P, P).
    /// `view`: which photo's view (a joint inversion's); `field`: the tuned decoder, if any.
    public func reconstruct(
        _ result: InversionResult, side P: Int, view k: Int = 0, field: (any RadianceField)? = nil
    ) -> RGBAImage {
        let view = result.views.isEmpty ? result.view : result.views[k]
        let cam = view.camera(
            width: P, height: P, distance: model.config.cameraDistance, fovDegrees: model.config.fovDegrees)
        let renderer = FieldRenderer(field: field ?? model.field, code: result.code)
        renderer.light = result.lights.isEmpty ? result.light : result.lights[k]
        var recon = renderer.render(camera: cam).image.clamped()
        for k in 0..<(P * P) {
            for c in 0..<3 {
                recon.pixels[4 * k + c] = min(1, max(0, view.gain[c] * recon.pixels[4 * k + c] + view.bias[c]))
            }
            recon.pixels[4 * k + 3] = 1
        }
        return recon
    }
}
