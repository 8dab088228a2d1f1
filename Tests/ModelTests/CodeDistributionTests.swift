import Model
import NeuralCore
import XCTest

final class CodeDistributionTests: XCTestCase {
    /// Codes spread 3:1 along a known direction: pc1 finds it with its deviation, pc2 the other,
    /// moves are measured in deviations, samples have the table's mean and spread.
    func testPrincipalDirectionsMovesAndSamples() throws {
        var rng = SplitMix64(seed: 5)
        let O = 4000, D = 3
        let axis: SIMD3<Float> = SIMD3(1, 1, 0) / Float(2).squareRoot()
        let other: SIMD3<Float> = SIMD3(1, -1, 0) / Float(2).squareRoot()
        let codes = Tensor([O, D])
        for o in 0..<O {
            let p =
                SIMD3<Float>(0.5, -0.2, 0.1) + 3 * rng.nextNormal() * axis + rng.nextNormal() * other
                + 0.1 * rng.nextNormal() * SIMD3(0, 0, 1)
            for d in 0..<D { codes[o * D + d] = p[d] }
        }
        let dist = try XCTUnwrap(CodeDistribution(codes: codes))
        XCTAssertEqual(dist.deviations[0], 3, accuracy: 0.15)
        XCTAssertEqual(dist.deviations[1], 1, accuracy: 0.05)
        XCTAssertEqual(dist.deviations[2], 0.1, accuracy: 0.01)
        let pc1 = SIMD3(dist.directions[0][0], dist.directions[0][1], dist.directions[0][2])
        XCTAssertEqual(abs((pc1 * axis).sum()), 1, accuracy: 0.01)
        XCTAssertEqual(dist.mean[0], 0.5, accuracy: 0.15)
        let moved = dist.moved([0, 0, 0], direction: 0, amount: 2)
        let length = moved.map { $0 * $0 }.reduce(0, +).squareRoot()
        XCTAssertEqual(length, 2 * dist.deviations[0], accuracy: 1e-4)
        var srng = SplitMix64(seed: 6)
        let samples = (0..<4000).map { _ in dist.sample(rng: &srng, truncation: 0.5) }
        let projected = samples.map { s in
            zip(s, dist.mean).enumerated().map { ($1.0 - $1.1) * dist.directions[0][$0] }.reduce(0, +)
        }
        let spread = (projected.map { $0 * $0 }.reduce(0, +) / Float(projected.count)).squareRoot()
        XCTAssertEqual(spread, 0.5 * dist.deviations[0], accuracy: 0.1)
        XCTAssertEqual(CodeDistribution.interpolate([0, 2], [4, 6], t: 0.25), [1, 3])
        XCTAssertNil(CodeDistribution(codes: Tensor([1, 3])))
    }
}
