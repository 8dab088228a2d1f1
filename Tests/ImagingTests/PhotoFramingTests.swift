import Imaging
import XCTest

final class PhotoFramingTests: XCTestCase {
    /// A grey square object on a coloured background, at (x0, y0) with side s.
    func photo(
        width W: Int, height H: Int, x0: Int, y0: Int, side s: Int, background: (Float, Float, Float) = (1, 1, 1)
    ) -> RGBAImage {
        var img = RGBAImage(width: W, height: H, fill: (background.0, background.1, background.2, 1))
        for y in y0..<min(H, y0 + s) {
            for x in x0..<min(W, x0 + s) { for c in 0..<3 { img.pixels[4 * (y * W + x) + c] = 0.3 } }
        }
        return img
    }

    func testRigFramedSquareIsOnlyResized() throws {
        let f = try PhotoFraming.prepare(
            photo(width: 128, height: 128, x0: 40, y0: 44, side: 48), side: 64, mode: .auto)
        XCTAssertTrue(f.description.contains("resized only"), f.description)
        XCTAssertEqual(f.image.width, 64)
        XCTAssertEqual(f.image[32, 34, 0], 0.3, accuracy: 1e-5)  // centre of the object
        XCTAssertEqual(f.image[2, 2, 0], 1, accuracy: 1e-5)
    }

    func testWidePhotoKeepsTheCentreSquare() throws {
        let f = try PhotoFraming.prepare(
            photo(width: 300, height: 200, x0: 120, y0: 70, side: 60), side: 50, mode: .auto)
        XCTAssertTrue(f.description.contains("centre square"), f.description)
        // The centre square (x 50..<250) maps 4:1 onto 50x50: the object covers x, y in 17.5..<32.5.
        XCTAssertEqual(f.image[25, 25, 0], 0.3, accuracy: 1e-5)
        XCTAssertEqual(f.image[12, 25, 0], 1, accuracy: 1e-5)
        XCTAssertEqual(f.image[36, 25, 0], 1, accuracy: 1e-5)
    }

    func testOffCentreObjectIsCroppedAroundIt() throws {
        let f = try PhotoFraming.prepare(photo(width: 200, height: 200, x0: 0, y0: 10, side: 40), side: 40, mode: .auto)
        XCTAssertTrue(f.description.contains("cropped"), f.description)
        // Tight framing: the object fills rigFill of the side, centred.
        var count = 0
        for k in 0..<(40 * 40) where f.image.pixels[4 * k] < 0.5 { count += 1 }
        let expected = pow(40 * PhotoFraming.rigFill, 2)
        XCTAssertEqual(Double(count), expected, accuracy: expected * 0.15)
        XCTAssertLessThan(f.image[20, 20, 0], 0.5)
    }

    func testBackgroundFromBorderAndAlphaOverWhite() throws {
        let tinted = try PhotoFraming.prepare(
            photo(width: 64, height: 64, x0: 20, y0: 20, side: 24, background: (0.9, 0.8, 0.7)),
            side: 64, mode: .none)
        XCTAssertEqual(tinted.background.x, 0.9, accuracy: 1e-5)
        XCTAssertEqual(tinted.background.z, 0.7, accuracy: 1e-5)
        var transparent = photo(width: 32, height: 32, x0: 8, y0: 8, side: 16)
        for k in 0..<(32 * 32) where transparent.pixels[4 * k] > 0.5 {
            transparent.pixels[4 * k + 3] = 0
            transparent.pixels[4 * k] = 0
        }
        let f = try PhotoFraming.prepare(transparent, side: 32, mode: .none)
        XCTAssertEqual(f.image[1, 1, 0], 1, accuracy: 1e-5)  // transparent black became white
    }

    func testPlainImagesHaveNoObject() {
        for img in [RGBAImage(width: 50, height: 50), RGBAImage(width: 3, height: 3, fill: (0.2, 0.2, 0.2, 1))] {
            XCTAssertThrowsError(try PhotoFraming.prepare(img, side: 64, mode: .auto)) { e in
                XCTAssertTrue("\(e)".contains("no object"), "\(e)")
            }
        }
    }

    func testResizeAveragesWhenShrinking() {
        var img = RGBAImage(width: 4, height: 4, fill: (0, 0, 0, 1))
        for y in 0..<4 { for x in 0..<4 where (x + y) % 2 == 0 { img.pixels[4 * (y * 4 + x)] = 1 } }  // checkerboard
        let small = Resample.resize(img, width: 2, height: 2)
        for k in 0..<4 { XCTAssertEqual(small.pixels[4 * k], 0.5, accuracy: 1e-5) }
        let same = Resample.resize(img, width: 4, height: 4)
        XCTAssertEqual(same.pixels, img.pixels)
    }
}
