import Foundation
import Imaging
import TestSupport
import XCTest

/// Restoration through the prior: a mask hides pixels from the loss, a gray photo is compared in
/// luminance only; bad masks are refused by name.
final class RestorationCLITests: CLITestCase {
    func testMaskAndGrayscaleInvert() throws {
        let model = repoRoot + "/models/cars_gen1.nvm", photo = repoRoot + "/scenes/photos/car_256.png"
        func gray(_ w: Int, _ h: Int, _ value: (Int, Int) -> UInt16) -> [UInt8] {
            var s: [UInt16] = []
            for y in 0..<h { for x in 0..<w { s.append(value(x, y)) } }
            return PNGFixture(width: w, height: h, colorType: 0, bitDepth: 8, samples: s).encode()
        }
        let mask = dir + "/mask.png", all = dir + "/all.png", small = dir + "/small.png"
        try Data(gray(256, 256) { x, y in (150..<230).contains(x) && (90..<180).contains(y) ? 255 : 0 }).write(
            to: URL(fileURLWithPath: mask))
        try Data(gray(256, 256) { _, _ in 255 }).write(to: URL(fileURLWithPath: all))
        try Data(gray(64, 64) { _, _ in 0 }).write(to: URL(fileURLWithPath: small))
        let base = ["invert", photo, "--model", model, "--steps", "20", "--quiet"]
        _ = try ok(base + ["--mask", mask, "--out", dir + "/m.latent"])
        let latent = try String(contentsOfFile: dir + "/m.latent", encoding: .utf8)
        XCTAssertTrue(latent.contains("encoder+refine, masked"), latent)
        for (bad, says) in [(all, "hides the whole photo"), (small, "is 64x64")] {
            let r = try CLI.run(base + ["--mask", bad, "--out", dir + "/x.latent"])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(bad) && r.stderr.contains(says), r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.latent"))
        // A gray PNG is compared in luminance without being asked; --no-grayscale turns it off.
        let (img, _) = try PNG.read(photo)
        let grayPhoto = dir + "/gray.png"
        try Data(
            gray(256, 256) { x, y in
                let p = 4 * (y * 256 + x)
                return UInt16(
                    ((0.2126 * img.pixels[p] + 0.7152 * img.pixels[p + 1] + 0.0722 * img.pixels[p + 2]) * 255).rounded()
                )
            }
        ).write(to: URL(fileURLWithPath: grayPhoto))
        _ = try ok(["invert", grayPhoto, "--model", model, "--steps", "20", "--quiet", "--out", dir + "/g.latent"])
        XCTAssertTrue(try String(contentsOfFile: dir + "/g.latent", encoding: .utf8).contains("grayscale"))
        _ = try ok([
            "invert", grayPhoto, "--model", model, "--steps", "20", "--quiet", "--no-grayscale", "--out",
            dir + "/c.latent",
        ])
        XCTAssertFalse(try String(contentsOfFile: dir + "/c.latent", encoding: .utf8).contains("grayscale"))
    }

    /// eval's restoration settings: an occluded or grayscale input view, scored on the colour views.
    func testEvalOccludedAndGrayscaleInputs() throws {
        _ = try ok([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/test", "--objects", "1",
            "--protocol",
            "test", "--resolution", "32", "--supersample", "1", "--seed", "6", "--quiet",
        ])
        let model = repoRoot + "/models/cars_gen1.nvm"
        for extra in [
            ["--input-size", "16"], ["--occlude", "0.25"], ["--grayscale"], ["--occlude", "0.25", "--grayscale"],
        ] {
            let r = try ok(
                [
                    "eval", "--model", model, "--data", dir + "/test", "--modes", "refine", "--refine-steps", "2",
                    "--json",
                ]
                    + extra + ["--save-renders", dir + "/sheets"])
            XCTAssertTrue(r.stdout.contains("\"mode\":\"refine\""), r.stdout)
        }
        let (sheet, _) = try PNG.read(dir + "/sheets/refine_comparison.png")
        // The sheet's first cell is the damaged input: grey somewhere (the occluder, or gray paint).
        var grey = 0
        for y in 0..<32 {
            for x in 0..<32
            where abs(sheet[x, y, 0] - sheet[x, y, 1]) < 0.01 && abs(sheet[x, y, 1] - sheet[x, y, 2]) < 0.01
                && sheet[x, y, 0] < 0.9
            {
                grey += 1
            }
        }
        XCTAssertGreaterThan(grey, 20)
        let bad = try CLI.run(["eval", "--model", model, "--data", dir + "/test", "--occlude", "2"])
        XCTAssertTrue(bad.status != 0 && bad.stderr.contains("--occlude"), bad.stderr)
    }
}
