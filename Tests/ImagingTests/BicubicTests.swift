import Imaging
import XCTest

final class BicubicTests: XCTestCase {
    /// Cubic convolution reproduces a linear ramp exactly away from the clamped edges, keeps a
    /// constant image constant, and matches a pixel-aligned copy at scale 1.
    func testRampsConstantsAndIdentity() {
        let W = 8
        var ramp = RGBAImage(width: W, height: W)
        for y in 0..<W {
            for x in 0..<W {
                ramp[x, y, 0] = 0.1 * Float(x) / Float(W - 1) + 0.5
                ramp[x, y, 1] = 0.3
                ramp[x, y, 2] = 0.8 * Float(y) / Float(W - 1)
            }
        }
        let big = Bicubic.resize(ramp, width: 32, height: 32)
        for y in 8..<24 {
            for x in 8..<24 {
                let sx = (Double(x) + 0.5) * Double(W) / 32 - 0.5, sy = (Double(y) + 0.5) * Double(W) / 32 - 0.5
                XCTAssertEqual(Double(big[x, y, 0]), 0.1 * sx / Double(W - 1) + 0.5, accuracy: 1e-5)
                XCTAssertEqual(big[x, y, 1], 0.3, accuracy: 1e-6)
                XCTAssertEqual(Double(big[x, y, 2]), 0.8 * sy / Double(W - 1), accuracy: 1e-5)
            }
        }
        XCTAssertEqual(Bicubic.resize(ramp, width: W, height: W).pixels, ramp.pixels)
    }
}
