import NeuralCore

// B objects, N points, E floats of state per object (the planes, G = 3 R R C), D code length.

/// A field with one object's layered latent in it: the base field's generator with a residual
/// added at some of its layers (`LayeredGenerator`). Everything that renders, meshes or inverts
/// through `RadianceField` takes it unchanged: a layered latent loads as one of these, and a
/// layered inversion optimises `residuals` through `gradients`. The weights are the base's own
/// (tuning one tunes the base).
public final class LayeredField: RadianceField {
    public let base: any LayeredGenerator
    /// Each of the base's layers' residual (its `LatentLayer.count` floats), nil where unused.
    public var residuals: [Tensor?]
    /// d objective / d residuals, added by every `backward` (the owner zeroes them).
    public private(set) var gradients: [Tensor?]
    /// Weight of the mirror loss on the planes (`MirrorLoss`, relative to `planeScale`²); 0: off.
    public var mirrorWeight: Float = 0
    /// RMS of the planes the mirror loss is measured against.
    public var planeScale: Float = 1
    /// The mirror loss of the last backward (weighted).
    public private(set) var mirrorLoss: Float = 0

    /// `base` with residuals by layer index (the rest nil); every residual must have its layer's size.
    public init(base: any LayeredGenerator, residuals: [Int: Tensor] = [:]) {
        self.base = base
        let layers = base.latentLayers
        self.residuals = layers.indices.map { residuals[$0] }
        gradients = layers.indices.map { i in residuals[i].map { Tensor($0.shape) } }
        for (i, r) in residuals {
            precondition(r.count == layers[i].count, "residual of \(layers[i].name) has \(r.count) floats")
        }
    }

    /// Sets layer i's residual (nil: none) and its gradient buffer.
    public func setResidual(_ r: Tensor?, layer i: Int) {
        precondition(r == nil || r!.count == base.latentLayers[i].count, "residual of the wrong size")
        residuals[i] = r
        gradients[i] = r.map { Tensor($0.shape) }
    }

    /// Whether any layer carries a residual.
    public var isLayered: Bool { residuals.contains { $0 != nil } }

    var residualPointers: [UnsafePointer<Float>?] { residuals.map { $0.map { UnsafePointer($0.data) } } }
    var gradientPointers: [UnsafeMutablePointer<Float>?] { gradients.map { $0?.data } }

    /// The planes' side and channels (the last layer of both field kinds).
    var planeLayout: (side: Int, channels: Int)? {
        if case .triplane(let r, let c) = base.latentLayers.last?.layout { return (r, c) }
        return nil
    }

    public var spec: FieldSpec { base.spec }
    public var parameters: [(name: String, tensor: Tensor)] { base.parameters }
    public var stateSize: Int { base.stateSize }
    public var conditionSize: Int { base.conditionSize }
    public var tunedParameterPrefixes: [String] { base.tunedParameterPrefixes }
    public var queryFlopsPerPoint: Double { base.queryFlopsPerPoint }
    public var setupFlopsPerObject: Double { base.setupFlopsPerObject }

    public func makeBatch(objects: Int, capacity: Int) -> FieldBatch {
        base.makeBatch(objects: objects, capacity: capacity)
    }

    public func setup(state: UnsafeMutablePointer<Float>, codes: UnsafePointer<Float>, objects: Int) {
        base.setup(state: state, codes: codes, objects: objects, residuals: residualPointers)
    }

    /// While set, the caller promises that the base's weights stay as they are (a layered
    /// inversion that holds its code): with the planes' residual the only one, `setup` keeps the
    /// base's planes of the last codes and adds the residual to a copy of them, instead of running
    /// the generator every step.
    public var reusesBasePlanes = false {
        didSet { cachedCodes = nil }
    }
    private var cachedCodes: [Float]?
    private var cachedPlanes: [Float] = []  // (B, E)

    public func setup(batch: FieldBatch, codes: UnsafePointer<Float>) {
        guard reusesBasePlanes, planeLayout != nil, !residuals.dropLast().contains(where: { $0 != nil }) else {
            cachedCodes = nil
            return base.setup(batch: batch, codes: codes, residuals: residualPointers)
        }
        let B = batch.B, E = stateSize
        let key = Array(UnsafeBufferPointer(start: codes, count: B * spec.codeDim))
        if key != cachedCodes {
            base.setup(batch: batch, codes: codes, residuals: residuals.map { _ in nil })
            cachedPlanes = Array(UnsafeBufferPointer(start: batch.state.data, count: B * E))
            cachedCodes = key
        }
        // state (B, E) = kept planes + the planes' residual, in one pass on both cores.
        let r = residuals.last??.data
        cachedPlanes.withUnsafeBufferPointer { kept in
            for b in 0..<B {
                let state = batch.state.data + b * E, planes = kept.baseAddress! + b * E
                Parallel.forRanges(E, grain: 65536) { range in
                    if let r {
                        for k in range { state[k] = planes[k] + r[k] }
                    } else {
                        (state + range.lowerBound).update(from: planes + range.lowerBound, count: range.count)
                    }
                }
            }
        }
    }

    public func query(points: UnsafePointer<Float>, batch: FieldBatch) { base.query(points: points, batch: batch) }

    public func backward(
        dSigma: UnsafePointer<Float>, dRGB: UnsafePointer<Float>, batch: FieldBatch, codes: UnsafePointer<Float>,
        points: UnsafePointer<Float>, grads: ParameterGradients?, dCodes: UnsafeMutablePointer<Float>?,
        dPoints: UnsafeMutablePointer<Float>?
    ) {
        let B = batch.B, E = stateSize
        let run = { (dState: UnsafePointer<Float>?) in
            self.base.backward(
                dSigma: dSigma, dRGB: dRGB, batch: batch, codes: codes, points: points, grads: grads, dCodes: dCodes,
                dPoints: dPoints, residuals: self.residualPointers, dResiduals: self.gradientPointers, dState: dState)
        }
        guard mirrorWeight > 0, let (R, C) = planeLayout else {
            mirrorLoss = 0
            return run(nil)
        }
        let loss = MirrorLoss(weight: mirrorWeight, scale: planeScale)
        Scratch.with(B * E) { dState in  // (B, E)
            dState.initialize(repeating: 0, count: B * E)
            var total: Float = 0
            for b in 0..<B {
                total += loss.forward(planes: batch.state.data + b * E, R: R, C: C)
                loss.backward(dPlanes: dState + b * E, planes: batch.state.data + b * E, R: R, C: C)
            }
            mirrorLoss = total
            run(dState)
        }
    }
}
