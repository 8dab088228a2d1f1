import NeuralCore

// B objects, N points in use (≤ capacity), E floats of state per object.

/// What one query of a field keeps for its backward: each object's state, which points belong to
/// which object, and the outputs. A field kind subclasses it for its own intermediate buffers.
open class FieldBatch {
    public let B: Int
    /// Points in use (≤ `capacity`): object b owns points [starts[b], starts[b + 1]).
    public private(set) var N: Int
    public let capacity: Int
    private(set) var starts: [Int]  // (B + 1)
    public let state: Tensor  // (B, E)
    public let sigma: Tensor  // (N)
    public let rgb: Tensor  // (N, 3)
    /// Each point's viewing conditions (N, V) for fields whose colour depends on them (nil: V = 0).
    public let conditions: Tensor?
    /// Set by a caller that wants d objective / d conditions (a photo's light in inversion): a field
    /// that reads conditions then adds them into `dConditions` during backward.
    var wantsConditionGradients = false
    /// Set by a caller that reads only `sigma` (the occupancy grid's lattice): a field may then skip
    /// its colour, which costs the lit field more than its density (a dozen exp, log and pow a point).
    var densityOnly = false
    /// Set by a caller that wants the surface's own colour without light (a de-lit texture): a lit
    /// field then writes its albedo (sRGB) into `rgb` instead of the shaded colour; a field without
    /// a light model has no other colour and ignores it.
    var albedoOnly = false
    public private(set) lazy var dConditions: Tensor? = conditions.map { Tensor($0.shape) }  // (N, V)

    /// An even split of `capacity` points over `objects` objects, all in use.
    public init(objects: Int, capacity: Int, stateSize: Int, conditionSize: Int = 0) {
        B = objects
        N = capacity
        self.capacity = capacity
        starts = (0...objects).map { $0 * (capacity / objects) }
        starts[objects] = capacity
        state = Tensor([objects, stateSize])
        sigma = Tensor([capacity])
        rgb = Tensor([capacity, 3])
        conditions = conditionSize > 0 ? Tensor([capacity, conditionSize]) : nil
    }

    /// Uses the first Σ counts points, object b owning counts[b] of them in order (the uneven
    /// split empty-space skipping leaves).
    func setCounts(_ counts: [Int]) {
        precondition(counts.count == B, "one count per object")
        var s = [0]
        for c in counts { s.append(s.last! + c) }
        precondition(s[B] <= capacity, "\(s[B]) points exceed the batch's capacity \(capacity)")
        starts = s
        N = s[B]
    }

    /// Points [start, start + count) of object b.
    public func range(_ b: Int) -> (start: Int, count: Int) { (starts[b], starts[b + 1] - starts[b]) }
}
