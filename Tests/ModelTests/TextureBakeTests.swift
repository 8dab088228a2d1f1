import Geometry
import Imaging
import Model
import XCTest

final class TextureBakeTests: XCTestCase {
    /// A decal on one side (x > 0.3, y > 0) lands where the mesh's coordinates say: the texel
    /// under each vertex's (u, v), read with row 0 at the top as glTF reads images, has the
    /// decal's colour exactly where the vertex is on the decal.
    func testAsymmetricDecalLandsOnItsSide() {
        let N = 41, r: Float = 0.713  // no lattice vertex on the surface: no zero-area triangles
        var values = [Float](repeating: -1, count: N * N * N)
        for x in 1..<(N - 1) {
            for y in 1..<(N - 1) {
                for z in 1..<(N - 1) {
                    let p = SIMD3(Float(x), Float(y), Float(z)) / Float(N - 1) * 2 - 1
                    values[(x * N + y) * N + z] = r - (p * p).sum().squareRoot()
                }
            }
        }
        let sphere = values.withUnsafeBufferPointer {
            MarchingCubes.extract(
                values: $0.baseAddress!, X: N, Y: N, Z: N, iso: 0, origin: SIMD3(repeating: -1),
                spacing: 2 / Float(N - 1))
        }
        let atlas = UVAtlas.build(sphere, size: 256)
        let red = SIMD3<Float>(0.9, 0.1, 0.1), grey = SIMD3<Float>(0.5, 0.5, 0.5)
        func decal(_ p: SIMD3<Float>) -> SIMD3<Float> { p.x > 0.3 && p.y > 0 ? red : grey }
        let baked = TextureBake.bake(mesh: atlas.mesh, size: 256) { points, _ in points.map(decal) }
        XCTAssertGreaterThan(baked.coveredTexels, 256 * 256 / 5)
        var onDecal = 0, agree = 0, clear = 0
        for (i, uv) in atlas.mesh.uvs.enumerated() {
            let p = atlas.mesh.positions[i]
            // Away from the decal's edge, so the texel's own point is on the same side.
            guard abs(p.x - 0.3) > 0.08 && abs(p.y) > 0.08 else { continue }
            clear += 1
            let x = min(255, Int(uv.x * 256)), y = min(255, Int(uv.y * 256))
            let k = 4 * (y * 256 + x)
            let texel = SIMD3(baked.image.pixels[k], baked.image.pixels[k + 1], baked.image.pixels[k + 2])
            if decal(p) == red { onDecal += 1 }
            if ((texel - decal(p)) * (texel - decal(p))).sum() < 0.01 {
                agree += 1
            }
        }
        XCTAssertGreaterThan(onDecal, 20)
        XCTAssertEqual(agree, clear, "\(clear - agree) of \(clear) vertices read another side's colour")
    }
}
