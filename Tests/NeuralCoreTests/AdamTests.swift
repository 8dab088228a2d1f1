import NeuralCore
import TestSupport
import XCTest

final class AdamTests: XCTestCase {
    func testFirstStepHasLearningRateMagnitude() {
        // With bias correction, Adam's first step is lr * sign(g) (up to eps) whatever |g| is.
        let p = Tensor([3], values: [1, 1, 1]), g = Tensor([3], values: [1e-3, -5, 200])
        let adam = Adam()
        adam.beginStep()
        adam.update("p", param: p, grad: g, lr: 0.1)
        XCTAssertEqual(p[0], 0.9, accuracy: 1e-4)
        XCTAssertEqual(p[1], 1.1, accuracy: 1e-4)
        XCTAssertEqual(p[2], 0.9, accuracy: 1e-4)
    }

    func testMinimisesQuadratic() {
        var rng = SplitMix64(seed: 30)
        let target = random([10], &rng), p = Tensor([10]), g = Tensor([10])
        let adam = Adam()
        for _ in 0..<500 {
            adam.beginStep()
            g.zero()
            MSELoss.backward(dPred: g.data, dLoss: 1, pred: p.data, target: target.data, N: 10)
            adam.update("p", param: p, grad: g, lr: 0.05)
        }
        XCTAssertLessThan(MSELoss.forward(pred: p.data, target: target.data, N: 10), 1e-4)
    }

    func testStateRoundTrip() {
        let p = Tensor([2], values: [1, 2]), g = Tensor([2], values: [0.5, -0.5])
        let a = Adam()
        a.beginStep()
        a.update("w", param: p, grad: g, lr: 0.01)
        let b = Adam()
        b.restore(
            step: a.step, tensors: Dictionary(uniqueKeysWithValues: a.stateTensors().map { ($0.0, $0.1.clone()) }))
        let p2 = p.clone()
        a.beginStep()
        a.update("w", param: p, grad: g, lr: 0.01)
        b.beginStep()
        b.update("w", param: p2, grad: g, lr: 0.01)
        XCTAssertEqual(p.array, p2.array)
    }
}
