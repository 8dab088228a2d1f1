import Datasets
import Foundation
import Geometry
import ImageIO
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
}

public struct InversionResult: Sendable {
    public var code: [Float]  // (D)
    public var view: ViewCode
    public var startCode: [Float]  // (D) where refinement began
    public var startView: ViewCode
    /// The photo's light as found (canonical for encoder-only results and fields that ignore light).
    public var light: ViewLight = .canonical
    /// Photometric MSE of the last refinement batch (NaN for encoder only).
    public var finalMSE: Float
    public var encoderSeconds: Double
    public var seconds: Double
}

public enum Inversion {
    /// The encoder's codes for a photo (H, W, 3) in [0, 1], resampled to the encoder's input size
    /// (I, I) when it has another.
    public static func encode(_ encoder: Encoder, photo: [Float], width W: Int, height H: Int) -> (
        code: [Float], view: ViewCode, light: ViewLight
    ) {
        let I = encoder.config.inputSize
        guard W == I && H == I else {
            var image = RGBAImage(width: W, height: H)
            for k in 0..<(W * H) { for c in 0..<3 { image.pixels[4 * k + c] = photo[3 * k + c] } }
            return encode(encoder, photo: Resample.resize(image, width: I, height: I).rgb, width: I, height: I)
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
        let a = encoder.forward(images: image.data, B: 2)
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
        return (code, view, light)
    }

    /// Candidate poses of the coarse search: every 15° of azimuth at three elevations of the rig band.
    public static let searchAzimuths = stride(from: 0.0, to: 360.0, by: 15.0).map { $0 }
    public static let searchElevations = [10.0, 25.0, 40.0]
    /// Side of the renders compared in the search (coarse is enough to tell poses apart).
    static let searchSize = 16

    /// The rig pose whose low-resolution render of `code` best matches the photo.
    public static func searchPose(field: any RadianceField, code: [Float], photo: [Float], width W: Int, height H: Int)
        -> ViewCode
    {
        let s = searchSize
        // Photo averaged down to s x s.
        var small = [Float](repeating: 0, count: s * s * 3)
        for j in 0..<H {
            for i in 0..<W {
                for c in 0..<3 { small[((j * s / H) * s + i * s / W) * 3 + c] += photo[(j * W + i) * 3 + c] }
            }
        }
        let area = Float(W * H) / Float(s * s)
        for k in 0..<small.count { small[k] /= area }
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

    /// Inverts one photo (H, W, 3) in [0, 1], framed like the rig's views at the model's resolution.
    /// `givenView`: start from this view code instead of the estimated one.
    public static func run(
        model: NeRFModel, photo: [Float], width W: Int, height H: Int, mode: InversionMode,
        settings: RefineSettings = RefineSettings(), givenView: ViewCode? = nil, ignore: [Bool]? = nil,
        progress: ((Int, Float) -> Void)? = nil
    ) throws -> InversionResult {
        let t0 = Date()
        var start: (code: [Float], view: ViewCode, light: ViewLight)
        var encoderSeconds = 0.0
        switch mode {
        case .encoder, .refine:
            guard let encoder = model.encoder else {
                throw ModelError("this model has no encoder: run `nerfinv train-encoder` first, or use mean-refine")
            }
            start = encode(encoder, photo: photo, width: W, height: H)
            encoderSeconds = Date().timeIntervalSince(t0)
        case .meanRefine:
            let mean = model.meanCode
            start = (mean, searchPose(field: model.field, code: mean, photo: photo, width: W, height: H), .canonical)
        }
        // A known camera (a diagnostic: how much of the error is the pose's) replaces the estimated one.
        if let givenView { start.view = givenView }
        guard mode != .encoder else {
            return InversionResult(
                code: start.code, view: start.view, startCode: start.code, startView: start.view, light: start.light,
                finalMSE: .nan,
                encoderSeconds: encoderSeconds, seconds: Date().timeIntervalSince(t0))
        }
        let inverter = Inverter(
            field: model.field, photo: photo, width: W, height: H, startCode: start.code, startView: start.view,
            codeVariance: model.codeVariance, settings: settings, distance: model.config.cameraDistance,
            fov: model.config.fovDegrees, startLight: start.light, ignore: ignore)
        let mse = inverter.run(progress: progress)
        return InversionResult(
            code: inverter.code.array, view: inverter.view, startCode: start.code, startView: start.view,
            light: inverter.light, finalMSE: mse, encoderSeconds: encoderSeconds,
            seconds: Date().timeIntervalSince(t0))
    }
}
