import Geometry
import NeuralCore
import XCTest

/// A lattice (N, N, N) over [-1, 1]³ from f, with a border of `outside` so the surface closes.
func lattice(_ N: Int, _ f: (SIMD3<Float>) -> Float, outside: Float = -1) -> [Float] {
    var v = [Float](repeating: 0, count: N * N * N)
    for x in 0..<N {
        for y in 0..<N {
            for z in 0..<N {
                let border = [x, y, z].contains(0) || [x, y, z].contains(N - 1)
                let p = SIMD3(Float(x), Float(y), Float(z)) / Float(N - 1) * 2 - 1
                v[(x * N + y) * N + z] = border ? outside : f(p)
            }
        }
    }
    return v
}

func extract(_ v: [Float], _ N: Int) -> TriangleMesh {
    v.withUnsafeBufferPointer {
        MarchingCubes.extract(
            values: $0.baseAddress!, X: N, Y: N, Z: N, iso: 0, origin: SIMD3(repeating: -1),
            spacing: 2 / Float(N - 1))
    }
}

final class MarchingCubesTests: XCTestCase {
    /// A sphere: closed, its area within 2% of 4πr², every triangle wound outward.
    func testSphereIsClosedOutwardAndTheRightSize() {
        let N = 41, r: Float = 0.713  // no lattice vertex exactly on the surface
        let mesh = extract(lattice(N) { r - ($0 * $0).sum().squareRoot() }, N)
        XCTAssertTrue(mesh.isClosed)
        var area: Float = 0
        for t in mesh.triangles {
            let a = mesh.positions[Int(t.x)], b = mesh.positions[Int(t.y)], c = mesh.positions[Int(t.z)]
            let n = cross(b - a, c - a)
            area += 0.5 * (n * n).sum().squareRoot()
            XCTAssertGreaterThan((n * (a + b + c)).sum(), 0, "wound inward")
        }
        XCTAssertEqual(area, 4 * .pi * r * r, accuracy: 0.02 * 4 * .pi * r * r)
        for p in mesh.positions { XCTAssertEqual((p * p).sum().squareRoot(), r, accuracy: 0.01) }
    }

    /// Noise is all ambiguous faces and saddles: the surface must still close everywhere, and a
    /// component filter keeps the big pieces only.
    func testNoiseGivesAClosedSurface() {
        var rng = SplitMix64(seed: 3)
        let N = 18
        let v = lattice(N) { _ in rng.nextFloat() - 0.5 }
        let mesh = extract(v, N)
        XCTAssertGreaterThan(mesh.triangles.count, 1000)
        XCTAssertEqual(mesh.openEdges, 0)
        let (_, sizes) = mesh.components()
        XCTAssertGreaterThan(sizes.count, 1)
        let big = mesh.keepingComponents(largerThan: 0.1)
        XCTAssertTrue(big.isClosed)
        XCTAssertLessThan(big.triangles.count, mesh.triangles.count)
        XCTAssertEqual(
            big.components().sizes.count, sizes.filter { Double($0) >= 0.1 * Double(mesh.triangles.count) }.count)
    }

    func testTableEndsAreEmptyAndEveryOtherCaseHasTriangles() {
        XCTAssertTrue(MarchingCubes.table[0].isEmpty)
        XCTAssertTrue(MarchingCubes.table[255].isEmpty)
        for m in 1..<255 {
            XCTAssertFalse(MarchingCubes.table[m].isEmpty, "case \(m)")
            XCTAssertEqual(MarchingCubes.table[m].count % 3, 0)
        }
        XCTAssertEqual(MarchingCubes.table[1].count, 3, "one corner in: one triangle")
    }
}

final class MeshSimplificationTests: XCTestCase {
    /// A closed sphere simplified to a tenth stays closed, keeps its colours, and its vertices stay
    /// near the sphere.
    func testSimplifiedSphereStaysClosedAndClose() {
        let N = 41, r: Float = 0.713
        var mesh = extract(lattice(N) { r - ($0 * $0).sum().squareRoot() }, N)
        mesh.colours = mesh.positions.map { _ in SIMD3(0.2, 0.4, 0.6) }
        let small = MeshSimplification.simplify(mesh, maxTriangles: mesh.triangles.count / 10)
        XCTAssertLessThanOrEqual(small.triangles.count, mesh.triangles.count / 10)
        XCTAssertGreaterThan(small.triangles.count, mesh.triangles.count / 20)
        XCTAssertTrue(small.isClosed)
        XCTAssertEqual(small.colours.count, small.positions.count)
        for p in small.positions { XCTAssertEqual((p * p).sum().squareRoot(), r, accuracy: 0.03) }
    }
}
