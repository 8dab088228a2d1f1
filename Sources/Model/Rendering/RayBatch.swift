import Datasets
import NeuralCore

// R rays, S samples per ray.

/// The rays of one optimisation step: where they start and point, the colour each should see, the
/// jitter of its samples and whether it ignores the occupancy grids.
public struct RayBatch {
    public let R: Int
    public let S: Int
    public var origins: [Float]  // (R, 3)
    public var directions: [Float]  // (R, 3)
    var targets: [Float]  // (R, 3)
    var jitter: [Float]  // (R, S) in [0, 1): where in its interval each sample lies
    var probe: [Bool]  // (R) rays that sample everywhere (see EmptySpaceSkipping)
    /// The light each ray's view was taken under (`ViewLight.packed`), for fields lit per view.
    public var lights: [Float]  // (R, 9)

    public init(rays R: Int, samples S: Int) {
        self.R = R
        self.S = S
        origins = [Float](repeating: 0, count: R * 3)
        directions = [Float](repeating: 0, count: R * 3)
        targets = [Float](repeating: 0, count: R * 3)
        jitter = [Float](repeating: 0, count: R * S)
        probe = [Bool](repeating: false, count: R)
        let canonical = ViewLight.canonical.packed
        lights = [Float](repeating: 0, count: R * ViewLight.count)
        for r in 0..<R { for j in 0..<ViewLight.count { lights[r * ViewLight.count + j] = canonical[j] } }
    }

    /// Sets the light of ray r.
    mutating func setLight(_ light: ViewLight, ray r: Int) {
        let p = light.packed
        for j in 0..<ViewLight.count { lights[r * ViewLight.count + j] = p[j] }
    }

    /// Draws the jitter of every sample, then the probe flag of every ray, from `rng` (after the
    /// rays themselves, so the stream is rays → jitter → probes in every optimiser).
    public mutating func drawSampling(rng: inout SplitMix64, probeFraction: Float) {
        for k in 0..<(R * S) { jitter[k] = rng.nextFloat() }
        for r in 0..<R { probe[r] = rng.nextFloat() < probeFraction }
    }

    /// Rays `range` of the batch with everything drawn for them: a rank's share of a batch that
    /// every rank drew alike.
    public func slice(_ range: Range<Int>) -> RayBatch {
        precondition(range.lowerBound >= 0 && range.upperBound <= R, "rays \(range) of a batch of \(R)")
        var part = RayBatch(rays: range.count, samples: S)
        func copy<T>(_ source: [T], _ width: Int, into destination: inout [T]) {
            destination.replaceSubrange(
                0..<(range.count * width), with: source[(range.lowerBound * width)..<(range.upperBound * width)])
        }
        copy(origins, 3, into: &part.origins)
        copy(directions, 3, into: &part.directions)
        copy(targets, 3, into: &part.targets)
        copy(jitter, S, into: &part.jitter)
        copy(probe, 1, into: &part.probe)
        copy(lights, ViewLight.count, into: &part.lights)
        return part
    }
}
