import Imaging
import XCTest

final class HoleFillTests: XCTestCase {
    /// A hole in a two-colour image fills from its edges: pixels next to the red side turn red,
    /// next to the blue side blue, the visible pixels stay, and a fully hidden image is left as it is.
    func testFillsFromTheEdges() {
        let W = 8, H = 4
        var rgb = [Float](repeating: 0, count: W * H * 3)  // (H, W, 3)
        for y in 0..<H { for x in 0..<W { rgb[3 * (y * W + x) + (x < 4 ? 0 : 2)] = 1 } }
        var hidden = [Bool](repeating: false, count: W * H)
        for y in 1..<3 { for x in 2..<6 { hidden[y * W + x] = true } }
        var damaged = rgb
        for p in 0..<(W * H) where hidden[p] { for c in 0..<3 { damaged[3 * p + c] = 0.5 } }
        let filled = HoleFill.fill(damaged, hidden: hidden, width: W, height: H)
        XCTAssertEqual(filled[3 * (1 * W + 2)], 1, accuracy: 1e-6)  // red side
        XCTAssertEqual(filled[3 * (1 * W + 5) + 2], 1, accuracy: 1e-6)  // blue side
        XCTAssertEqual(filled[3 * (1 * W + 3) + 1], 0, accuracy: 1e-6)  // no trace of the grey
        for p in 0..<(W * H) where !hidden[p] { for c in 0..<3 { XCTAssertEqual(filled[3 * p + c], rgb[3 * p + c]) } }
        let all = [Bool](repeating: true, count: W * H)
        XCTAssertEqual(HoleFill.fill(damaged, hidden: all, width: W, height: H), damaged)
    }
}
