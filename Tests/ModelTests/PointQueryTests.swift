import Datasets
import NeuralCore
import XCTest

@testable import Model

/// The one chunked point query: its answer does not depend on the chunk size, a point seen from the
/// light equals a point seen along `towards` = the light's direction, and the dense lattice query
/// (the occupancy grid's) is this query at the lattice's points.
final class PointQueryTests: XCTestCase {
    func testChunksDirectionsAndLattice() {
        var rng = SplitMix64(seed: 3)
        let field = FieldSpec(tinyLitTriplane()).makeField(rng: &rng)
        let code = (0..<field.spec.codeDim).map { _ in rng.nextNormal() * 0.3 }
        let state = field.state(of: code)
        let N = 37
        let points = (0..<(3 * N)).map { _ in rng.nextFloat() * 1.8 - 0.9 }  // (N, 3)
        let whole = field.query(state: state.data, points: points, count: N, chunk: N)
        for chunk in [1, 5, 16] {
            let parts = field.query(state: state.data, points: points, count: N, chunk: chunk)
            for i in 0..<N {
                XCTAssertEqual(parts.sigma[i], whole.sigma[i], accuracy: 1e-5 * max(1, abs(whole.sigma[i])))
            }
            for i in 0..<(3 * N) { XCTAssertEqual(parts.rgb[i], whole.rgb[i], accuracy: 1e-5) }
        }
        let light = ViewLight.canonical
        let towardsLight = field.query(
            state: state.data, points: points, count: N, chunk: N, light: light, towards: { _ in light.direction })
        XCTAssertEqual(towardsLight.rgb, whole.rgb)
        // Another eye moves the lit colour (the highlight), never the density.
        let fromBelow = field.query(
            state: state.data, points: points, count: N, chunk: N, towards: { _ in SIMD3(0, 0, -1) })
        XCTAssertEqual(fromBelow.sigma, whole.sigma)
        XCTAssertNotEqual(fromBelow.rgb, whole.rgb)
        XCTAssertTrue(field.query(state: state.data, points: points, count: 0, chunk: 4).sigma.isEmpty)
        // The dense lattice: vertex (x, y, z) at ((x, y, z) / (L - 1) * 2 - 1) * box.
        let L = 3
        let dense = field.denseQuery(state: state.data, vertices: L)
        let box = Float(field.spec.box)
        let lattice = (0..<(L * L * L)).flatMap { i -> [Float] in
            let (x, y, z) = (i / (L * L), (i / L) % L, i % L)
            return [x, y, z].map { (Float($0) / Float(L - 1) * 2 - 1) * box }
        }
        let direct = field.query(state: state.data, points: lattice, count: L * L * L, chunk: L * L * L)
        // The lattice asks for density only: the same density, and no colour computed.
        XCTAssertEqual(dense, direct.sigma)
        let densityOnly = field.query(
            state: state.data, points: lattice, count: L * L * L, chunk: L * L * L, densityOnly: true)
        XCTAssertEqual(densityOnly.sigma, direct.sigma)
    }

    /// The albedo query takes the light out: the same colour under any light and from any eye, the
    /// same density, and the shaded colour is the albedo lit (darker in the dark, brighter in the key).
    func testAlbedoIgnoresTheLight() {
        var rng = SplitMix64(seed: 4)
        let field = FieldSpec(tinyLitTriplane()).makeField(rng: &rng)
        let code = (0..<field.spec.codeDim).map { _ in rng.nextNormal() * 0.3 }
        let state = field.state(of: code)
        let N = 29
        let points = (0..<(3 * N)).map { _ in rng.nextFloat() * 1.8 - 0.9 }  // (N, 3)
        var dim = ViewLight.canonical
        dim.key *= 0.2
        dim.sky *= 0.2
        let a = field.query(state: state.data, points: points, count: N, chunk: N, albedo: true)
        let b = field.query(
            state: state.data, points: points, count: N, chunk: N, light: dim, towards: { _ in SIMD3(0, 0, -1) },
            albedo: true)
        XCTAssertEqual(a.rgb, b.rgb)
        let lit = field.query(state: state.data, points: points, count: N, chunk: N)
        let dark = field.query(state: state.data, points: points, count: N, chunk: N, light: dim)
        XCTAssertEqual(a.sigma, lit.sigma)
        XCTAssertNotEqual(a.rgb, lit.rgb)
        for k in 0..<(3 * N) {
            XCTAssertTrue(a.rgb[k] > 0 && a.rgb[k] < 1)
            XCTAssertLessThan(dark.rgb[k], lit.rgb[k])
        }
    }
}
