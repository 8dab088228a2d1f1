import Imaging
import XCTest

final class AnimatedGIFTests: XCTestCase {
    /// Three frames in, three frames out (giflib decodes them), looping, 1/12 s a frame, and the
    /// palette keeps a flat colour exact enough.
    func testFramesLoopAndColoursSurvive() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gif-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let frames = (0..<3).map { f -> RGBAImage in
            var img = RGBAImage(width: 40, height: 30)
            for y in 0..<30 {
                for x in 0..<40 {
                    img[x, y, 0] = x < 20 ? 0.9 : Float(x) / 40
                    img[x, y, 1] = x < 20 ? 0.1 : Float(y) / 30
                    img[x, y, 2] = Float(f) / 3
                }
            }
            return img
        }
        try AnimatedGIF.write(frames, delay: 1.0 / 12, to: dir + "/a.gif")
        let info = try AnimatedGIF.info(dir + "/a.gif")
        XCTAssertEqual(info.width, 40)
        XCTAssertEqual(info.height, 30)
        XCTAssertEqual(info.frames, 3)
        XCTAssertTrue(info.loops)
        XCTAssertEqual(info.firstDelay, 8)
        XCTAssertEqual(Int(info.firstPixel.x), 230, accuracy: 12)
        XCTAssertEqual(Int(info.firstPixel.y), 26, accuracy: 12)
        XCTAssertThrowsError(try AnimatedGIF.write([], delay: 0.1, to: dir + "/b.gif"))
        try "not a gif".write(toFile: dir + "/c.gif", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try AnimatedGIF.info(dir + "/c.gif")) { XCTAssertTrue("\($0)".contains("c.gif")) }
    }
}
