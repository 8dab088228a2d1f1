import NeuralCore

// A generator's own layers as a latent's extra capacity. B objects, N points, D code length, E
// floats of state per object; layer i of a latent holds n_i floats in the layout of
// `latentLayers[i]`, shared by every object of a batch (a layered latent is one object).

/// A generator activation a latent may carry a residual on (the W+/feature-space inversion of
/// GAN inversion, in 3D): the residual is added to the activation, after its nonlinearity, of
/// every object the field sets up.
public struct LatentLayer: Sendable, Equatable, CustomStringConvertible {
    public enum Layout: Sendable, Equatable {
        /// A channel-first feature map (C, H, W) between two generator stages. Its channels feed
        /// all three planes, so the left-right mirror is no permutation of it.
        case featureMap(channels: Int, height: Int, width: Int)
        /// The planes themselves (3, R, R, C): xy, xz, yz, channel-last, as `PlaneSplit` lays them.
        case triplane(side: Int, channels: Int)
    }
    /// What `invert --layers` and latent files call it ("features16", "planes").
    public let name: String
    public let layout: Layout

    public init(name: String, layout: Layout) {
        self.name = name
        self.layout = layout
    }

    /// Floats of one object's residual.
    public var count: Int {
        switch layout {
        case .featureMap(let c, let h, let w): return c * h * w
        case .triplane(let r, let c): return 3 * r * r * c
        }
    }

    /// The file's shape of the residual: (C, H, W) or (3, R, R, C).
    public var shape: [Int] {
        switch layout {
        case .featureMap(let c, let h, let w): return [c, h, w]
        case .triplane(let r, let c): return [3, r, r, c]
        }
    }

    public var description: String { "\(name) (\(shape.map(String.init).joined(separator: "x")))" }
}

/// A field whose generator offers its intermediate layers to a latent: setup and backward with a
/// residual per layer (nil: none). The plain `setup` and `backward` are these with no residuals.
public protocol LayeredGenerator: RadianceField {
    /// The layers, from the coarsest feature map to the planes.
    var latentLayers: [LatentLayer] { get }
    /// The layers a layered inversion uses unless told otherwise.
    var defaultLatentLayers: [String] { get }
    /// `setup(state:codes:objects:)` with residuals[i] (layer i's floats, or nil) added at layer i.
    func setup(
        state: UnsafeMutablePointer<Float>, codes: UnsafePointer<Float>, objects: Int,
        residuals: [UnsafePointer<Float>?])
    /// `setup(batch:codes:)` with the residuals; the batch keeps what the backward needs.
    func setup(batch: FieldBatch, codes: UnsafePointer<Float>, residuals: [UnsafePointer<Float>?])
    /// `backward` after the layered `setup(batch:...)` with the same residuals: also adds
    /// Σ_b d objective / d layer i into dResiduals[i] (when given), and takes dState (B, E), a
    /// gradient on the state from terms outside the render (the mirror loss), when given.
    func backward(
        dSigma: UnsafePointer<Float>, dRGB: UnsafePointer<Float>, batch: FieldBatch, codes: UnsafePointer<Float>,
        points: UnsafePointer<Float>, grads: ParameterGradients?, dCodes: UnsafeMutablePointer<Float>?,
        dPoints: UnsafeMutablePointer<Float>?, residuals: [UnsafePointer<Float>?],
        dResiduals: [UnsafeMutablePointer<Float>?], dState: UnsafePointer<Float>?)
    /// The root mean square of each layer's activation for one code (D): the scale a residual
    /// there is measured against.
    func layerScales(code: [Float]) -> [Float]
}

extension LayeredGenerator {
    /// The field without residuals: each kind implements the layered forms only.
    public func setup(state: UnsafeMutablePointer<Float>, codes: UnsafePointer<Float>, objects: Int) {
        setup(state: state, codes: codes, objects: objects, residuals: [])
    }

    public func setup(batch: FieldBatch, codes: UnsafePointer<Float>) {
        setup(batch: batch, codes: codes, residuals: [])
    }

    public func backward(
        dSigma: UnsafePointer<Float>, dRGB: UnsafePointer<Float>, batch: FieldBatch, codes: UnsafePointer<Float>,
        points: UnsafePointer<Float>, grads: ParameterGradients?, dCodes: UnsafeMutablePointer<Float>?,
        dPoints: UnsafeMutablePointer<Float>?
    ) {
        backward(
            dSigma: dSigma, dRGB: dRGB, batch: batch, codes: codes, points: points, grads: grads, dCodes: dCodes,
            dPoints: dPoints, residuals: [], dResiduals: [], dState: nil)
    }
    /// The index of the layer named `name`, or an error listing the layers.
    public func layerIndex(named name: String) throws -> Int {
        guard let i = latentLayers.firstIndex(where: { $0.name == name }) else {
            throw ModelError(
                "this \(spec.kind) field has no layer '\(name)'; its layers are \(latentLayers.map(\.description).joined(separator: ", "))"
            )
        }
        return i
    }
}

/// Root mean square of n floats.
func rootMeanSquare(_ x: UnsafePointer<Float>, count n: Int) -> Float {
    var s = 0.0
    for i in 0..<n { s += Double(x[i]) * Double(x[i]) }
    return Float((s / Double(max(1, n))).squareRoot())
}

/// Adds each object's copy of `residual` (n) into x (B, n).
func addResidual(_ x: UnsafeMutablePointer<Float>, _ residual: UnsafePointer<Float>?, objects B: Int, count n: Int) {
    guard let residual else { return }
    for b in 0..<B { for i in 0..<n { x[b * n + i] += residual[i] } }
}

/// dResidual (n) += Σ_b dX (B, n).
func sumResidualGradient(
    _ dResidual: UnsafeMutablePointer<Float>?, _ dX: UnsafePointer<Float>, objects B: Int, count n: Int
) {
    guard let dResidual else { return }
    for b in 0..<B { for i in 0..<n { dResidual[i] += dX[b * n + i] } }
}
