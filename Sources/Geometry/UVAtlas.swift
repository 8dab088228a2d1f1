import Foundation

// A texture atlas for a closed mesh. V vertices, T triangles, K charts, S the atlas side in texels.

/// Cuts a mesh into charts and lays them out in one square texture at one texel density.
///
/// Each triangle takes the one of six axis directions (±x, ±y, ±z) its normal is nearest, and a
/// chart is a connected patch of triangles with the same direction, projected orthographically
/// along it. Within a chart every triangle faces its projection axis (the angle is at most 54.7°),
/// so no triangle flips and the stretch is at most 1/cos 54.7° = 1.73 along one direction. The
/// charts' rectangles are packed in shelves, tallest first, at the largest density that fits, with
/// `padding` texels around each so that filtering never mixes charts. A vertex on a chart
/// boundary is split: one copy per chart that uses it.
///
/// Written by hand rather than with CGAL's `Surface_mesh_parameterization`: that maps one
/// disk-like patch at a time, so a closed mesh would still need cutting into charts and packing
/// (what this does), and its templates would add minutes to every fresh build.
public enum UVAtlas {
    public struct Result: Sendable {
        /// The mesh with `uvs` set (glTF's convention: u right, v down from the image's top row),
        /// its vertices split along chart boundaries.
        public var mesh: TriangleMesh
        /// The source vertex of each vertex of `mesh`.
        public var sourceVertex: [Int32]  // (V')
        /// Chart of each triangle.
        public var chartOf: [Int32]  // (T)
        public var charts: Int
        /// Texels per unit of length (the mesh's units) on a chart's projection plane.
        public var texelsPerUnit: Float
        /// Fraction of the atlas the charts' triangles cover.
        public var coverage: Double
    }

    /// The six projection axes.
    static let axes: [SIMD3<Float>] = [
        SIMD3(1, 0, 0), SIMD3(-1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, -1, 0), SIMD3(0, 0, 1), SIMD3(0, 0, -1),
    ]

    /// Label smoothing passes: a triangle outvoted by its three neighbours joins them when it
    /// still faces their axis, which removes most one-triangle charts of a marching-cubes surface.
    static let smoothingPasses = 3

    /// The two in-plane coordinates of a point projected along axis `a`: the image a camera on
    /// that side sees (right, down), up +z for the four sides and +y from above and below, so a
    /// chart reads the right way round in the texture.
    @inline(__always) static func project(_ p: SIMD3<Float>, axis a: Int) -> SIMD2<Float> {
        switch a {
        case 0: return SIMD2(p.y, -p.z)
        case 1: return SIMD2(-p.y, -p.z)
        case 2: return SIMD2(-p.x, -p.z)
        case 3: return SIMD2(p.x, -p.z)
        case 4: return SIMD2(p.x, -p.y)
        default: return SIMD2(-p.x, -p.y)
        }
    }

    /// `mesh` (closed or not) cut into charts and packed in an atlas of S x S texels.
    public static func build(_ mesh: TriangleMesh, size S: Int, padding: Int = 2) -> Result {
        let T = mesh.triangles.count
        let P = mesh.positions
        func corners(_ t: Int) -> (Int, Int, Int) {
            let tri = mesh.triangles[t]
            return (Int(tri.x), Int(tri.y), Int(tri.z))
        }
        // Face normals and their axis.
        var normal = [SIMD3<Float>](repeating: .zero, count: T)
        var label = [Int](repeating: 0, count: T)
        for t in 0..<T {
            let (a, b, c) = corners(t)
            let n = cross(P[b] - P[a], P[c] - P[a])
            let len = (n * n).sum().squareRoot()
            normal[t] = len > 0 ? n / len : SIMD3(0, 0, 1)
            label[t] = (0..<6).max { (normal[t] * axes[$0]).sum() < (normal[t] * axes[$1]).sum() }!
        }
        // Edge neighbours.
        var edgeFaces: [UInt64: [Int]] = [:]
        edgeFaces.reserveCapacity(T * 3 / 2)
        for t in 0..<T {
            let (a, b, c) = corners(t)
            for (x, y) in [(a, b), (b, c), (c, a)] {
                edgeFaces[UInt64(min(x, y)) << 32 | UInt64(max(x, y)), default: []].append(t)
            }
        }
        var neighbours = [[Int]](repeating: [], count: T)
        for faces in edgeFaces.values where faces.count == 2 {
            neighbours[faces[0]].append(faces[1])
            neighbours[faces[1]].append(faces[0])
        }
        // A triangle may join a neighbouring label only if it faces that axis well enough that the
        // projection cannot flip it (cos > 0.2).
        for _ in 0..<smoothingPasses {
            var next = label
            for t in 0..<T {
                var votes = [Int](repeating: 0, count: 6)
                for n in neighbours[t] { votes[label[n]] += 1 }
                let best = (0..<6).max { votes[$0] < votes[$1] }!
                if best != label[t] && votes[best] >= 2 && votes[label[t]] == 0 && (normal[t] * axes[best]).sum() > 0.2
                {
                    next[t] = best
                }
            }
            label = next
        }
        // Charts: connected same-label patches (union-find over shared edges).
        var sets = DisjointSets(count: T)
        for t in 0..<T { for n in neighbours[t] where label[n] == label[t] { sets.union(t, n) } }
        var chartIndex: [Int: Int] = [:]
        var chartOf = [Int32](repeating: 0, count: T)
        var chartAxis: [Int] = []
        for t in 0..<T {
            let root = sets.find(t)
            if chartIndex[root] == nil {
                chartIndex[root] = chartAxis.count
                chartAxis.append(label[t])
            }
            chartOf[t] = Int32(chartIndex[root]!)
        }
        let K = chartAxis.count
        // Each chart's projected bounds.
        var lo = [SIMD2<Float>](repeating: SIMD2(repeating: .infinity), count: K)
        var hi = [SIMD2<Float>](repeating: SIMD2(repeating: -.infinity), count: K)
        for t in 0..<T {
            let k = Int(chartOf[t])
            let (a, b, c) = corners(t)
            for v in [a, b, c] {
                let q = project(P[v], axis: chartAxis[k])
                lo[k] = pointwiseMin(lo[k], q)
                hi[k] = pointwiseMax(hi[k], q)
            }
        }
        // The largest density at which the shelves fit, by bisection.
        let extents = (0..<K).map { hi[$0] - lo[$0] }
        let order = (0..<K).sorted { extents[$0].y > extents[$1].y }
        // First fit by decreasing height: each chart goes on the first shelf with room, else on a new one.
        func pack(_ density: Float) -> [SIMD2<Int>]? {
            var origin = [SIMD2<Int>](repeating: .zero, count: K)
            var shelves: [(y: Int, height: Int, used: Int)] = []
            var top = 0
            for k in order {
                let w = Int((extents[k].x * density).rounded(.up)) + 1 + 2 * padding
                let h = Int((extents[k].y * density).rounded(.up)) + 1 + 2 * padding
                if w > S { return nil }
                if let s = shelves.firstIndex(where: { S - $0.used >= w }) {
                    origin[k] = SIMD2(shelves[s].used + padding, shelves[s].y + padding)
                    shelves[s].used += w
                } else {
                    if top + h > S { return nil }
                    shelves.append((top, h, w))
                    origin[k] = SIMD2(padding, top + padding)
                    top += h
                }
            }
            return origin
        }
        let largest = extents.map { max($0.x, $0.y) }.max() ?? 1
        var low: Float = 0, high = Float(S) / max(largest, 1e-6)
        var best = pack(low) ?? [SIMD2<Int>](repeating: .zero, count: K)
        for _ in 0..<30 {
            let mid = (low + high) / 2
            if let placed = pack(mid) {
                low = mid
                best = placed
            } else {
                high = mid
            }
        }
        let density = low
        // Split vertices per chart and set their UVs (texel centres at half-integers).
        var out = TriangleMesh()
        var sourceVertex: [Int32] = []
        var copy: [UInt64: Int32] = [:]
        func vertex(_ v: Int, chart k: Int) -> Int32 {
            let key = UInt64(v) << 32 | UInt64(k)
            if let i = copy[key] { return i }
            let i = Int32(out.positions.count)
            copy[key] = i
            out.positions.append(P[v])
            if mesh.normals.count == P.count { out.normals.append(mesh.normals[v]) }
            if mesh.colours.count == P.count { out.colours.append(mesh.colours[v]) }
            let q = (project(P[v], axis: chartAxis[k]) - lo[k]) * density
            let texel = SIMD2<Float>(Float(best[k].x), Float(best[k].y)) + q + 0.5
            out.uvs.append(texel / Float(S))
            sourceVertex.append(Int32(v))
            return i
        }
        var covered: Double = 0
        for t in 0..<T {
            let k = Int(chartOf[t])
            let (a, b, c) = corners(t)
            out.triangles.append(SIMD3(vertex(a, chart: k), vertex(b, chart: k), vertex(c, chart: k)))
            let ua = out.uvs[Int(out.triangles[t].x)], ub = out.uvs[Int(out.triangles[t].y)]
            let uc = out.uvs[Int(out.triangles[t].z)]
            let e1 = ub - ua, e2 = uc - ua
            covered += Double(abs(e1.x * e2.y - e1.y * e2.x)) / 2
        }
        return Result(
            mesh: out, sourceVertex: sourceVertex, chartOf: chartOf, charts: K, texelsPerUnit: density,
            coverage: covered)
    }
}
