import FileIO
import Foundation
import Geometry
import Imaging
import Model

// P the side of the square the photo is framed to.

/// Photos in, latents and pictures out, against one model. The model is only read: several
/// sessions can share it.
public final class InversionSession {
    /// The model; each latent records its identity (file name and SHA-256).
    public let model: NeRFModel
    /// Finds the object in photos with a background (nil: none at hand).
    public let matting: MattingNetwork?
    /// Said when a photo has a background but no matting network is at hand (auto mode).
    public var warn: (String) -> Void = { _ in }

    public init(model: NeRFModel, matting: MattingNetwork? = nil) {
        self.model = model
        self.matting = matting
    }

    /// The matting network of a file written by `train-matting`.
    public static func loadMatting(_ path: String) throws -> MattingNetwork { try MattingFile.load(path).network }

    /// The matting network `background` needs: none to keep backgrounds, and none when the file is
    /// missing unless it was named (`explicit`), which is an error.
    public static func loadMatting(_ path: String, for background: BackgroundMode, explicit: Bool) throws
        -> MattingNetwork?
    {
        guard background != .keep else { return nil }
        guard FileManager.default.fileExists(atPath: path) else {
            if explicit { throw FileError(path: path, reason: "no such matting network") }
            return nil
        }
        return try loadMatting(path)
    }

    /// Writes the overview sheet of several inversions (`overview(_:)`) to a PNG.
    public func writeOverview(_ outcomes: [InversionOutcome], to path: String) throws {
        try PNG.write(overview(outcomes), to: path)
    }

    /// Refuses, before any photo is read, what `request` cannot do with this model or `photos` photos.
    public func check(_ request: InversionRequest, photos: Int) throws {
        if request.start == .encoder { _ = try model.requireEncoder() }
        if request.mask != nil && photos > 1 {
            throw ModelError("a mask belongs to one photo; a joint inversion takes none")
        }
    }

    /// One photo's inversion in memory: what `invert` writes, without writing it.
    struct Inferred {
        public var result: InversionResult
        /// The photos as the model saw them, and their reconstructions at the found views.
        public var inputs: [RGBAImage]
        var reconstructions: [RGBAImage]
        /// The first photo's (the only one's, but for a joint inversion).
        public var input: RGBAImage { inputs[0] }
        public var reconstruction: RGBAImage { reconstructions[0] }
        /// Mean over the photos of their input-view PSNR.
        var inputPSNR: Double
        public var framing: String
        /// The refinement settings the inversion ran with (the request's or the model's, with what
        /// the photos decide).
        var settings: RefineSettings
        /// How the loss saw the photo: "masked", "grayscale" (empty: all pixels, in colour).
        var restoration: [String] = []
        /// The field the result renders with: the model's, or its tuned copy.
        public var field: any RadianceField
        /// The tuned decoder's differences as its delta file holds them (nil: not tuned).
        var delta: DecoderDelta?
        /// The first photo's predicted object mask (H, W at its own size) and the photo with the
        /// background removed (alpha = mask), when the background was removed.
        public var mask: RGBAImage? = nil
        var cutout: RGBAImage? = nil
    }

    /// Reads and frames a photo and inverts it; errors about the photo name it.
    func infer(photo: String, request: InversionRequest, progress: ((Int, Float) -> Void)? = nil) throws
        -> Inferred
    {
        try infer(photos: [photo], request: request, progress: progress)
    }

    /// Reads and frames photos of one object and inverts them together: one identity code, a view
    /// code per photo. They are framed to one side, the smallest photo's own (up to the model's).
    func infer(photos: [String], request: InversionRequest, progress: ((Int, Float) -> Void)? = nil) throws
        -> Inferred
    {
        try check(request, photos: photos.count)
        let input = try InversionInput.read(
            photos: photos, request: request, viewSide: model.config.resolution,
            backgroundMask: { try self.backgroundMask($0, photo: $1, request: request) })
        let P = input.side
        let settings = input.settings(request.settings ?? model.refineDefaults)
        let result = try Inversion.run(
            model: model, photos: input.photos, width: P, height: P, mode: request.mode,
            settings: settings, tune: request.refine ? request.tune : nil, progress: progress)
        // The delta as its file will hold it (fp16), so what is shown is what a later render shows.
        var delta: DecoderDelta? = nil
        var field = model.field
        if let tuning = result.tuning {
            let d = DecoderDelta(
                header: .init(
                    baseModel: model.identity.name, baseModelSHA256: model.identity.sha256, pivot: result.code,
                    steps: tuning.steps,
                    validationPSNRBefore: tuning.validationPSNRBefore, validationPSNRAfter: tuning.validationPSNRAfter),
                differences: tuning.differences.map { ($0.name, $0.values.map { Float(Float16($0)) }) })
            delta = d
            field = d.applied(to: model.field)
        }
        // The residuals as the latent file will hold them (fp16), in the field the result renders with.
        if let layers = result.layers {
            let rounded = layers.residuals.map {
                LayerResidual(name: $0.name, values: $0.values.map { Float(Float16($0)) })
            }
            field = try LayeredField.with(rounded, on: field)
        }
        let reconstructions = result.views.indices.map { reconstruct(result, side: P, view: $0, field: field) }
        let inputs = input.images
        let psnr = zip(reconstructions, inputs).map { Metrics.psnr($0, $1) }.reduce(0, +) / Double(inputs.count)
        return Inferred(
            result: result, inputs: inputs, reconstructions: reconstructions, inputPSNR: psnr,
            framing: input.framing, settings: settings,
            restoration: (input.masked ? ["masked"] : []) + (settings.grayscale ? ["grayscale"] : [])
                + (input.mask == nil ? [] : ["background removed"]), field: field,
            delta: delta, mask: input.mask, cutout: input.cutout)
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
        let mask = Matting.predict(matting, photo: raw)
        // Whatever the border: a photo in which the matting network sees no object has nothing to invert.
        let object = mask.reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) }
        guard Double(object) >= Self.minimumMattedFraction * Double(mask.count) else {
            throw FileError(
                path: photo,
                reason: String(
                    format: "no object found: the matting network sees no object in the photo (%.2f%% of its pixels)",
                    100 * Double(object) / Double(max(1, mask.count))))
        }
        return mask
    }

    /// Least share of a photo's pixels the matting network must call object (as the framing asks of
    /// a white-background photo's pixels that differ from the border).
    static let minimumMattedFraction = 0.002

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
        let writer = LatentWriter(latentPath: latentPath, request: request)
        try writer.write(inferred, latent: latent(of: inferred, photos: photos, request: request, writer: writer))
        return InversionOutcome(
            photo: photos[0], latentPath: latentPath, result: inferred.result, input: inferred.input,
            reconstruction: inferred.reconstruction, inputPSNR: inferred.inputPSNR, framing: inferred.framing,
            comparisonPath: writer.comparisonPath, method: request.method(iterations: iterations(inferred)),
            turntable: request.turntable,
            tunedField: inferred.delta == nil && inferred.result.layers == nil ? nil : inferred.field,
            removed: inferred.cutout.flatMap { cutout in
                inferred.mask.map { mask in
                    var photo = cutout  // the photo's own colours, opaque
                    for k in 0..<(photo.width * photo.height) { photo.pixels[4 * k + 3] = 1 }
                    return (photo, mask)
                }
            })
    }

    /// The iterative encoder's updates an inversion ran (none without one, whatever the settings say).
    func iterations(_ inferred: Inferred) -> Int {
        model.iterativeEncoder == nil ? 0 : inferred.settings.encoderIterations
    }

    /// The latent file of an inversion: the codes, every photo's view and light, and how it was made.
    func latent(of inferred: Inferred, photos: [String], request: InversionRequest, writer: LatentWriter)
        -> LatentFile
    {
        let result = inferred.result
        let cameraOf = { (v: ViewCode) in
            LatentFile.ViewCode(
                azimuth: v.azimuth, elevation: v.elevation, distance: self.model.config.cameraDistance,
                fov: self.model.config.fovDegrees,
                gain: (0..<3).map { Double(v.gain[$0]) }, bias: (0..<3).map { Double(v.bias[$0]) })
        }
        let lit = model.field.conditionSize > 0
        var latent = LatentFile(
            model: model.identity, identity: result.code, view: cameraOf(result.view),
            obtained: .init(
                method: ([request.method(iterations: iterations(inferred)) + (photos.count > 1 ? " (joint)" : "")]
                    + inferred.restoration
                    + (inferred.delta == nil ? [] : ["tuned decoder"])).joined(separator: ", "),
                source: photos.joined(separator: ", "),
                steps: request.mode == .encoder ? 0 : inferred.settings.steps,
                views: photos.count,
                seconds: result.seconds),
            losses: [
                "input_psnr_db": inferred.inputPSNR,
                "final_batch_mse": result.finalMSE.isFinite ? Double(result.finalMSE) : -1,
            ],
            light: lit ? result.light.packed : nil)
        if photos.count > 1 {
            latent.views = result.views.map(cameraOf)
            latent.lights = lit ? result.lights.map(\.packed) : nil
        }
        if let layers = result.layers {
            // Residuals not kept (`LayerSettings.minimumGain`) leave a code-only latent.
            if !layers.residuals.isEmpty {
                latent.layers = try? LatentLayerEntry.entries(layers.residuals, field: model.field)
            }
            if let psnr = layers.heldOutPSNR {
                latent.losses["layers_validation_psnr_before_db"] = psnr.before
                latent.losses["layers_validation_psnr_after_db"] = psnr.after
            }
        }
        if let delta = inferred.delta {
            latent.decoderDelta = URL(fileURLWithPath: writer.deltaPath).lastPathComponent
            latent.losses["tuning_validation_psnr_before_db"] = delta.header.validationPSNRBefore
            latent.losses["tuning_validation_psnr_after_db"] = delta.header.validationPSNRAfter
        }
        return latent
    }

    /// One sheet of several inversions: a row per photo with input, reconstruction and views around.
    func overview(_ outcomes: [InversionOutcome]) -> RGBAImage {
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
    func reconstruct(
        _ result: InversionResult, side P: Int, view k: Int = 0, field: (any RadianceField)? = nil
    ) -> RGBAImage {
        let renderer = FieldRenderer(field: field ?? model.field, code: result.code)
        var recon = Self.render(
            renderer, at: result.views.isEmpty ? result.view : result.views[k],
            light: result.lights.isEmpty ? result.light : result.lights[k], width: P, height: P, model: model)
        for q in 0..<(P * P) { recon.pixels[4 * q + 3] = 1 }
        return recon
    }

    /// A renderer's code at a found view under its light, with the view's photometric code (gain
    /// and bias per channel) applied, clamped to [0, 1] (W, H): how an inversion sees its photo again.
    static func render(
        _ renderer: FieldRenderer, at view: ViewCode, light: ViewLight, width W: Int, height H: Int, model: NeRFModel
    ) -> RGBAImage {
        renderer.light = light
        let camera = view.camera(
            width: W, height: H, distance: model.config.cameraDistance, fovDegrees: model.config.fovDegrees)
        var recon = renderer.render(camera: camera).image.clamped()
        for q in 0..<(W * H) {
            for c in 0..<3 {
                recon.pixels[4 * q + c] = min(1, max(0, view.gain[c] * recon.pixels[4 * q + c] + view.bias[c]))
            }
        }
        return recon
    }
}
