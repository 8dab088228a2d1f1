import Datasets
import Foundation
import Geometry
import Imaging
import NeuralCore

// Single-view inversion end to end: encoder, pose search, refinement. H W photo size, I the
// encoder's input side, D code length.

/// How a photo becomes a latent.
public enum InversionMode: String, CaseIterable, Codable, Sendable {
    /// The encoder's identity and view codes, nothing else.
    case encoder
    /// Encoder start, then refinement of identity and view codes against the photo.
    case refine
    /// The optimisation-only baseline: mean code, pose from a coarse search, then refinement.
    case meanRefine = "mean-refine"
    /// The one-shot encoder, then the iterative encoder's updates; no optimisation.
    case fast
}

public struct InversionResult: Sendable {
    public var code: [Float]  // (D)
    public var view: ViewCode
    public var startCode: [Float]  // (D) where refinement began
    public var startView: ViewCode
    /// The photo's light as found (canonical for encoder-only results and fields that ignore light).
    public var light: ViewLight = .canonical
    /// Every photo's view code and light (a joint inversion's; one entry for one photo).
    public var views: [ViewCode] = []
    public var lights: [ViewLight] = []
    /// Photometric MSE of the last refinement batch (NaN for encoder only).
    public var finalMSE: Float
    public var encoderSeconds: Double
    public var seconds: Double
    /// What the layered phase did, and its residuals (nil: the code only).
    public var layers: LayerReport? = nil
    /// What decoder tuning did, and the tuned weights' differences (nil: not tuned).
    public var tuning: TuningReport? = nil
}

public enum Inversion {
    /// The encoder's codes for a photo (H, W, 3) in [0, 1], resampled to the encoder's input size
    /// (I, I) when it has another.
    public static func encode(_ encoder: PhotoEncoder, photo: [Float], width W: Int, height H: Int) -> (
        code: [Float], view: ViewCode, light: ViewLight
    ) {
        let e = encodeWithFeatures(encoder, photo: photo, width: W, height: H)
        return (e.code, e.view, e.light)
    }

    /// The photo (H, W, 3) resampled to (I, I, 3), or as it is when it has that size.
    static func atSide(_ photo: [Float], width W: Int, height H: Int, side I: Int) -> [Float] {
        guard W != I || H != I else { return photo }
        var image = RGBAImage(width: W, height: H)
        for k in 0..<(W * H) { for c in 0..<3 { image.pixels[4 * k + c] = photo[3 * k + c] } }
        return Resample.resize(image, width: I, height: I).rgb
    }

    /// `encode`'s codes, and the encoder's features (F) of the photo itself (not its mirror): the
    /// iterative encoder's context.
    public static func encodeWithFeatures(_ encoder: PhotoEncoder, photo: [Float], width W: Int, height H: Int)
        -> (code: [Float], view: ViewCode, light: ViewLight, features: [Float])
    {
        let I = encoder.config.inputSize
        guard W == I && H == I else {
            return encodeWithFeatures(encoder, photo: atSide(photo, width: W, height: H, side: I), width: I, height: I)
        }
        // The photo and its mirror image: the objects are left-right symmetric, so the mirror is a
        // view of the same object (from the mirrored azimuth) and the two identity codes average
        // out part of the encoder's error.
        let image = Tensor([2, 3, H, W])
        for j in 0..<H {
            for i in 0..<W {
                for c in 0..<3 {
                    image[(c * H + j) * W + i] = photo[(j * W + i) * 3 + c]
                    image[((3 + c) * H + j) * W + (W - 1 - i)] = photo[(j * W + i) * 3 + c]
                }
            }
        }
        let a = encoder.infer(images: image.data, B: 2)
        let D = encoder.config.codeDim
        let code = (0..<D).map { 0.5 * (a.identity[$0] + a.identity[D + $0]) }
        // The mirror was taken from azimuth -a: its pose estimate, mirrored back, is a second
        // estimate of the photo's, with its own error; the circular mean of the two halves much of it.
        // (Shading, gain and bias are not mirror-symmetric: those come from the photo alone.)
        let Vo = encoder.config.viewDim
        var view = ViewCode(encoded: a.view.data)
        let mirrored = ViewCode(encoded: a.view.data + Vo)
        let (a1, a2) = (view.azimuth * .pi / 180, -mirrored.azimuth * .pi / 180)
        var azimuth = atan2(sin(a1) + sin(a2), cos(a1) + cos(a2)) * 180 / .pi
        if azimuth < 0 { azimuth += 360 }
        view.azimuth = azimuth
        view.elevation = 0.5 * (view.elevation + mirrored.elevation)
        var light = ViewLight.canonical
        if encoder.config.lightDim == ViewLight.encodedSize {
            // The mirror's light, mirrored back, is a second estimate of the photo's, as its pose is.
            let own = ViewLight(encoded: a.view.data + ViewCode.size)
            let other = ViewLight(encoded: a.view.data + Vo + ViewCode.size).mirrored
            var packed = [Float](repeating: 0, count: ViewLight.encodedSize)
            packed.withUnsafeMutableBufferPointer { p in
                var x = [Float](repeating: 0, count: ViewLight.encodedSize)
                own.encode(into: p.baseAddress!)
                x.withUnsafeMutableBufferPointer { other.encode(into: $0.baseAddress!) }
                for k in 0..<ViewLight.encodedSize { p[k] = 0.5 * (p[k] + x[k]) }
                light = ViewLight(encoded: p.baseAddress!)
            }
        }
        return (code, view, light, Array(UnsafeBufferPointer(start: a.features.data, count: encoder.config.features)))
    }

    /// `iterations` updates of the iterative encoder from `start` against a photo (H, W, 3) in
    /// [0, 1], resampled to the encoder's input size (I, I) when it has another; `photoFeatures`:
    /// the one-shot encoder's features of the photo (`encodeWithFeatures`). `each(t, estimate
    /// after t)` after every iteration.
    public static func iterate(
        _ iterative: IterativeEncoder, model: NeRFModel, photo: [Float], width W: Int, height H: Int,
        photoFeatures: [Float], start: LatentEstimate, iterations: Int, each: ((Int, LatentEstimate) -> Void)? = nil
    ) -> LatentEstimate {
        iterative.run(
            field: model.field, photo: atSide(photo, width: W, height: H, side: iterative.inputSize),
            photoFeatures: photoFeatures,
            start: start, iterations: iterations,
            distance: model.config.cameraDistance, fov: model.config.fovDegrees
        ) { t, e, _ in each?(t, e) }
    }

    /// Candidate poses of the coarse search: every 15° of azimuth at three elevations of the rig band.
    static let searchAzimuths = stride(from: 0.0, to: 360.0, by: 15.0).map { $0 }
    static let searchElevations = [10.0, 25.0, 40.0]
    /// Side of the renders compared in the search (coarse is enough to tell poses apart).
    static let searchSize = 16

    /// photo (H, W, 3) -> its area average (s, s, 3), s at most W and H.
    static func averagedDown(_ photo: [Float], width W: Int, height H: Int, to s: Int) -> [Float] {
        var small = [Float](repeating: 0, count: s * s * 3)
        for j in 0..<H {
            for i in 0..<W {
                for c in 0..<3 { small[((j * s / H) * s + i * s / W) * 3 + c] += photo[(j * W + i) * 3 + c] }
            }
        }
        let area = Float(W * H) / Float(s * s)
        return small.map { $0 / area }
    }

    /// The rig pose whose low-resolution render of `code` best matches the photo.
    static func searchPose(field: any RadianceField, code: [Float], photo: [Float], width W: Int, height H: Int)
        -> ViewCode
    {
        let s = searchSize
        let small = averagedDown(photo, width: W, height: H, to: s)
        let renderer = FieldRenderer(field: field, code: code)
        var best = (mse: Float.infinity, view: ViewCode(azimuth: 0, elevation: 20))
        for el in searchElevations {
            for az in searchAzimuths {
                let img = renderer.render(camera: Rig.camera(azimuth: az, elevation: el, width: s, height: s)).image
                var mse: Float = 0
                for k in 0..<(s * s) {
                    for c in 0..<3 {
                        let e = img.pixels[4 * k + c] - small[3 * k + c]
                        mse += e * e
                    }
                }
                if mse < best.mse { best = (mse, ViewCode(azimuth: az, elevation: el)) }
            }
        }
        return best.view
    }

    /// Side of the renders that choose a joint inversion's start code (smaller photos: theirs).
    static let startChoiceSize = 32

    /// Of `candidates` (each (D)), the code whose renders at each photo's start view, light and
    /// photometric code are closest (MSE at `startChoiceSize`) to the photos (each (H, W, 3)).
    static func bestStart(
        field: any RadianceField, distance: Double, fov: Double, candidates: [[Float]], photos: [[Float]],
        starts: [(code: [Float], view: ViewCode, light: ViewLight)], width W: Int, height H: Int
    ) -> [Float] {
        let s = min(startChoiceSize, W, H)
        let small = photos.map { averagedDown($0, width: W, height: H, to: s) }
        var best = (mse: Float.infinity, code: candidates[0])
        for code in candidates {
            let renderer = FieldRenderer(field: field, code: code)
            var mse: Float = 0
            for (k, start) in starts.enumerated() {
                renderer.light = start.light
                let img = renderer.render(
                    camera: start.view.camera(width: s, height: s, distance: distance, fovDegrees: fov)
                ).image
                for q in 0..<(s * s) {
                    for c in 0..<3 {
                        let e = start.view.gain[c] * img.pixels[4 * q + c] + start.view.bias[c] - small[k][3 * q + c]
                        mse += e * e
                    }
                }
            }
            if mse < best.mse { best = (mse, code) }
        }
        return best.code
    }

    /// Inverts one photo (H, W, 3) in [0, 1], framed like the rig's views at the model's resolution.
    /// `givenView`: start from this view code instead of the estimated one. `settings`: nil, the
    /// model's field kind's defaults.
    public static func run(
        model: NeRFModel, photo: [Float], width W: Int, height H: Int, mode: InversionMode,
        settings: RefineSettings? = nil, givenView: ViewCode? = nil, ignore: [Bool]? = nil,
        tune: TuneSettings? = nil, progress: ((Int, Float) -> Void)? = nil
    ) throws -> InversionResult {
        try run(
            model: model, photos: [(photo, ignore)], width: W, height: H, mode: mode, settings: settings,
            givenViews: givenView.map { [$0] }, tune: tune, progress: progress)
    }

    /// Inverts K photos (H, W, 3) of one object into one identity code and a view code (and light)
    /// per photo; the encoder start is the photos' identity code (or their mean) that fits them all
    /// best (`bestStart`). With `tune`, the
    /// decoder is then tuned on the photos (on a copy: the model stays as it is) and the result
    /// holds the tuned weights' differences. `progress(step, mse)` counts refinement steps, then
    /// tuning steps after them.
    public static func run(
        model: NeRFModel, photos: [(pixels: [Float], ignore: [Bool]?)], width W: Int, height H: Int,
        mode: InversionMode, settings given: RefineSettings? = nil, givenViews: [ViewCode]? = nil,
        tune: TuneSettings? = nil, progress: ((Int, Float) -> Void)? = nil
    ) throws -> InversionResult {
        let settings = given ?? model.refineDefaults
        precondition(!photos.isEmpty, "at least one photo")
        precondition(givenViews == nil || givenViews!.count == photos.count, "one given view per photo")
        let t0 = Date()
        var starts: [(code: [Float], view: ViewCode, light: ViewLight)]
        var encoderSeconds = 0.0
        // Each photo's planes residual from the iterative encoder's residual head (`--fast` keeps it).
        var residuals: [[Float]?] = photos.map { _ in nil }
        switch mode {
        case .encoder, .refine, .fast:
            let encoder = try model.requireEncoder()
            // The encoder mode is the one-shot encoder alone; fast runs at least one iteration.
            let iterations =
                mode == .fast ? max(1, settings.encoderIterations) : mode == .refine ? settings.encoderIterations : 0
            let iterative = model.iterativeEncoder
            if mode == .fast && iterative == nil {
                throw ModelError(
                    "\(model.identity.name) has no iterative encoder: run `nerfinv train-encoder --iterative` first, or invert without --fast"
                )
            }
            // The encoder sees the whole photo: where a mask hides something (an occluder), it sees
            // the visible surroundings filled in instead, not the occluder.
            starts = photos.enumerated().map { k, photo in
                let seen = photo.ignore.map { HoleFill.fill(photo.pixels, hidden: $0, width: W, height: H) }
                // At the encoders' side once: both encoders take it (`ModelConfig.problem` checks).
                let I = encoder.config.inputSize
                let pixels = atSide(seen ?? photo.pixels, width: W, height: H, side: I)
                let s = encodeWithFeatures(encoder, photo: pixels, width: I, height: I)
                var start = (code: s.code, view: s.view, light: s.light)
                if let given = givenViews?[k] { start.view = given }
                guard let iterative, iterations > 0 else { return start }
                let e = iterate(
                    iterative, model: model, photo: pixels, width: I, height: I, photoFeatures: s.features,
                    start: LatentEstimate(code: start.code, view: start.view, light: start.light),
                    iterations: iterations)
                residuals[k] = e.residual
                return (e.code, e.view, e.light)
            }
            encoderSeconds = Date().timeIntervalSince(t0)
        case .meanRefine:
            let mean = model.meanCode
            starts = photos.map {
                (mean, searchPose(field: model.field, code: mean, photo: $0.pixels, width: W, height: H), .canonical)
            }
        }
        // A known camera (a diagnostic: how much of the error is the pose's) replaces the estimated one.
        if let givenViews { for k in starts.indices { starts[k].view = givenViews[k] } }
        // One object: of the photos' identity codes and their mean, the one whose renders match
        // all the photos best (codes do not average well: a mean of two views' codes can fit
        // both worse than either alone).
        let D = starts[0].code.count
        let mean = (0..<D).map { d in starts.reduce(Float(0)) { $0 + $1.code[d] } / Float(starts.count) }
        // (The mean code's starts are all one code: nothing to choose from.)
        let startCode =
            starts.count == 1 || mode == .meanRefine
            ? mean
            : bestStart(
                field: model.field, distance: model.config.cameraDistance, fov: model.config.fovDegrees,
                candidates: starts.map(\.code) + [mean], photos: photos.map(\.pixels), starts: starts, width: W,
                height: H)
        guard mode != .encoder && mode != .fast else {
            var result = InversionResult(
                code: startCode, view: starts[0].view, startCode: startCode, startView: starts[0].view,
                light: starts[0].light, views: starts.map(\.view), lights: starts.map(\.light), finalMSE: .nan,
                encoderSeconds: encoderSeconds, seconds: Date().timeIntervalSince(t0))
            // One photo's residual (a joint inversion's photos would each bring their own: none is kept).
            if starts.count == 1, let residual = residuals[0],
                let map = try model.iterativeEncoder?.residualMap(field: model.field)
            {
                result.layers = LayerReport(
                    layers: [map.layerName], steps: 0, validationPSNRBefore: .nan, validationPSNRAfter: .nan,
                    accepted: true, relativeSizes: [rootMeanSquare(residual, count: residual.count) / map.scale],
                    seconds: 0, residuals: [LayerResidual(name: map.layerName, values: residual)])
            }
            return result
        }
        // Tuning changes weights: the inverter works on a copy of the model's field.
        let own = tune == nil ? model.field : model.field.copy()
        let layered = settings.layers.steps > 0
        var field = own
        if layered {
            guard let generator = own as? any LayeredGenerator else {
                throw ModelError("a \(own.spec.kind) field has no latent layers: run without --layer-steps")
            }
            // The iterative encoder's predicted residual: the code refines with it, the layers start from it.
            let start = settings.layers.startFromPrediction && photos.count == 1 ? residuals[0] : nil
            let map = start == nil ? nil : try model.iterativeEncoder?.residualMap(field: model.field)
            if let start, let map {
                field = map.field(generator, residual: start)
            } else {
                field = LayeredField(base: generator)
            }
        }
        let inverter = Inverter(
            field: field,
            photos: zip(photos, starts).map { p, s in
                InversionPhoto(
                    pixels: p.pixels, width: W, height: H, startView: s.view, startLight: s.light, ignore: p.ignore)
            }, startCode: startCode, codeVariance: model.codeVariance, settings: settings,
            distance: model.config.cameraDistance, fov: model.config.fovDegrees)
        if settings.semanticWeight > 0 {
            guard let encoder = model.encoder else {
                throw ModelError("the semantic term uses the encoder's features: this model has no encoder")
            }
            inverter.features = ConvFeatures(encoder: encoder, stages: settings.semanticStages)
        }
        let mse = inverter.run(progress: progress)
        var result = InversionResult(
            code: inverter.code.array, view: inverter.view, startCode: startCode, startView: starts[0].view,
            light: inverter.light, views: inverter.views, lights: inverter.lights, finalMSE: mse,
            encoderSeconds: encoderSeconds, seconds: 0)
        if layered {
            let report = try inverter.refineLayers { s, mse in progress?(settings.steps + s, mse) }
            result.layers = report
            result.code = inverter.code.array
            result.view = inverter.view
            result.views = inverter.views
            result.light = inverter.light
            result.lights = inverter.lights
        }
        if let tune {
            // The reference renders what the tuned field would without tuning: with the same residuals.
            var reference = model.field
            if let f = field as? LayeredField, let generator = model.field as? any LayeredGenerator {
                reference = LayeredField(
                    base: generator,
                    residuals: Dictionary(
                        uniqueKeysWithValues: f.residuals.enumerated().compactMap { i, r in r.map { (i, $0) } }))
            }
            let offset = settings.steps + (result.layers?.steps ?? 0)
            let report = try inverter.tuneDecoder(reference: reference, codeTable: model.codes, settings: tune) {
                s, mse in progress?(offset + s, mse)
            }
            result.tuning = report
        }
        result.seconds = Date().timeIntervalSince(t0)
        return result
    }
}
