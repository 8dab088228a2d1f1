import Foundation
import NeuralCore
import XCTest

/// The inlined exp and log against libm in Double, over the ranges the colour head uses and beyond.
final class FastMathTests: XCTestCase {
    func relative(_ a: Float, _ b: Double) -> Double { abs(Double(a) - b) / max(abs(b), 1e-30) }

    func testExpMatchesLibm() {
        var worst = 0.0
        for i in 0...200_000 {
            let x = -87 + Float(i) * (175 / 200_000)
            worst = max(worst, relative(FastMath.exp(x), Foundation.exp(Double(x))))
        }
        XCTAssertLessThan(worst, 3e-7)
        XCTAssertEqual(FastMath.exp(0), 1)
        XCTAssertFalse(FastMath.exp(200).isInfinite)  // clamped, not inf
        XCTAssertGreaterThanOrEqual(FastMath.exp(-200), 0)
    }

    func testLogMatchesLibm() {
        var worst = 0.0
        var x: Float = 1e-30
        while x < 1e30 {
            worst = max(
                worst, abs(Double(FastMath.log(x)) - Foundation.log(Double(x))) / max(1, abs(Foundation.log(Double(x))))
            )
            x *= 1.0137
        }
        XCTAssertLessThan(worst, 3e-7)
        for x: Float in [0.5, 0.70710677, 0.7071068, 1, 1.5, 2, 3] {
            XCTAssertLessThan(abs(Double(FastMath.log(x)) - Foundation.log(Double(x))), 2e-7, "\(x)")
        }
    }

    func testSoftplusSigmoidPow() {
        var worst = 0.0
        for i in 0...20_000 {
            let x = -30 + Float(i) * (60 / 20_000)
            let sp = Foundation.log1p(Foundation.exp(Double(x)))
            worst = max(worst, abs(Double(FastMath.softplus(x)) - sp) / max(sp, 1e-6))
            let sg = 1 / (1 + Foundation.exp(-Double(x)))
            XCTAssertLessThan(abs(Double(FastMath.sigmoid(x)) - sg), 1e-7 + 1e-6 * sg)
        }
        XCTAssertLessThan(worst, 2e-6)
        for x: Float in [0.0031308, 0.01, 0.2, 0.5, 1, 3] {
            XCTAssertLessThan(relative(FastMath.pow(x, 1 / 2.4), Foundation.pow(Double(x), 1 / 2.4)), 1e-6, "\(x)")
        }
    }
}
