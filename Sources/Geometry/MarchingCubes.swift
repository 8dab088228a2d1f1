import Foundation

// Iso-surfaces of a scalar lattice. X Y Z lattice vertices per axis, V mesh vertices, T triangles.
// A cube's corner c sits at (c & 1, c >> 1 & 1, c >> 2 & 1); edge e = 4 a + k joins the corners
// that differ in bit a (k enumerates the other two bits).

/// Marching cubes with a 256-case table built at start-up from one rule, instead of typed in:
/// on every cube face, segments join the crossings of its edges, and a face whose inside corners
/// sit diagonally (the ambiguous case) separates them. Two cubes sharing a face see the same four
/// corners and so draw the same segments, which is what makes the surface closed (no cracks
/// between cubes). Each cycle of segments becomes a fan of triangles, wound so that their normals
/// point from inside (value ≥ iso) to outside.
public enum MarchingCubes {
    /// The two corners of each edge.
    static let edgeCorners: [(Int, Int)] = (0..<3).flatMap { a in
        (0..<4).map { k -> (Int, Int) in
            // The other two bits take the values of k, in increasing bit order.
            let others = (0..<3).filter { $0 != a }
            let c = ((k & 1) << others[0]) | (((k >> 1) & 1) << others[1])
            return (c, c | (1 << a))
        }
    }

    static func edge(_ c0: Int, _ c1: Int) -> Int {
        edgeCorners.firstIndex { ($0.0 == c0 && $0.1 == c1) || ($0.0 == c1 && $0.1 == c0) }!
    }

    static func corner(_ c: Int) -> SIMD3<Float> {
        SIMD3(Float(c & 1), Float((c >> 1) & 1), Float((c >> 2) & 1))
    }

    /// Per configuration (bit c set: corner c inside), triangles as triples of edge indices.
    public static let table: [[Int]] = (0..<256).map(triangles(for:))

    /// The triangles of one configuration.
    static func triangles(for mask: Int) -> [Int] {
        let inside = { (c: Int) in mask & (1 << c) != 0 }
        var links: [Int: [Int]] = [:]  // edge -> the edges it is joined to
        func join(_ a: Int, _ b: Int) {
            links[a, default: []].append(b)
            links[b, default: []].append(a)
        }
        for a in 0..<3 {
            let (u, v) = ((a + 1) % 3, (a + 2) % 3)
            for side in 0..<2 {
                // The face's corners in cyclic order.
                let q = [(0, 0), (1, 0), (1, 1), (0, 1)].map { (side << a) | ($0.0 << u) | ($0.1 << v) }
                let crossings = (0..<4).filter { inside(q[$0]) != inside(q[($0 + 1) % 4]) }
                if crossings.count == 2 {
                    join(
                        edge(q[crossings[0]], q[(crossings[0] + 1) % 4]),
                        edge(q[crossings[1]], q[(crossings[1] + 1) % 4]))
                } else if crossings.count == 4 {
                    // Diagonal inside corners: cut each off on its own.
                    for i in 0..<4 where inside(q[i]) {
                        join(edge(q[(i + 3) % 4], q[i]), edge(q[i], q[(i + 1) % 4]))
                    }
                }
            }
        }
        var out: [Int] = []
        var seen = Set<Int>()
        for start in links.keys.sorted() where !seen.contains(start) {
            // Walk the cycle through `start` (every crossed edge has exactly two links).
            var loop = [start], previous = -1, current = start
            seen.insert(start)
            while true {
                let next = links[current]!.first { $0 != previous }!
                if next == start { break }
                loop.append(next)
                seen.insert(next)
                previous = current
                current = next
            }
            // Outward: from the inside end of each crossed edge to its outside end.
            var outward = SIMD3<Float>.zero
            var points: [SIMD3<Float>] = []
            for e in loop {
                let (c0, c1) = edgeCorners[e]
                let (i, o) = inside(c0) ? (c0, c1) : (c1, c0)
                outward += corner(o) - corner(i)
                points.append(0.5 * (corner(c0) + corner(c1)))
            }
            var normal = SIMD3<Float>.zero  // Newell's polygon normal
            for k in 0..<points.count {
                let p = points[k], n = points[(k + 1) % points.count]
                normal += SIMD3((p.y - n.y) * (p.z + n.z), (p.z - n.z) * (p.x + n.x), (p.x - n.x) * (p.y + n.y))
            }
            if (normal * outward).sum() < 0 { loop.reverse() }
            for k in 1..<(loop.count - 1) { out += [loop[0], loop[k], loop[k + 1]] }
        }
        return out
    }

    /// The surface value = iso of values (X, Y, Z), index (x Y + y) Z + z, lattice vertex (x, y, z)
    /// at origin + spacing (x, y, z). Inside is value ≥ iso. Vertices sit on lattice edges, placed
    /// by linear interpolation, and are shared by the triangles around them (one per edge).
    public static func extract(
        values: UnsafePointer<Float>, X: Int, Y: Int, Z: Int, iso: Float, origin: SIMD3<Float>, spacing: Float
    ) -> TriangleMesh {
        precondition(X >= 2 && Y >= 2 && Z >= 2, "a lattice of at least 2 vertices per axis")
        var mesh = TriangleMesh()
        var vertexOfEdge: [Int: Int32] = [:]
        let cornerOffsets = (0..<8).map { c in ((c & 1) * Y + ((c >> 1) & 1)) * Z + ((c >> 2) & 1) }
        let steps = (0..<8).map { c in SIMD3(c & 1, (c >> 1) & 1, (c >> 2) & 1) }
        func vertex(_ x: Int, _ y: Int, _ z: Int, _ e: Int) -> Int32 {
            let (c0, c1) = edgeCorners[e]
            let p0 = SIMD3(x, y, z) &+ steps[c0], axis = e / 4
            let key = ((p0.x * Y + p0.y) * Z + p0.z) * 3 + axis
            if let v = vertexOfEdge[key] { return v }
            let i0 = (p0.x * Y + p0.y) * Z + p0.z, i1 = i0 + cornerOffsets[c1] - cornerOffsets[c0]
            let v0 = values[i0], v1 = values[i1]
            let t = v1 == v0 ? 0.5 : min(1, max(0, (iso - v0) / (v1 - v0)))
            var p = SIMD3<Float>(Float(p0.x), Float(p0.y), Float(p0.z))
            p[axis] += t
            let index = Int32(mesh.positions.count)
            mesh.positions.append(origin + spacing * p)
            vertexOfEdge[key] = index
            return index
        }
        for x in 0..<(X - 1) {
            for y in 0..<(Y - 1) {
                for z in 0..<(Z - 1) {
                    let base = (x * Y + y) * Z + z
                    var mask = 0
                    for c in 0..<8 where values[base + cornerOffsets[c]] >= iso { mask |= 1 << c }
                    guard mask != 0 && mask != 255 else { continue }
                    let tris = table[mask]
                    for t in stride(from: 0, to: tris.count, by: 3) {
                        mesh.triangles.append(
                            SIMD3(vertex(x, y, z, tris[t]), vertex(x, y, z, tris[t + 1]), vertex(x, y, z, tris[t + 2])))
                    }
                }
            }
        }
        return mesh
    }
}
