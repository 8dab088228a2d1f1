import FileIO
import NeuralCore

// O objects, E floats of field state per object, G grid cells per side, W floats of packed cell bits
// per grid.

/// How an optimiser skips empty space: the field is evaluated only inside each object's occupancy
/// grid, except along a few "probe" rays that sample everywhere. One value per use, each with the
/// reason for its numbers.
public struct EmptySpaceSkipping: Settings, Sendable, Equatable {
    public var enabled = true
    /// Fraction of rays sampled everywhere regardless of the grid, so density outside it still gets
    /// gradients (floaters fade, missing parts can grow). 1/16 costs a few percent of a step.
    public var probeRayFraction: Float = 0.0625
    /// An object's grid is rebuilt from its current code when it is this many steps old.
    public var refreshSteps = 16
    /// Steps of plain sampling first: a fresh decoder's density is noise, its grids mean nothing.
    public var warmupSteps = 0

    public init(enabled: Bool = true, probeRayFraction: Float = 0.0625, refreshSteps: Int = 16, warmupSteps: Int = 0) {
        self.enabled = enabled
        self.probeRayFraction = probeRayFraction
        self.refreshSteps = refreshSteps
        self.warmupSteps = warmupSteps
    }

    /// Decoder training: codes and weights drift slowly once the warm-up is over, and a rebuild
    /// costs one 33³ query per object, so grids live 2000 steps; the first 2000 steps sample
    /// everywhere while the density takes shape.
    public static let training = EmptySpaceSkipping(refreshSteps: 2000, warmupSteps: 2000)
    /// Code fitting and single-view refinement: one code moves a little every step and a rebuild
    /// costs about a third of a step, so the grid is rebuilt every 16 steps.
    static let codeFitting = EmptySpaceSkipping(refreshSteps: 16)
    public static let inversion = EmptySpaceSkipping(refreshSteps: 16)
    /// Encoder training skips with the grid of each object's table code (the prediction is near it;
    /// probe rays cover the rest). A frozen decoder's grids never go stale; while the decoder trains
    /// they are rebuilt as in decoder training.
    static let encoderTraining = EmptySpaceSkipping(refreshSteps: 2000)

    public init() { self.init(enabled: true) }

    public static let keys: [SettingKey<EmptySpaceSkipping>] = [
        .init("enabled", \.enabled),
        .init("probeRayFraction", \.probeRayFraction, in: 0...1),
        .init("refreshSteps", \.refreshSteps, in: 1...1_000_000),
        .init("warmupSteps", \.warmupSteps, in: 0...10_000_000),
    ]
}

/// Each object's occupancy grid and the step it was built at, rebuilt when stale.
final class OccupancyCache {
    public let settings: EmptySpaceSkipping
    public private(set) var grids: [OccupancyGrid?]  // (O)
    private(set) var builtAt: [Int]  // (O), -1 = never built

    public init(objects: Int, settings: EmptySpaceSkipping) {
        self.settings = settings
        grids = [OccupancyGrid?](repeating: nil, count: objects)
        builtAt = [Int](repeating: -1, count: objects)
    }

    /// Whether `step` skips at all (skipping on and past the warm-up).
    func skips(at step: Int) -> Bool { settings.enabled && step >= settings.warmupSteps }

    /// The grids (nil = sample everywhere) of `objects` at `step`; object k's state is
    /// states + k E. A grid is (re)built when missing, or older than the refresh interval when
    /// `refreshing` (a frozen field's grids never go stale).
    public func grids(
        for objects: [Int], step: Int, field: any RadianceField, states: UnsafePointer<Float>, refreshing: Bool = true
    ) -> [OccupancyGrid?] {
        guard skips(at: step) else { return [OccupancyGrid?](repeating: nil, count: objects.count) }
        let E = field.stateSize
        return objects.enumerated().map { k, o in
            if grids[o] == nil || (refreshing && step - builtAt[o] >= settings.refreshSteps) {
                grids[o] = OccupancyGrid(field: field, state: states + k * E)
                builtAt[o] = step
            }
            return grids[o]
        }
    }

    /// Object o's grid at `step`, built from `state()` (E) when missing, or when older than the
    /// refresh interval and `refreshing`.
    public func grid(_ o: Int, step: Int, refreshing: Bool, field: any RadianceField, state: () -> Tensor)
        -> OccupancyGrid?
    {
        guard skips(at: step) else { return nil }
        if grids[o] == nil || (refreshing && step - builtAt[o] >= settings.refreshSteps) {
            let s = state()
            grids[o] = withExtendedLifetime(s) { OccupancyGrid(field: field, state: s.data) }
            builtAt[o] = step
        }
        return grids[o]
    }

    // MARK: checkpoints

    /// Grid cells packed 16 to a float (exact in fp32), so a resumed run skips what the
    /// uninterrupted one would have.
    static let bitsPerFloat = 16

    /// (O, ⌈G³/16⌉) bits and (O) build steps, -1 = none; G the field's grid resolution.
    public func tensors(resolution G: Int, prefix: String) -> [(name: String, tensor: Tensor)] {
        let cells = G * G * G, W = (cells + Self.bitsPerFloat - 1) / Self.bitsPerFloat, O = grids.count
        let bits = Tensor([O, W]), steps = Tensor([O])
        for o in 0..<O {
            steps[o] = Float(grids[o] == nil ? -1 : builtAt[o])
            guard let g = grids[o] else { continue }
            for k in 0..<cells where g.occupied[k] {
                bits[o * W + k / Self.bitsPerFloat] += Float(1 << (k % Self.bitsPerFloat))
            }
        }
        return [("\(prefix).grid_bits", bits), ("\(prefix).grid_steps", steps)]
    }

    /// Restores what `tensors` wrote; checkpoints from before grids were saved restore none.
    public func restore(_ tensors: [String: Tensor], resolution G: Int, box: Float, prefix: String, path: String) throws
    {
        let cells = G * G * G, W = (cells + Self.bitsPerFloat - 1) / Self.bitsPerFloat, O = grids.count
        grids = [OccupancyGrid?](repeating: nil, count: O)
        builtAt = [Int](repeating: -1, count: O)
        guard let bits = tensors["\(prefix).grid_bits"], let steps = tensors["\(prefix).grid_steps"] else { return }
        guard bits.shape == [O, W], steps.shape == [O] else {
            throw FileError(path: path, reason: "occupancy grids have the wrong shape")
        }
        for o in 0..<O where steps[o] >= 0 {
            var occupied = [Bool](repeating: false, count: cells)
            for k in 0..<cells {
                occupied[k] = (Int(bits[o * W + k / Self.bitsPerFloat]) >> (k % Self.bitsPerFloat)) & 1 == 1
            }
            grids[o] = OccupancyGrid(resolution: G, box: box, occupied: occupied)
            builtAt[o] = Int(steps[o])
        }
    }
}
