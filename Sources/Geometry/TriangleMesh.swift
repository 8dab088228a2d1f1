import Foundation

// V vertices, T triangles.

/// An indexed triangle mesh with optional per-vertex normals, colours (linear 0...1 RGB as
/// stored; exporters write them as they are) and texture coordinates.
public struct TriangleMesh: Sendable {
    public var positions: [SIMD3<Float>] = []  // (V)
    public var normals: [SIMD3<Float>] = []  // (V) or empty
    public var colours: [SIMD3<Float>] = []  // (V) or empty
    /// Texture coordinates in glTF's convention: u to the right, v down from the image's top row.
    public var uvs: [SIMD2<Float>] = []  // (V) or empty
    public var triangles: [SIMD3<Int32>] = []  // (T), counter-clockwise seen from outside
    public init() {}

    /// Undirected edges (smaller index first) and how many triangles use each.
    func edgeUses() -> [UInt64: Int] {
        var uses: [UInt64: Int] = [:]
        uses.reserveCapacity(triangles.count * 3 / 2)
        for t in triangles {
            for (a, b) in [(t.x, t.y), (t.y, t.z), (t.z, t.x)] {
                let key = UInt64(UInt32(min(a, b))) << 32 | UInt64(UInt32(max(a, b)))
                uses[key, default: 0] += 1
            }
        }
        return uses
    }

    /// Every edge is shared by exactly two triangles (a watertight, edge-manifold surface).
    public var isClosed: Bool { !triangles.isEmpty && edgeUses().values.allSatisfy { $0 == 2 } }

    /// Edges used by other than two triangles (0 for a closed mesh).
    public var openEdges: Int { edgeUses().values.filter { $0 != 2 }.count }

    /// The triangles' connected components (through shared vertices): a component index per
    /// triangle, and each component's triangle count.
    public func components() -> (of: [Int], sizes: [Int]) {
        var sets = DisjointSets(count: positions.count)
        for t in triangles {
            sets.union(Int(t.x), Int(t.y))
            sets.union(Int(t.x), Int(t.z))
        }
        var label: [Int: Int] = [:], of: [Int] = [], sizes: [Int] = []
        for t in triangles {
            let root = sets.find(Int(t.x))
            let l =
                label[root]
                ?? {
                    label[root] = sizes.count
                    sizes.append(0)
                    return sizes.count - 1
                }()
            of.append(l)
            sizes[l] += 1
        }
        return (of, sizes)
    }

    /// The mesh without components smaller than `fraction` of all triangles (floaters), and
    /// without the vertices no triangle uses.
    public func keepingComponents(largerThan fraction: Double) -> TriangleMesh {
        let (of, sizes) = components()
        let total = Double(triangles.count)
        var kept = TriangleMesh()
        var remap = [Int32](repeating: -1, count: positions.count)
        func map(_ v: Int32) -> Int32 {
            if remap[Int(v)] < 0 {
                remap[Int(v)] = Int32(kept.positions.count)
                kept.positions.append(positions[Int(v)])
                if !normals.isEmpty { kept.normals.append(normals[Int(v)]) }
                if !colours.isEmpty { kept.colours.append(colours[Int(v)]) }
                if !uvs.isEmpty { kept.uvs.append(uvs[Int(v)]) }
            }
            return remap[Int(v)]
        }
        for (k, t) in triangles.enumerated() where Double(sizes[of[k]]) >= fraction * total {
            kept.triangles.append(SIMD3(map(t.x), map(t.y), map(t.z)))
        }
        return kept
    }

    /// The mesh with every position (and normal) put through `transform` (a rotation and scale).
    public func transformed(_ transform: (SIMD3<Float>) -> SIMD3<Float>, rotate: (SIMD3<Float>) -> SIMD3<Float>)
        -> TriangleMesh
    {
        var m = self
        m.positions = positions.map(transform)
        m.normals = normals.map(rotate)
        return m
    }

    /// Smallest and largest coordinates.
    public var bounds: (min: SIMD3<Float>, max: SIMD3<Float>) {
        var lo = SIMD3<Float>(repeating: .infinity), hi = SIMD3<Float>(repeating: -.infinity)
        for p in positions {
            lo = pointwiseMin(lo, p)
            hi = pointwiseMax(hi, p)
        }
        return (lo, hi)
    }
}

/// a × b (Foundation's simd has no cross product on Linux).
@inlinable public func cross(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> SIMD3<Float> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
