import NeuralCore

// Empty-space skipping for one identity code. G grid cells per side, V = G + 1 vertices per side.

/// Which cells of the cube can hold visible density: the field is evaluated once per code at the
/// cell corners, a cell is occupied when any corner's density exceeds `threshold`, and occupancy is
/// dilated by one cell so thin parts between corners are not lost.
public struct OccupancyGrid: Sendable {
    public let resolution: Int
    public let box: Float
    let occupied: [Bool]  // (G, G, G), index (x G + y) G + z
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
        self.resolution = resolution
        self.box = box
        self.occupied = occupied
    }

    /// The grid of one object's state (E floats, from `RadianceField.setup`) at the field's resolution.
    public init(field: any RadianceField, state: UnsafePointer<Float>) {
        self.init(field: field, state: state, resolution: field.spec.occupancyResolution)
    }

    /// The grid of one object's state at G cells per side: the field is queried at the (G + 1)³ corners.
    public init(field: any RadianceField, state: UnsafePointer<Float>, resolution G: Int) {
        resolution = G
        box = Float(field.spec.box)
        let V = G + 1
        let sigma = Profiler.measure("grid: lattice query") { field.denseQuery(state: state, vertices: V) }
        // A cell is occupied when any of its 8 corners is, and the 3x3x3 dilation after it: both are
        // maxima over boxes, so each runs as three one-axis passes (a 2-wide, then a 3-wide one per
        // axis) instead of 8 and 27 reads per cell.
        var dense = [Bool](repeating: false, count: V * V * V)  // (V, V, V) corners above threshold
        for i in 0..<(V * V * V) { dense[i] = sigma[i] > Self.threshold }
        let cells = Self.boxMax(dense, side: V, width: 2)  // (G, G, G): any corner
        occupied = Self.boxMax(cells, side: G, width: 3)  // (G, G, G): dilated by one cell
    }

    /// The "any" over boxes of `width` cells along each axis of a cube of `side`³ flags. Width 2
    /// maps side S to S - 1 (cell x covers x, x + 1); width 3 keeps the side, centred, clipped at the border.
    static func boxMax(_ flags: [Bool], side S: Int, width: Int) -> [Bool] {
        let out = width == 2 ? S - 1 : S
        var a = flags, dims = [S, S, S]
        for axis in 0..<3 {
            let m = dims[axis], inner = dims[(axis + 1)...].reduce(1, *), outer = dims[..<axis].reduce(1, *)
            var b = [Bool](repeating: false, count: outer * out * inner)
            a.withUnsafeBufferPointer { src in
                b.withUnsafeMutableBufferPointer { dst in
                    for o in 0..<outer {
                        for t in 0..<out {
                            let lo = width == 2 ? t : max(0, t - 1), hi = width == 2 ? t + 1 : min(m - 1, t + 1)
                            let d = dst.baseAddress! + (o * out + t) * inner
                            for u in lo...hi {
                                let s = src.baseAddress! + (o * m + u) * inner
                                for k in 0..<inner where s[k] { d[k] = true }
                            }
                        }
                    }
                }
            }
            a = b
            dims[axis] = out
        }
        return a
    }

    @inline(__always)
    func isOccupied(_ p: SIMD3<Float>) -> Bool {
        let G = resolution
        let q = (p / box + 1) * 0.5 * Float(G)
        let x = min(G - 1, max(0, Int(q.x))), y = min(G - 1, max(0, Int(q.y))), z = min(G - 1, max(0, Int(q.z)))
        return occupied[(x * G + y) * G + z]
    }
}
