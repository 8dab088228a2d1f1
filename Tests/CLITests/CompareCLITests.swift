import Foundation
import Imaging
import XCTest

/// `compare`: the same photos through several models, one sheet.
final class CompareCLITests: CLITestCase {
    func testCompareWritesOneSheetAndRefusesBadLabels() throws {
        let model = repoRoot + "/models/cars_gen1.nvm",
            photos = ["car_256.png", "car_160.png"].map { repoRoot + "/scenes/photos/" + $0 }
        let out = dir + "/cmp.png"
        _ = try ok(
            ["compare"] + photos + [
                "--models", model, model, "--labels", "a", "b", "--size", "32", "--no-refine", "--out", out, "--quiet",
            ])
        let (sheet, _) = try PNG.read(out)
        // Input + 2 models x (reconstruction + 4 views) columns of 32 pixels, two photo rows.
        XCTAssertGreaterThan(sheet.width, 11 * 32)
        XCTAssertGreaterThan(sheet.height, 2 * 32)
        let r = try CLI.run(
            ["compare"] + photos + ["--models", model, model, "--labels", "a", "--out", dir + "/x.png"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("one heading per model"), r.stderr)
        let same = try CLI.run(["compare", photos[0], "--models", model, "--out", photos[0]])
        XCTAssertTrue(same.status != 0 && same.stderr.contains("is also an input"), same.stderr)
    }
}
