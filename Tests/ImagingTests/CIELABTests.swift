import Imaging
import XCTest

final class CIELABTests: XCTestCase {
    /// Published L*a*b* (D65) of sRGB white, black, red, blue and 50% grey, and ΔE between them.
    func testReferenceColours() {
        func near(_ p: SIMD3<Double>, _ q: SIMD3<Double>, _ tol: Double, _ what: String) {
            XCTAssertLessThan(CIELAB.deltaE(p, q), tol, "\(what): \(p) against \(q)")
        }
        near(CIELAB.lab(srgb: 1, 1, 1), SIMD3(100, 0, 0), 0.01, "white")
        near(CIELAB.lab(srgb: 0, 0, 0), SIMD3(0, 0, 0), 1e-9, "black")
        near(CIELAB.lab(srgb: 1, 0, 0), SIMD3(53.24, 80.09, 67.20), 0.05, "red")
        near(CIELAB.lab(srgb: 0, 0, 1), SIMD3(32.30, 79.19, -107.86), 0.05, "blue")
        near(CIELAB.lab(srgb: 0.5, 0.5, 0.5), SIMD3(53.39, 0, 0), 0.05, "grey")
        XCTAssertEqual(CIELAB.deltaE(SIMD3(50, 3, 4), SIMD3(50, 0, 0)), 5, accuracy: 1e-12)
    }

    /// The mean ΔE reads only masked pixels, counts a dark error as a visible one, and is nil for an
    /// empty mask.
    func testMeanDeltaEOverAMask() {
        var a = RGBAImage(width: 2, height: 1), b = RGBAImage(width: 2, height: 1)
        // Pixel 0: black against a very dark green (RGB error 0.06, clearly visible in Lab);
        // pixel 1: wildly different but masked out.
        for c in 0..<3 { a[0, 0, c] = 0.02 }
        b[0, 0, 0] = 0.02
        b[0, 0, 1] = 0.08
        b[0, 0, 2] = 0.02
        a[1, 0, 0] = 1
        let e = Metrics.meanDeltaE(a, b, mask: [true, false])!
        XCTAssertGreaterThan(e, 5)
        XCTAssertEqual(
            e, CIELAB.deltaE(CIELAB.lab(srgb: 0.02, 0.02, 0.02), CIELAB.lab(srgb: 0.02, 0.08, 0.02)), accuracy: 1e-12)
        XCTAssertNil(Metrics.meanDeltaE(a, b, mask: [false, false]))
    }
}
