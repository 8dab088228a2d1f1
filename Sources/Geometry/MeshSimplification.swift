import Foundation

// Edge collapse under quadric error metrics (Garland & Heckbert 1997). V vertices, T triangles.

/// Simplifies a mesh to a triangle budget by collapsing the edge whose merged vertex moves the
/// surface least (the sum of squared distances to the planes of the triangles around both ends).
/// A collapse is skipped when it would make the surface non-manifold (the two ends share other
/// neighbours than the edge's two opposite corners) or flip a triangle, so a closed mesh stays
/// closed. Normals and colours of the kept vertices are averaged along.
public enum MeshSimplification {
    /// A symmetric 4x4 quadric as its 10 upper entries.
    struct Quadric {
        var q = [Double](repeating: 0, count: 10)
        static func plane(_ n: SIMD3<Double>, _ d: Double) -> Quadric {
            let (a, b, c) = (n.x, n.y, n.z)
            return Quadric(q: [a * a, a * b, a * c, a * d, b * b, b * c, b * d, c * c, c * d, d * d])
        }
        static func + (l: Quadric, r: Quadric) -> Quadric { Quadric(q: zip(l.q, r.q).map(+)) }
        func error(_ p: SIMD3<Double>) -> Double {
            let (x, y, z) = (p.x, p.y, p.z)
            return q[0] * x * x + 2 * q[1] * x * y + 2 * q[2] * x * z + 2 * q[3] * x + q[4] * y * y + 2 * q[5] * y * z
                + 2 * q[6] * y + q[7] * z * z + 2 * q[8] * z + q[9]
        }
        /// The point of least error, or nil when the quadric is (nearly) singular.
        func optimum() -> SIMD3<Double>? {
            let m = [[q[0], q[1], q[2]], [q[1], q[4], q[5]], [q[2], q[5], q[7]]], r = [-q[3], -q[6], -q[8]]
            let det =
                m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
            guard abs(det) > 1e-12 else { return nil }
            func solve(_ col: Int) -> Double {
                var a = m
                for i in 0..<3 { a[i][col] = r[i] }
                return
                    (a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1]
                    * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                    + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])) / det
            }
            return SIMD3(solve(0), solve(1), solve(2))
        }
    }

    public static func simplify(_ mesh: TriangleMesh, maxTriangles: Int) -> TriangleMesh {
        var pos = mesh.positions.map { SIMD3<Double>(Double($0.x), Double($0.y), Double($0.z)) }
        var normals = mesh.normals, colours = mesh.colours
        var tris = mesh.triangles.map { [Int($0.x), Int($0.y), Int($0.z)] }
        var alive = [Bool](repeating: true, count: tris.count)
        var removed = [Bool](repeating: false, count: pos.count)
        var around = [[Int]](repeating: [], count: pos.count)  // triangles at each vertex
        for (t, v) in tris.enumerated() { for i in v { around[i].append(t) } }
        func normal(_ v: [Int], _ p: [SIMD3<Double>]) -> SIMD3<Double> {
            let a = p[v[0]], b = p[v[1]], c = p[v[2]]
            let e = b - a, f = c - a
            return SIMD3(e.y * f.z - e.z * f.y, e.z * f.x - e.x * f.z, e.x * f.y - e.y * f.x)
        }
        var quadric = [Quadric](repeating: Quadric(), count: pos.count)
        for v in tris {
            var n = normal(v, pos)
            let length = (n * n).sum().squareRoot()
            guard length > 0 else { continue }
            n /= length
            let k = Quadric.plane(n, -(n * pos[v[0]]).sum())
            for i in v { quadric[i] = quadric[i] + k }
        }
        var version = [Int](repeating: 0, count: pos.count)
        // A min-heap of (cost, u, v, version of u, version of v, target).
        struct Candidate {
            var cost: Double
            var u: Int, v: Int, vu: Int, vv: Int
            var target: SIMD3<Double>
        }
        var heap: [Candidate] = []
        func push(_ c: Candidate) {
            heap.append(c)
            var i = heap.count - 1
            while i > 0 && heap[(i - 1) / 2].cost > heap[i].cost {
                heap.swapAt(i, (i - 1) / 2)
                i = (i - 1) / 2
            }
        }
        func pop() -> Candidate {
            let top = heap[0]
            heap[0] = heap[heap.count - 1]
            heap.removeLast()
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && heap[l].cost < heap[m].cost { m = l }
                if r < heap.count && heap[r].cost < heap[m].cost { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
            return top
        }
        func candidate(_ u: Int, _ v: Int) -> Candidate {
            let q = quadric[u] + quadric[v]
            let mid = 0.5 * (pos[u] + pos[v])
            var target = q.optimum() ?? mid
            // A far-off optimum (nearly flat quadric) is no better than the ends or the middle.
            if ((target - mid) * (target - mid)).sum() > 4 * ((pos[u] - pos[v]) * (pos[u] - pos[v])).sum() {
                target = [pos[u], pos[v], mid].min { q.error($0) < q.error($1) }!
            }
            return Candidate(cost: q.error(target), u: u, v: v, vu: version[u], vv: version[v], target: target)
        }
        func neighbours(_ u: Int) -> Set<Int> {
            var s = Set<Int>()
            for t in around[u] where alive[t] { for i in tris[t] where i != u { s.insert(i) } }
            return s
        }
        var seenEdges = Set<UInt64>()
        for v in tris {
            for (a, b) in [(v[0], v[1]), (v[1], v[2]), (v[2], v[0])] {
                let key = UInt64(min(a, b)) << 32 | UInt64(max(a, b))
                if seenEdges.insert(key).inserted { push(candidate(min(a, b), max(a, b))) }
            }
        }
        var count = tris.count
        while count > maxTriangles, !heap.isEmpty {
            let c = pop()
            let (u, v) = (c.u, c.v)
            guard !removed[u], !removed[v], version[u] == c.vu, version[v] == c.vv else { continue }
            let shared = around[u].filter { alive[$0] && tris[$0].contains(v) }
            guard !shared.isEmpty else { continue }
            // Link condition: the ends share exactly the shared triangles' third corners.
            let common = neighbours(u).intersection(neighbours(v))
            let opposite = Set(shared.flatMap { tris[$0] }).subtracting([u, v])
            guard common == opposite else { continue }
            // No triangle around either end may turn over.
            var flips = false
            func at(_ i: Int) -> SIMD3<Double> { i == u || i == v ? c.target : pos[i] }
            for t in around[u] + around[v] where alive[t] && !shared.contains(t) {
                let w = tris[t], before = normal(w, pos)
                let a = at(w[0]), e = at(w[1]) - a, f = at(w[2]) - a
                let after = SIMD3(e.y * f.z - e.z * f.y, e.z * f.x - e.x * f.z, e.x * f.y - e.y * f.x)
                if (before * after).sum() <= 0 {
                    flips = true
                    break
                }
            }
            guard !flips else { continue }
            pos[u] = c.target
            if !normals.isEmpty {
                let n = normals[u] + normals[v]
                let l = (n * n).sum().squareRoot()
                normals[u] = l > 0 ? n / l : normals[u]
            }
            if !colours.isEmpty { colours[u] = 0.5 * (colours[u] + colours[v]) }
            quadric[u] = quadric[u] + quadric[v]
            removed[v] = true
            for t in shared {
                alive[t] = false
                count -= 1
            }
            for t in around[v] where alive[t] {
                for i in 0..<3 where tris[t][i] == v { tris[t][i] = u }
                around[u].append(t)
            }
            around[u] = around[u].filter { alive[$0] }
            version[u] += 1
            for w in neighbours(u) { push(candidate(min(u, w), max(u, w))) }
        }
        // Compact.
        var out = TriangleMesh()
        var remap = [Int32](repeating: -1, count: pos.count)
        for (t, v) in tris.enumerated() where alive[t] {
            var ids = SIMD3<Int32>()
            for k in 0..<3 {
                let i = v[k]
                if remap[i] < 0 {
                    remap[i] = Int32(out.positions.count)
                    out.positions.append(SIMD3(Float(pos[i].x), Float(pos[i].y), Float(pos[i].z)))
                    if !normals.isEmpty { out.normals.append(normals[i]) }
                    if !colours.isEmpty { out.colours.append(colours[i]) }
                }
                ids[k] = remap[i]
            }
            out.triangles.append(ids)
        }
        return out
    }
}
