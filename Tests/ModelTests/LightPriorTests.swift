import Datasets
import Model
import TestSupport
import XCTest

final class LightPriorTests: XCTestCase {
    /// Three packed lights: one inside the training elevations, one below them, one above; the
    /// backward matches central differences on every float, with and without the anchor.
    func testBackwardMatchesCentralDifferences() {
        let packed: [Float] = [
            0.3, 0.5, 0.8, 0.2, 0.25, 0.15, 0.5, 0.45, 0.4,
            0.9, 0.1, 0.12, 0.9, 1.0, 0.8, 0.1, 0.12, 0.2,
            0.05, 0.02, 0.999, 0.6, 0.7, 0.65, 0.3, 0.35, 0.33,
        ]
        let starts = [ViewLight.canonical, ViewLight(packed: Array(packed[9..<18])), .canonical]
        for anchored in [false, true] {
            var prior = LightPrior()
            prior.weight = 0.7
            prior.anchored = anchored
            let lights = Tensor([3, ViewLight.count], values: packed)
            checkGradients(
                "light prior (anchored: \(anchored))", inputs: [lights], eps: 1e-3, rtol: 1e-2, atol: 1e-3,
                forward: { Tensor([1], values: [prior.forward(lights: lights.data, starts: starts)]) },
                backward: { dOut, grads in
                    // The prior's backward adds d(value)/d(lights) for an upstream gradient of 1.
                    let d = Tensor([3, ViewLight.count])
                    prior.backward(dLights: d.data, lights: lights.data, starts: starts)
                    for i in 0..<d.count { grads[0][i] += dOut[0] * d[i] }
                })
        }
    }

    /// The value is zero at the centre inside the elevations, grows with the intensity's distance
    /// in spreads, and is off at weight 0.
    func testValueIsTheSquaredDistanceInSpreads() {
        var prior = LightPrior()
        prior.weight = 2
        var light = ViewLight.canonical
        light.key = SIMD3(repeating: prior.keyMean)
        light.sky = SIMD3(repeating: prior.skyMean)
        XCTAssertEqual(value(prior, light), 0)
        light.key = SIMD3(repeating: prior.keyMean - 2 * prior.keySigma)
        XCTAssertEqual(
            value(prior, light), 2 * 4, accuracy: 1e-4)
        // Anchored at the start, the start itself costs nothing.
        prior.anchored = true
        XCTAssertEqual(value(prior, light), 0)
        prior.weight = 0
        prior.anchored = false
        XCTAssertEqual(value(prior, light), 0)
    }

    /// The prior of one light started at itself (the tensor kept alive while it is read).
    func value(_ prior: LightPrior, _ light: ViewLight) -> Float {
        let t = Tensor([1, ViewLight.count], values: light.packed)
        return withExtendedLifetime(t) { prior.forward(lights: t.data, starts: [light]) }
    }
}
