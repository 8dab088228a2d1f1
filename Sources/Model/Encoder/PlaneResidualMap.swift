import NeuralCore

// From the residual head's coarse output to a residual of the planes. r the coarse side, R the
// planes' side (a multiple of r), C channels, K = 3 r r C, E = 3 R R C.

/// θ (K) -> s · Up(Sym(θ)) (E): the coarse planes made left-right symmetric (`TriplaneMirror`, the
/// mirror prior of the layered inversion), resized bilinearly to the planes' side
/// (`PlaneUpsample`, which keeps the symmetry) and scaled by the planes' RMS at the mean code, so
/// that the head's outputs are of order one. A coarse residual is what a 128-float code cannot
/// carry and a few hundred thousand weights can: a colour or a bulge over an eighth of the car.
public struct PlaneResidualMap: Sendable {
    public let coarseSide: Int  // r
    public let side: Int  // R
    public let channels: Int  // C
    public let scale: Float
    /// The latent layer the residual goes to (the planes, `LayeredGenerator.latentLayers.last`):
    /// its index among the field's layers, and its name.
    public let layerIndex: Int
    public let layerName: String

    /// The map of an encoder with a residual head onto `field`'s planes, or an error saying why
    /// they do not fit; nil for an encoder without one.
    public init?(config: EncoderConfig, field: any RadianceField) throws {
        guard config.residualSide > 0 else { return nil }
        guard let generator = field as? any LayeredGenerator, let layer = generator.latentLayers.last,
            case .triplane(let R, let C) = layer.layout
        else { throw ModelError("the iterative encoder's residual head needs a field with planes") }
        guard C == config.residualChannels, R % config.residualSide == 0 else {
            throw ModelError(
                "the residual head makes \(config.residualSide)² planes of \(config.residualChannels) channels; the field's are \(R)² of \(C)"
            )
        }
        coarseSide = config.residualSide
        side = R
        channels = C
        scale = config.residualScale
        layerIndex = generator.latentLayers.count - 1
        layerName = layer.name
    }

    public var coarseCount: Int { 3 * coarseSide * coarseSide * channels }
    public var count: Int { 3 * side * side * channels }

    /// planes (E) += s · Up(Sym(θ (K))).
    public func add(into planes: UnsafeMutablePointer<Float>, theta: UnsafePointer<Float>) {
        let r = coarseSide, C = channels
        Scratch.with(coarseCount + count) { buffer in
            let symmetric = buffer, fine = buffer + coarseCount  // (3, r, r, C), (3, R, R, C)
            TriplaneMirror.symmetrize(out: symmetric, inp: theta, R: r, C: C, scale: scale)
            PlaneUpsample.forward(out: fine, inp: symmetric, P: 3, r: r, factor: side / r, C: C)
            for k in 0..<count { planes[k] += fine[k] }
        }
    }

    /// dθ (K) += s · Sym(Upᵀ(dPlanes (E))) (the mirror is its own transpose).
    public func backward(dTheta: UnsafeMutablePointer<Float>, dPlanes: UnsafePointer<Float>) {
        let r = coarseSide, C = channels
        Scratch.with(coarseCount) { coarse in
            coarse.initialize(repeating: 0, count: coarseCount)
            PlaneUpsample.backward(dInp: coarse, dOut: dPlanes, P: 3, r: r, factor: side / r, C: C)
            TriplaneMirror.symmetrizeBackward(dInp: dTheta, dOut: coarse, R: r, C: C, scale: scale)
        }
    }

    /// `generator` with `residual` (E) on its planes.
    public func field(_ generator: any LayeredGenerator, residual: [Float]) -> LayeredField {
        LayeredField(base: generator, residuals: [layerIndex: Tensor([count], values: residual)])
    }

    /// `field` with `residual` (E) on its planes (`field` itself if it has no layers).
    public func field(_ field: any RadianceField, residual: [Float]) -> any RadianceField {
        guard let generator = field as? any LayeredGenerator else { return field }
        return self.field(generator, residual: residual)
    }
}
