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
        let sigma = field.denseQuery(state: state, vertices: V).sigma  // (V, V, V)
        var raw = [Bool](repeating: false, count: G * G * G)
        for x in 0..<G {
            for y in 0..<G {
                for z in 0..<G {
                    var any = false
                    for dx in 0...1 {
                        for dy in 0...1 {
                            for dz in 0...1 where sigma[((x + dx) * V + y + dy) * V + z + dz] > Self.threshold {
                                any = true
                            }
                        }
                    }
                    raw[(x * G + y) * G + z] = any
                }
            }
        }
        var dilated = raw
        for x in 0..<G {
            for y in 0..<G {
                for z in 0..<G where raw[(x * G + y) * G + z] {
                    for dx in -1...1 {
                        for dy in -1...1 {
                            for dz in -1...1 {
                                let a = x + dx, b = y + dy, c = z + dz
                                if a >= 0, b >= 0, c >= 0, a < G, b < G, c < G { dilated[(a * G + b) * G + c] = true }
                            }
                        }
                    }
                }
            }
        }
        occupied = dilated
    }

    @inline(__always)
    func isOccupied(_ p: SIMD3<Float>) -> Bool {
        let G = resolution
        let q = (p / box + 1) * 0.5 * Float(G)
        let x = min(G - 1, max(0, Int(q.x))), y = min(G - 1, max(0, Int(q.y))), z = min(G - 1, max(0, Int(q.z)))
        return occupied[(x * G + y) * G + z]
    }
}
