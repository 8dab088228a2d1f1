import Datasets
import NeuralCore

// The decoder's contract. B objects, N points (object b owns points [starts[b], starts[b+1])),
// D code length, E floats of per-object state, L lattice vertices per side.

/// A conditional radiance field: identity codes in, density and colour at 3D points out.
///
/// A field turns each object's code into per-object state once (`setup`: the triplane's feature
/// planes), then answers point queries against that state (`query`), and back-propagates into
/// its weights, the codes and the points (`backward`). Rendering, training, code fitting,
/// inversion and the occupancy grid use only this protocol; a new kind of field is one type that
/// conforms plus one line in `FieldRegistry`.
public protocol RadianceField: AnyObject {
    /// The field's settings, with its kind tag (saved in model files).
    var spec: FieldSpec { get }
    /// Weights by name, in file order; `ParameterGradients(like: parameters)` holds their gradients.
    var parameters: [(name: String, tensor: Tensor)] { get }
    /// Floats of per-object state (E) that `setup` derives from one code.
    var stateSize: Int { get }
    /// Floats of viewing conditions per point the colour depends on (`ViewingConditions`), 0 for a
    /// field whose colour depends on position alone; callers fill `FieldBatch.conditions`.
    var conditionSize: Int { get }
    /// Buffers for `query` and `backward` of up to `capacity` points of `objects` objects.
    func makeBatch(objects: Int, capacity: Int) -> FieldBatch
    /// state (B, E) from codes (B, D).
    func setup(state: UnsafeMutablePointer<Float>, codes: UnsafePointer<Float>, objects: Int)
    /// `batch.state` from codes (B, D), keeping whatever the backward of setup needs in the batch
    /// (a field whose setup has intermediate activations keeps them here instead of recomputing).
    func setup(batch: FieldBatch, codes: UnsafePointer<Float>)
    /// Density into `batch.sigma` (N) and colour into `batch.rgb` (N, 3) at points (N, 3), reading
    /// each object's state from `batch.state`.
    func query(points: UnsafePointer<Float>, batch: FieldBatch)
    /// Backward of `setup` + `query`: adds into grads (nil: no weight gradients, as inversion
    /// needs), dCodes (B, D) and dPoints (N, 3) when given.
    func backward(
        dSigma: UnsafePointer<Float>, dRGB: UnsafePointer<Float>, batch: FieldBatch, codes: UnsafePointer<Float>,
        points: UnsafePointer<Float>, grads: ParameterGradients?, dCodes: UnsafeMutablePointer<Float>?,
        dPoints: UnsafeMutablePointer<Float>?)
    /// The weights `invert --tune-decoder` tunes by default (names or prefixes): a subset that can
    /// fit one photo's detail with a small delta file, chosen per kind of field.
    var tunedParameterPrefixes: [String] { get }
    /// Dense-layer floating-point operations of one forward query per point, and of one setup per
    /// object (for the benchmarks' share of raw sgemm).
    var queryFlopsPerPoint: Double { get }
    var setupFlopsPerObject: Double { get }
}

extension RadianceField {
    public var conditionSize: Int { 0 }
    /// Every weight, unless a kind of field names its subset.
    public var tunedParameterPrefixes: [String] { parameters.map(\.name) }

    public func setup(batch: FieldBatch, codes: UnsafePointer<Float>) {
        setup(state: batch.state.data, codes: codes, objects: batch.B)
    }

    /// A field of the same kind with its own copy of the weights: whatever tunes weights works on
    /// one of these, so a loaded model never changes under another user.
    func copy() -> any RadianceField {
        var rng = SplitMix64(seed: 0)
        let twin = spec.makeField(rng: &rng)
        for ((_, dst), (_, src)) in zip(twin.parameters, parameters) { dst.copy(from: src) }
        return twin
    }

    /// Copies every weight from a field of the same kind and shape.
    func copyWeights(from other: any RadianceField) {
        for ((_, dst), (_, src)) in zip(parameters, other.parameters) { dst.copy(from: src) }
    }

    /// state (1, E) of one code (D).
    public func state(of code: [Float]) -> Tensor {
        precondition(code.count == spec.codeDim, "code has \(code.count) values, the field takes \(spec.codeDim)")
        let state = Tensor([1, stateSize])
        code.withUnsafeBufferPointer { setup(state: state.data, codes: $0.baseAddress!, objects: 1) }
        return state
    }

    /// Density (L³) of one object's state (E) at the vertices of an L x L x L lattice spanning the
    /// box, index (x L + y) L + z: the occupancy grid reads it. The colour is not computed.
    func denseQuery(state: UnsafePointer<Float>, vertices L: Int) -> [Float] {
        precondition(L >= 2, "a lattice needs at least two vertices per side")
        let box = Float(spec.box), cells = Float(L - 1), count = L * L * L
        let points = Tensor([count, 3])
        for x in 0..<L {
            for y in 0..<L {
                for z in 0..<L {
                    let i = (x * L + y) * L + z
                    points[3 * i] = (Float(x) / cells * 2 - 1) * box
                    points[3 * i + 1] = (Float(y) / cells * 2 - 1) * box
                    points[3 * i + 2] = (Float(z) / cells * 2 - 1) * box
                }
            }
        }
        // One chunk: the whole lattice at once (the grid's 49³ points are about 10 MB of buffers).
        return query(state: state, points: points.data, count: count, chunk: count, densityOnly: true).sigma
    }
}
