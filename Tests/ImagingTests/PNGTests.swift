import FileIO
import Foundation
import Imaging
import NeuralCore
import TestSupport
import XCTest

final class PNGTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-png-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func save(_ bytes: [UInt8], _ name: String) -> String {
        let p = path(name)
        XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: Data(bytes)))
        return p
    }

    /// Decodes a fixture and compares every pixel with the expected RGBA.
    func check(
        _ f: PNGFixture, name: String, expected: (Int, Int) -> (Float, Float, Float, Float),
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let (img, info) = try PNG.read(save(f.encode(), name))
        XCTAssertEqual(img.width, f.width, file: file, line: line)
        XCTAssertEqual(img.height, f.height, file: file, line: line)
        XCTAssertEqual(info.bitDepth, Int(f.bitDepth), file: file, line: line)
        XCTAssertEqual(info.colorType, Int(f.colorType), file: file, line: line)
        XCTAssertEqual(info.interlaced, f.interlace, file: file, line: line)
        for y in 0..<f.height {
            for x in 0..<f.width {
                let e = expected(x, y)
                let got = (img[x, y, 0], img[x, y, 1], img[x, y, 2], img[x, y, 3])
                if abs(got.0 - e.0) > 1e-6 || abs(got.1 - e.1) > 1e-6 || abs(got.2 - e.2) > 1e-6
                    || abs(got.3 - e.3) > 1e-6
                {
                    XCTFail("\(name) pixel (\(x),\(y)): got \(got), expected \(e)", file: file, line: line)
                    return
                }
            }
        }
    }

    func pattern(_ w: Int, _ h: Int, channels: Int, maxValue: Int) -> [UInt16] {
        var s: [UInt16] = []
        for y in 0..<h {
            for x in 0..<w { for c in 0..<channels { s.append(UInt16((x * 7 + y * 13 + c * 29) % (maxValue + 1))) } }
        }
        return s
    }

    func testEveryColourTypeAndDepth() throws {
        let (w, h) = (11, 9)  // odd sizes exercise partial bytes and partial Adam7 passes
        for interlace in [false, true] {
            let tag = interlace ? "i" : "p"
            for depth in [1, 2, 4, 8, 16] {
                let m = (1 << depth) - 1
                let s = pattern(w, h, channels: 1, maxValue: m)
                try check(
                    PNGFixture(
                        width: w, height: h, colorType: 0, bitDepth: UInt8(depth), interlace: interlace, samples: s),
                    name: "gray\(depth)\(tag).png"
                ) { x, y in
                    let v = Float(s[y * w + x]) / Float(m)
                    return (v, v, v, 1)
                }
            }
            for depth in [8, 16] {
                let m = (1 << depth) - 1
                for (ct, ch) in [(UInt8(2), 3), (4, 2), (6, 4)] {
                    let s = pattern(w, h, channels: ch, maxValue: m)
                    try check(
                        PNGFixture(
                            width: w, height: h, colorType: ct, bitDepth: UInt8(depth), interlace: interlace, samples: s
                        ),
                        name: "ct\(ct)-\(depth)\(tag).png"
                    ) { x, y in
                        let p = (y * w + x) * ch
                        let v = (0..<ch).map { Float(s[p + $0]) / Float(m) }
                        switch ch {
                        case 3: return (v[0], v[1], v[2], 1)
                        case 2: return (v[0], v[0], v[0], v[1])
                        default: return (v[0], v[1], v[2], v[3])
                        }
                    }
                }
            }
            for depth in [1, 2, 4, 8] {
                let n = 1 << depth
                let pal = (0..<n).map {
                    (UInt8($0 * 255 / max(1, n - 1)), UInt8(truncatingIfNeeded: 255 - $0 * 3), UInt8(($0 * 50) % 256))
                }
                let alpha = (0..<n).map { UInt8(($0 * 97) % 256) }
                let s = pattern(w, h, channels: 1, maxValue: n - 1)
                try check(
                    PNGFixture(
                        width: w, height: h, colorType: 3, bitDepth: UInt8(depth), interlace: interlace,
                        palette: pal, transparency: alpha, samples: s), name: "pal\(depth)\(tag).png"
                ) { x, y in
                    let i = Int(s[y * w + x])
                    let c = pal[i]
                    return (Float(c.0) / 255, Float(c.1) / 255, Float(c.2) / 255, Float(alpha[i]) / 255)
                }
            }
        }
    }

    func testGrayWithTransparentKeyBecomesAlpha() throws {
        let s: [UInt16] = [0, 5, 5, 9]
        let f = PNGFixture(width: 2, height: 2, colorType: 0, bitDepth: 8, transparency: [0, 5], samples: s)
        try check(f, name: "trns.png") { x, y in
            let v = Float(s[y * 2 + x]) / 255
            return (v, v, v, s[y * 2 + x] == 5 ? 0 : 1)
        }
    }

    func testWriteReadRoundTrips() throws {
        var img = RGBAImage(width: 13, height: 7)
        for i in 0..<(13 * 7 * 4) { img.pixels[i] = Float((i * 37) % 256) / 255 }
        try PNG.write(img, to: path("rgba.png"), alpha: true)
        XCTAssertEqual(try PNG.read(path("rgba.png")).image, img)
        try PNG.write(img, to: path("rgb.png"))
        let rgb = try PNG.read(path("rgb.png"))
        XCTAssertEqual(rgb.info.colorType, 2)
        for i in 0..<(13 * 7) {
            for c in 0..<3 { XCTAssertEqual(rgb.image.pixels[i * 4 + c], img.pixels[i * 4 + c]) }
            XCTAssertEqual(rgb.image.pixels[i * 4 + 3], 1)
        }
        let depth: [UInt16] = (0..<(13 * 7)).map { UInt16(($0 * 2741) % 65536) }
        try PNG.writeGray16(depth, width: 13, height: 7, to: path("depth.png"))
        let d = try PNG.read(path("depth.png"))
        XCTAssertEqual(d.info.bitDepth, 16)
        XCTAssertEqual((0..<(13 * 7)).map { UInt16((d.image.pixels[$0 * 4] * 65535).rounded()) }, depth)
        let gray: [UInt8] = (0..<(13 * 7)).map { UInt8($0 % 256) }
        try PNG.writeBytes(gray, width: 13, height: 7, channels: 1, to: path("gray.png"))
        XCTAssertEqual(try PNG.read(path("gray.png")).image.pixels[4 * 20], Float(20) / 255)
    }

    func assertRejected(
        _ p: String, containing fragment: String, maxPixels: Int = PNG.defaultMaxPixels,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            _ = try PNG.read(p, maxPixels: maxPixels)
            XCTFail("accepted \(p)", file: file, line: line)
        } catch let e as FileError {
            XCTAssertEqual(e.path, p, file: file, line: line)
            XCTAssertTrue(
                e.reason.lowercased().contains(fragment.lowercased()), "'\(e.reason)' lacks '\(fragment)'", file: file,
                line: line)
        } catch { XCTFail("\(error)", file: file, line: line) }
    }

    func testHostileAndBrokenFilesAreRejected() throws {
        let good = PNGFixture(
            width: 40, height: 30, colorType: 2, bitDepth: 8, samples: pattern(40, 30, channels: 3, maxValue: 255)
        ).encode()
        assertRejected(save([], "empty.png"), containing: "empty")
        assertRejected(path("missing.png"), containing: "No such file")
        assertRejected(save(Array(good.prefix(good.count / 2)), "truncated.png"), containing: "libpng")
        var flipped = good
        flipped[good.count / 2] ^= 0x40  // inside IDAT: the chunk CRC no longer matches
        assertRejected(save(flipped, "flipped.png"), containing: "libpng")
        assertRejected(save([0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 74, 70, 73, 70, 0, 1], "photo.png"), containing: "JPEG")
        assertRejected(save(Array("hello, I am a text file\n".utf8), "text.png"), containing: "not a PNG")
        assertRejected(save(PNGFixture.forged(width: 1 << 31, height: 1 << 31), "huge.png"), containing: "libpng")
        assertRejected(save(PNGFixture.forged(width: 60000, height: 60000), "bomb.png"), containing: "megapixels")
        assertRejected(save(good, "small-limit.png"), containing: "megapixels", maxPixels: 100)
    }

    func testWriteIntoMissingFolderFailsAndKeepsExistingFile() throws {
        let img = RGBAImage(width: 4, height: 4, fill: (0.2, 0.4, 0.6, 1))
        XCTAssertThrowsError(try PNG.write(img, to: path("no/such/dir/x.png")))
        let p = path("keep.png")
        try PNG.write(img, to: p)
        let before = try Data(contentsOf: URL(fileURLWithPath: p))
        XCTAssertThrowsError(try PNG.write(RGBAImage(width: 0, height: 0, pixels: []), to: p))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: p)), before)
    }
}

final class MetricsTests: XCTestCase {
    func testPSNRAndSSIM() {
        var a = RGBAImage(width: 32, height: 32, fill: (1, 1, 1, 1))
        for y in 8..<24 {
            for x in 8..<24 {
                a[x, y, 0] = 0.2
                a[x, y, 1] = 0.5
            }
        }
        XCTAssertEqual(Metrics.psnr(a, a), Metrics.maxPSNR)
        XCTAssertEqual(Metrics.ssim(a, a), 1, accuracy: 1e-9)
        var b = a
        for y in 8..<24 { for x in 8..<24 { b[x, y, 0] -= 0.1 } }
        // One channel off by 0.1 on a quarter of the pixels.
        XCTAssertEqual(Metrics.psnr(a, b), -10 * log10(0.01 / 3 / 4), accuracy: 1e-3)
        let s = Metrics.ssim(a, b)
        XCTAssertLessThan(s, 1)
        XCTAssertGreaterThan(s, 0.8)
        var noisy = a
        var rng = SplitMix64(seed: 3)
        for i in 0..<noisy.pixels.count where i % 4 != 3 {
            noisy.pixels[i] = min(1, max(0, noisy.pixels[i] + 0.3 * (rng.nextFloat() - 0.5)))
        }
        XCTAssertLessThan(Metrics.ssim(a, noisy), s)
        let mask = Metrics.foreground(a)
        XCTAssertEqual(mask.filter { $0 }.count, 16 * 16)
        // background no longer flatters
        XCTAssertEqual(Metrics.maskedPSNR(a, b, mask: mask), -10 * log10(0.01 / 3), accuracy: 1e-3)
    }
}
