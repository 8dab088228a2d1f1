import Model
import XCTest

final class LearningRateScheduleTests: XCTestCase {
    func testWarmupRampThenFlatThenCosineDecay() {
        func scale(_ s: Int, warmup: Int = 0) -> Float {
            LearningRateSchedule.scale(step: s, steps: 1000, decayFraction: 0.4, finalScale: 0.05, warmup: warmup)
        }
        XCTAssertEqual(scale(0, warmup: 100), 0)
        XCTAssertEqual(scale(50, warmup: 100), 0.5, accuracy: 1e-6)
        XCTAssertEqual(scale(100, warmup: 100), 1)
        XCTAssertEqual(scale(0), 1)
        XCTAssertEqual(scale(600), 1)
        XCTAssertEqual(scale(800), 0.525, accuracy: 1e-5)  // half-way down the cosine
        XCTAssertEqual(scale(1000), 0.05, accuracy: 1e-6)
        XCTAssertEqual(scale(5000), 0.05, accuracy: 1e-6)  // past the end: the floor, not a rebound
        // A warm-up longer than the flat part scales the decay too, never exceeding it.
        XCTAssertEqual(scale(800, warmup: 1600), 0.525 * 0.5, accuracy: 1e-5)
    }
}
