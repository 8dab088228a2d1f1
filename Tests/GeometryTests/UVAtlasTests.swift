import Geometry
import XCTest

final class UVAtlasTests: XCTestCase {
    /// An asymmetric closed surface: a rounded box, longer in x, with a bump on one side.
    static func shape() -> TriangleMesh {
        let N = 49
        return extract(
            lattice(N) { p in
                let q = SIMD3(p.x / 0.85, p.y / 0.5, p.z / 0.4)
                let box = pow(pow(abs(q.x), 4) + pow(abs(q.y), 4) + pow(abs(q.z), 4), 0.25)
                let bump = 0.25 - ((p - SIMD3(0.3, 0.45, 0.1)) * (p - SIMD3(0.3, 0.45, 0.1))).sum().squareRoot()
                return max(0.9 - box, bump)
            }, N)
    }

    /// Every coordinate in the atlas, each vertex a copy of its source, no chart mirrored or folded
    /// (every triangle keeps one winding in the texture), and no texel claimed by two charts.
    func testChartsArePackedWithoutOverlapOrFlips() {
        let mesh = Self.shape()
        XCTAssertTrue(mesh.isClosed)
        let S = 512
        let atlas = UVAtlas.build(mesh, size: S)
        let out = atlas.mesh
        XCTAssertEqual(out.triangles.count, mesh.triangles.count)
        XCTAssertEqual(out.uvs.count, out.positions.count)
        XCTAssertGreaterThan(atlas.charts, 5)
        XCTAssertGreaterThan(atlas.coverage, 0.3, "the charts fill a fair share of the atlas")
        for (i, uv) in out.uvs.enumerated() {
            XCTAssertTrue(uv.x > 0 && uv.x < 1 && uv.y > 0 && uv.y < 1, "uv \(uv)")
            XCTAssertEqual(out.positions[i], mesh.positions[Int(atlas.sourceVertex[i])])
        }
        var claimed = [Int32](repeating: -1, count: S * S)
        var negative = 0
        for (t, tri) in out.triangles.enumerated() {
            let q = [tri.x, tri.y, tri.z].map { out.uvs[Int($0)] * Float(S) }
            let area = (q[1].x - q[0].x) * (q[2].y - q[0].y) - (q[1].y - q[0].y) * (q[2].x - q[0].x)
            if area < 0 { negative += 1 }
            // Seen from outside, counter-clockwise; in a texture whose v runs down, clockwise: all alike.
            let chart = atlas.chartOf[t]
            let lo = pointwiseMin(q[0], pointwiseMin(q[1], q[2])), hi = pointwiseMax(q[0], pointwiseMax(q[1], q[2]))
            for y in Int(lo.y)...min(S - 1, Int(hi.y)) {
                for x in Int(lo.x)...min(S - 1, Int(hi.x)) {
                    let c = SIMD2(Float(x) + 0.5, Float(y) + 0.5)
                    let w1 = ((c.x - q[0].x) * (q[2].y - q[0].y) - (c.y - q[0].y) * (q[2].x - q[0].x)) / area
                    let w2 = ((q[1].x - q[0].x) * (c.y - q[0].y) - (q[1].y - q[0].y) * (c.x - q[0].x)) / area
                    guard w1 >= 0, w2 >= 0, w1 + w2 <= 1 else { continue }
                    if claimed[y * S + x] >= 0 && claimed[y * S + x] != chart {
                        return XCTFail("texel (\(x), \(y)) lies in charts \(claimed[y * S + x]) and \(chart)")
                    }
                    claimed[y * S + x] = chart
                }
            }
        }
        XCTAssertTrue(negative == 0 || negative == out.triangles.count, "\(negative) of \(out.triangles.count) flipped")
        XCTAssertEqual(negative, out.triangles.count, "a chart reads as the camera on its side sees it")
    }

    /// The texel density is the same on every chart: a triangle facing its axis squarely covers
    /// density² texels per unit area.
    func testOneDensityForEveryChart() {
        let mesh = Self.shape()
        let atlas = UVAtlas.build(mesh, size: 512)
        let out = atlas.mesh, d = atlas.texelsPerUnit
        var checked = 0
        for tri in out.triangles {
            let p = [tri.x, tri.y, tri.z].map { out.positions[Int($0)] }
            let n = cross(p[1] - p[0], p[2] - p[0])
            let area3 = 0.5 * (n * n).sum().squareRoot()
            let facing = [abs(n.x), abs(n.y), abs(n.z)].max()! / (2 * area3)
            guard facing > 0.999, area3 > 1e-4 else { continue }
            let q = [tri.x, tri.y, tri.z].map { out.uvs[Int($0)] * 512 }
            let areaUV = 0.5 * abs((q[1].x - q[0].x) * (q[2].y - q[0].y) - (q[1].y - q[0].y) * (q[2].x - q[0].x))
            XCTAssertEqual(areaUV, d * d * area3, accuracy: 0.01 * d * d * area3)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 20)
    }
}
