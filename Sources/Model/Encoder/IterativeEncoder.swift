import Datasets
import Foundation
import Geometry
import Imaging
import NeuralCore

// The iterative encoder (ReStyle's scheme in 3D): the photo and a render of the current estimate
// go in side by side, updates of the identity code, the view code and the light come out, a few
// times over. I the network's input side, D code length, V = 10 view floats, L = 5 light floats.

/// A photo's latent as the iterations carry it: identity code, view code, light and, from an
/// encoder with a residual head, the planes' residual.
public struct LatentEstimate: Sendable {
    public var code: [Float]  // (D)
    public var view: ViewCode
    public var light: ViewLight
    /// The residual of the planes (E = 3 R R C; nil: none yet), named by `PlaneResidualMap.layerName`.
    public var residual: [Float]?
    public init(code: [Float], view: ViewCode, light: ViewLight, residual: [Float]? = nil) {
        self.code = code
        self.view = view
        self.light = light
        self.residual = residual
    }
}

/// A `PhotoEncoder` with six input channels (photo, render) whose heads are read as updates: the
/// identity head adds to the code, the view head to the view code's and light's encoder layout
/// (sin/cos pairs, gain - 1, bias, light direction and intensities). No iteration is
/// back-propagated into another (ReStyle's training): each sees the render as a fixed input.
public final class IterativeEncoder {
    /// Six input channels; its heads read, beside its own features, the one-shot encoder's
    /// features of the photo minus those of the render (the context, F).
    public let network: PhotoEncoder
    /// The one-shot encoder whose features of photo and render the heads read (frozen).
    public let oneShot: PhotoEncoder
    /// Name prefix of its weights in a model file.
    public static let prefix = "iterative"

    public init(network: PhotoEncoder, oneShot: PhotoEncoder) {
        precondition(network.config.inputChannels == 6, "the iterative encoder sees a photo and a render")
        precondition(network.config.contextDim == oneShot.config.features, "it reads the one-shot features")
        self.network = network
        self.oneShot = oneShot
    }

    public var inputSize: Int { network.config.inputSize }

    /// The network for a one-shot encoder's photos: a small convolutional trunk of its own over the
    /// photo and the render (16 then 32 channels a stage, stride 2 down to 4x4, 96 features), and
    /// heads that read its features beside the one-shot encoder's features of the photo minus
    /// those of the render (what the one-shot encoder sees differently in the two: near zero once
    /// they agree); about 160k weights, a seventeenth of the one-shot encoder. The heads start at
    /// zero: before training every update is zero and the iterations return the one-shot estimate.
    /// (Measured on the way, on the training cars' renders at other views: the one-shot heads on
    /// that difference as a fixed-point step cost 0.6 dB at its start, the one-shot encoder reading
    /// its own renders closer to the mean than the codes that made them; heads reading the raw
    /// features of both, all positive after the LeakyReLU, were still 0.3 dB worse after 300 steps
    /// at rate 3e-5: Adam's noisy steps on 600 uncentred inputs add up in every output.)
    ///
    /// `residual`: a layered-residual head too, making (3, side, side, channels) coarse planes in
    /// units of `scale` (`PlaneResidualMap`) through `residualHidden` units; its last layer starts
    /// at zero like the other heads.
    public static func network(
        for oneShot: PhotoEncoder, rng: inout SplitMix64, residual: (side: Int, channels: Int, scale: Float)? = nil
    ) -> PhotoEncoder {
        var config = oneShot.config
        config.inputChannels = 6
        config.channels = config.channels.enumerated().map { i, _ in i == 0 ? 16 : 32 }
        config.features = 96
        config.contextDim = oneShot.config.features
        if let residual {
            config.residualSide = residual.side
            config.residualChannels = residual.channels
            config.residualHidden = residualHidden
            config.residualScale = residual.scale
        }
        let net = PhotoEncoder(config: config, rng: &rng, prefix: prefix)
        for t in [net.idW, net.idB, net.viewW, net.viewB, net.resW2, net.resB2] { t.zero() }
        return net
    }

    /// Hidden units of the residual head: a rank-32 map from the heads' 352 inputs to the 3072
    /// coarse floats keeps it at 0.2 MB at fp16 (a full map would be 2.2 MB, past the models'
    /// 40 MB).
    public static let residualHidden = 32

    /// The map from the residual head's output to the planes of `field` (nil: no residual head).
    public func residualMap(field: any RadianceField) throws -> PlaneResidualMap? {
        try PlaneResidualMap(config: network.config, field: field)
    }

    /// The context of an iteration (F): the one-shot features of the photo minus the render's.
    public func context(photoFeatures: [Float], render: [Float]) -> [Float] {
        zip(photoFeatures, features(of: render)).map { $0 - $1 }
    }

    /// The one-shot encoder's features (F) of an image (I, I, 3).
    public func features(of image: [Float]) -> [Float] {
        let I = inputSize
        let chw = Tensor([1, 3, I, I])
        for k in 0..<(I * I) { for c in 0..<3 { chw[c * I * I + k] = image[3 * k + c] } }
        return oneShot.infer(images: chw.data, B: 1).features.array
    }

    /// Runs both networks once on a grey photo, so that their oneDNN chains are built before the
    /// first photo that is waited for (a server does this as it starts).
    public func warmUp() {
        let I = inputSize
        let grey = [Float](repeating: 0.5, count: I * I * 3)
        let s = Inversion.encodeWithFeatures(oneShot, photo: grey, width: I, height: I)
        let input = Tensor([1, 6, I, I])
        _ = context(photoFeatures: s.features, render: grey).withUnsafeBufferPointer {
            network.infer(images: input.data, B: 1, context: $0.baseAddress!)
        }
    }

    /// Writes image b of the network's input (B, 6, I, I): the photo (I, I, 3) in channels 0-2,
    /// the render (I, I, 3) in channels 3-5. (The difference of the two is a linear function of
    /// them, which the first convolution can form itself.)
    static func packInput(
        photo: UnsafePointer<Float>, render: UnsafePointer<Float>, side I: Int, into out: UnsafeMutablePointer<Float>
    ) {
        for j in 0..<I {
            for i in 0..<I {
                for c in 0..<3 {
                    out[(c * I + j) * I + i] = photo[(j * I + i) * 3 + c]
                    out[((3 + c) * I + j) * I + i] = render[(j * I + i) * 3 + c]
                }
            }
        }
    }

    /// Cells a side of the grid an estimate is rendered with when none is given: a 24³ lattice query
    /// is an eighth of the field's 48³ (which was 40% of an iteration's time), and one render
    /// evaluates only a few more samples with it.
    static let gridResolution = 24

    /// The estimate rendered at its own view as the photo would show it (gain ⊙ render + bias,
    /// clamped to [0, 1]), (I, I, 3). `grid`: a grid found before (nil: the estimate's own, coarse).
    public static func render(
        field: any RadianceField, estimate e: LatentEstimate, side I: Int, distance: Double, fov: Double,
        grid: OccupancyGrid? = nil, map: PlaneResidualMap? = nil
    ) -> [Float] {
        var field = field
        if let map, let residual = e.residual { field = map.field(field, residual: residual) }
        let renderer =
            grid.map { FieldRenderer(field: field, code: e.code, grid: $0) }
            ?? FieldRenderer(
                field: field, code: e.code, gridResolution: min(gridResolution, field.spec.occupancyResolution))
        renderer.light = e.light
        let image = renderer.render(camera: e.view.camera(width: I, height: I, distance: distance, fovDegrees: fov))
            .image
        var out = [Float](repeating: 0, count: I * I * 3)
        for k in 0..<(I * I) {
            for c in 0..<3 {
                out[3 * k + c] = min(1, max(0, e.view.gain[c] * image.pixels[4 * k + c] + e.view.bias[c]))
            }
        }
        return out
    }

    /// `e` moved by one image's outputs: identity (D) added to the code, view (V + L) added to the
    /// view code's and the light's encoder layout, and with a `map`, the residual head's output (K)
    /// mapped onto the planes and added to the residual.
    public static func update(
        _ e: LatentEstimate, identity: UnsafePointer<Float>, view: UnsafePointer<Float>, lightDim L: Int,
        residual: UnsafePointer<Float>? = nil, map: PlaneResidualMap? = nil
    ) -> LatentEstimate {
        var next = e
        for d in 0..<e.code.count { next.code[d] += identity[d] }
        if let map, let residual {
            var planes = e.residual ?? [Float](repeating: 0, count: map.count)
            planes.withUnsafeMutableBufferPointer { map.add(into: $0.baseAddress!, theta: residual) }
            next.residual = planes
        }
        let V = ViewCode.size
        var layout = encoded(view: e.view, light: e.light, lightDim: ViewLight.encodedSize)
        layout.withUnsafeMutableBufferPointer { p in
            for k in 0..<(V + L) { p[k] += view[k] }
            next.view = ViewCode(encoded: p.baseAddress!)
            // The elevation stays on the rig's band, where renders of the estimate mean something.
            next.view.elevation = min(80, max(-10, next.view.elevation))
            if L > 0 {
                // Light colours keep the estimate's hue; the head moves direction and intensities.
                let moved = ViewLight(encoded: p.baseAddress! + V)
                next.light = ViewLight(
                    direction: moved.direction, key: SIMD3(repeating: moved.keyIntensity),
                    sky: SIMD3(repeating: moved.skyIntensity))
            }
        }
        return next
    }

    /// One image's target in the view head's layout (V + L): the true view code and light.
    static func encoded(view: ViewCode, light: ViewLight, lightDim L: Int) -> [Float] {
        var out = [Float](repeating: 0, count: ViewCode.size + L)
        out.withUnsafeMutableBufferPointer { p in
            view.encode(into: p.baseAddress!)
            if L > 0 { light.encode(into: p.baseAddress! + ViewCode.size) }
        }
        return out
    }

    /// `iterations` updates of `start` against a photo (I, I, 3) at the network's input side, whose
    /// one-shot features are `photoFeatures` (F); `each(t, estimate after t, render it was updated
    /// from)` after every iteration.
    public func run(
        field: any RadianceField, photo: [Float], photoFeatures: [Float], start: LatentEstimate, iterations: Int,
        distance: Double, fov: Double, each: ((Int, LatentEstimate, [Float]) -> Void)? = nil
    ) -> LatentEstimate {
        let I = inputSize
        precondition(photo.count == I * I * 3, "a photo at the encoder's input side")
        precondition(photoFeatures.count == oneShot.config.features, "the one-shot encoder's features of the photo")
        var e = start
        let input = Tensor([1, 6, I, I])
        // A model whose field lacks the head's planes is refused when it loads (`ModelConfig.problem`).
        let map = (try? residualMap(field: field)) ?? nil
        for t in 0..<iterations {
            let render = Profiler.measure("iterative: render") {
                Self.render(field: field, estimate: e, side: I, distance: distance, fov: fov, map: map)
            }
            photo.withUnsafeBufferPointer { p in
                render.withUnsafeBufferPointer { r in
                    Self.packInput(photo: p.baseAddress!, render: r.baseAddress!, side: I, into: input.data)
                }
            }
            let out = Profiler.measure("iterative: encoder") {
                return context(photoFeatures: photoFeatures, render: render).withUnsafeBufferPointer {
                    network.infer(images: input.data, B: 1, context: $0.baseAddress!)
                }
            }
            e = Self.update(
                e, identity: out.identity.data, view: out.view.data, lightDim: network.config.lightDim,
                residual: out.residual.data, map: map)
            each?(t + 1, e, render)
        }
        return e
    }
}
