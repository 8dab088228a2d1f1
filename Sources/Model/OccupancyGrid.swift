import NeuralCore
// Empty-space skipping for one identity code. G grid cells per side, N = (G+1)^3 vertices.

/// Which cells of the cube can hold visible density: the decoder is evaluated once per code at the
/// cell corners, a cell is occupied when any corner's density exceeds `threshold`, and occupancy is
/// dilated by one cell so thin parts between corners are not lost.
public struct OccupancyGrid: Sendable {
    public let resolution: Int
    public let box: Float
    public let occupied: [Bool]   // (G, G, G), index (x G + y) G + z
    /// Density below which a sample contributes under 1% opacity at the usual step (δ ≈ 0.05).
    public static let threshold: Float = 0.2

    public var occupiedFraction: Double { Double(occupied.filter { $0 }.count) / Double(occupied.count) }

    /// A grid that skips nothing (for comparisons and for fields without empty space).
    public init(everythingOccupiedIn box: Float) {
        resolution = 1
        self.box = box
        occupied = [true]
    }

    /// A grid with the given cells (for checkpoints).
    public init(resolution: Int, box: Float, occupied: [Bool]) {
        precondition(occupied.count == resolution * resolution * resolution, "one flag per cell")
        self.resolution = resolution; self.box = box; self.occupied = occupied
    }

    public init(decoder: TriplaneDecoder, planes: Tensor, resolution G: Int = 32) {
        self.init(decoder: decoder, planes: UnsafePointer(planes.data), resolution: G)
    }

    /// The grid of one object's planes (G floats, from `TriplaneDecoder.generate`).
    public init(decoder: TriplaneDecoder, planes: UnsafePointer<Float>, resolution G: Int = 32) {
        resolution = G
        box = Float(decoder.config.box)
        let V = G + 1, N = V * V * V
        let points = Tensor([N, 3])
        for x in 0..<V { for y in 0..<V { for z in 0..<V {
            let i = (x * V + y) * V + z
            points[3 * i] = (Float(x) / Float(G) * 2 - 1) * box
            points[3 * i + 1] = (Float(y) / Float(G) * 2 - 1) * box
            points[3 * i + 2] = (Float(z) / Float(G) * 2 - 1) * box
        } } }
        let acts = TriplaneDecoder.Activations(config: decoder.config, B: 1, N: N)
        acts.planes.data.update(from: planes, count: decoder.config.planeCount)
        decoder.field(points: points.data, acts: acts)
        var raw = [Bool](repeating: false, count: G * G * G)
        for x in 0..<G { for y in 0..<G { for z in 0..<G {
            var any = false
            for dx in 0...1 { for dy in 0...1 { for dz in 0...1 where acts.sigma[((x + dx) * V + y + dy) * V + z + dz] > Self.threshold { any = true } } }
            raw[(x * G + y) * G + z] = any
        } } }
        var dilated = raw
        for x in 0..<G { for y in 0..<G { for z in 0..<G where raw[(x * G + y) * G + z] {
            for dx in -1...1 { for dy in -1...1 { for dz in -1...1 {
                let a = x + dx, b = y + dy, c = z + dz
                if a >= 0, b >= 0, c >= 0, a < G, b < G, c < G { dilated[(a * G + b) * G + c] = true }
            } } }
        } } }
        occupied = dilated
    }

    @inline(__always)
    public func isOccupied(_ p: SIMD3<Float>) -> Bool {
        let G = resolution
        let q = (p / box + 1) * 0.5 * Float(G)
        let x = min(G - 1, max(0, Int(q.x))), y = min(G - 1, max(0, Int(q.y))), z = min(G - 1, max(0, Int(q.z)))
        return occupied[(x * G + y) * G + z]
    }
}
