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

final class AttributeDirectionsTests: XCTestCase {
    /// Codes that carry two attributes along known axes plus noise: each step points along its
    /// axis with the codes' shift per standard deviation, R² is high, an independent step leaves
    /// the other attribute's prediction where it was, and the table survives a model file.
    func testStepsPredictionsIndependenceAndRoundTrip() throws {
        var rng = SplitMix64(seed: 8)
        let O = 600, D = 6
        let codes = Tensor([O, D])
        var values: [Float] = [], known: [Bool] = []
        for o in 0..<O {
            // Longer cars tend to have higher hues (correlated attributes); the codes hold length on
            // axis 0 and the rest of hue on axis 1.
            let length = rng.nextNormal(), own = rng.nextNormal()
            let hue = 0.6 * length + 0.8 * own
            let z: [Float] = [
                0.5 * length, 0.4 * own, 0.05 * rng.nextNormal(), 0.05 * rng.nextNormal(), 0.05 * rng.nextNormal(),
                0.05 * rng.nextNormal(),
            ]
            for d in 0..<D { codes[o * D + d] = z[d] }
            values += [1.5 + 0.1 * length, 100 + 20 * hue]
            known += [true, o % 5 != 0]  // some objects have no hue
        }
        let table = ObjectAttributeTable(names: ["length", "hue"], values: values, known: known)
        let dirs = try XCTUnwrap(AttributeDirections(codes: codes, table: table))
        XCTAssertGreaterThan(dirs.explained[0], 0.95)
        XCTAssertGreaterThan(dirs.explained[1], 0.95)
        XCTAssertEqual(dirs.deviations[0], 0.1, accuracy: 0.01)
        XCTAssertEqual(dirs.steps[0][0], 0.5, accuracy: 0.05, "the codes' shift per σ of length")
        let code = [Float](repeating: 0, count: D)
        let moved = dirs.moved(code, attribute: 0, amount: 1)
        XCTAssertEqual(dirs.predict(moved, attribute: 0) - dirs.predict(code, attribute: 0), 0.1, accuracy: 0.015)
        // The plain hue step also moves axis 0, which the length prediction reads (the axes are
        // mixed); the independent one leaves the predicted length where it was.
        let hueMoved = dirs.moved(code, attribute: 1, amount: 1)
        let plainLength = dirs.predict(hueMoved, attribute: 0) - dirs.predict(code, attribute: 0)
        let indepHue = dirs.moved(code, attribute: 1, amount: 1, independent: true)
        let indepLength = dirs.predict(indepHue, attribute: 0) - dirs.predict(code, attribute: 0)
        XCTAssertGreaterThan(abs(plainLength), 0.01)
        XCTAssertLessThan(abs(indepLength), 1e-4)
        XCTAssertGreaterThan(dirs.predict(indepHue, attribute: 1) - dirs.predict(code, attribute: 1), 5)
        let indep = dirs.moved(code, attribute: 0, amount: 1, independent: true)
        XCTAssertGreaterThan(dirs.predict(indep, attribute: 0) - dirs.predict(code, attribute: 0), 0.05)
        let back = try XCTUnwrap(
            ObjectAttributeTable.from(
                tensors: Dictionary(uniqueKeysWithValues: table.tensors.map { ($0.name, $0.tensor) }),
                names: table.names, objects: O))
        XCTAssertEqual(back.values, table.values)
        XCTAssertEqual(back.known, table.known)
        XCTAssertThrowsError(try ObjectAttributeTable.from(tensors: [:], names: ["length"], objects: O))
    }
}
