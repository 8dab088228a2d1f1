import Foundation
import Imaging
import XCTest

/// train-matting on a few generated photos: it learns (the loss falls), writes the network with
/// its IoU on held-out photos, resumes, and refuses a set without photos.
final class MattingCLITests: CLITestCase {
    func testTrainMattingLearnsResumesAndRefuses() throws {
        for (name, seed, objects) in [("bg", "3", "6"), ("held", "4", "2")] {
            _ = try ok([
                "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/" + name, "--objects", objects,
                "--views", "3", "--resolution", "64", "--supersample", "1", "--backgrounds", "--seed", seed, "--quiet",
            ])
        }
        let base = [
            "train-matting", "--data", dir + "/bg", "--validation", dir + "/held", "--out", dir + "/m.nvm", "--side",
            "64", "--batch", "4", "--json",
        ]
        let first = try ok(base + ["--steps", "60"])
        XCTAssertTrue(first.stdout.contains("validation_mean_iou"), first.stdout)
        let log = try String(contentsOfFile: dir + "/m.matting_log.csv", encoding: .utf8).split(separator: "\n")
        let losses = log.dropFirst().compactMap { Double($0.split(separator: ",")[1]) }
        XCTAssertGreaterThan(losses.count, 1)
        XCTAssertLessThan(losses.last!, losses.first!, "the loss falls")
        let resumed = try ok(base + ["--steps", "70", "--resume"])
        XCTAssertTrue(resumed.stdout.contains("\"steps\":70"), resumed.stdout)
        let changed = try CLI.run(base.map { $0 == "4" ? "2" : $0 } + ["--steps", "80", "--resume"])
        XCTAssertNotEqual(changed.status, 0)
        XCTAssertTrue(changed.stderr.contains("batch"), changed.stderr)
        // eval-matting scores the network four ways, the last one the way invert reads it.
        let scored = try ok(["eval-matting", "--matting", dir + "/m.nvm", "--data", dir + "/held", "--json"])
        for key in ["\"network\"", "\"mirrored\"", "\"largest_region\"", "\"mirrored_largest_region\"", "\"photos\":6"]
        {
            XCTAssertTrue(scored.stdout.contains(key), scored.stdout)
        }
        let plain = try CLI.run(["train-matting", "--data", repoRoot + "/scenes", "--out", dir + "/x.nvm"])
        XCTAssertNotEqual(plain.status, 0)

        // invert: a photo with a background is seen as one, its mask predicted and written with
        // the cut-out; --background keep leaves it; remove without a network says what is missing.
        let object = try FileManager.default.contentsOfDirectory(atPath: dir + "/held").first { $0.hasPrefix("cars") }!
        let photo = "\(dir!)/held/\(object)/photo/000000.png"
        let invert = ["invert", photo, "--model", repoRoot + "/models/cars_gen1.nvm", "--steps", "3", "--quiet"]
        _ = try ok(invert + ["--matting", dir + "/m.nvm", "--out", dir + "/a.latent", "--overview", dir + "/a.png"])
        // The overview leads that row with the photo and its mask: two more 96-pixel cells.
        let (sheet, _) = try PNG.read(dir + "/a.png")
        XCTAssertEqual(sheet.width, 2 + 12 * 98)
        for f in ["a_mask.png", "a_cutout.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + f), f)
        }
        XCTAssertTrue(try String(contentsOfFile: dir + "/a.latent", encoding: .utf8).contains("background removed"))
        _ = try ok(invert + ["--matting", dir + "/m.nvm", "--background", "keep", "--out", dir + "/k.latent"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/k_mask.png"))
        let none = try CLI.run(invert + ["--matting", dir + "/none.nvm", "--out", dir + "/n.latent"])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("none.nvm"), none.stderr)
        let missing = try CLI.run(
            invert + ["--matting", dir + "/absent/m.nvm", "--background", "remove", "--out", dir + "/r.latent"])
        XCTAssertNotEqual(missing.status, 0)
        // eval: input views with backgrounds, with and without the matting network, scored over white.
        _ = try ok([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/test", "--objects", "1",
            "--protocol", "test", "--resolution", "32", "--supersample", "1", "--backgrounds", "--seed", "6", "--quiet",
        ])
        let eval = [
            "eval", "--model", repoRoot + "/models/cars_gen1.nvm", "--data", dir + "/test", "--modes", "refine",
            "--refine-steps", "2", "--background-input", "--json",
        ]
        XCTAssertTrue(try ok(eval).stdout.contains("\"mode\":\"refine\""))
        XCTAssertTrue(try ok(eval + ["--matting", dir + "/m.nvm"]).stdout.contains("\"mode\":\"refine\""))
        // The plain sample photo has no background: auto leaves it alone.
        _ = try ok(
            [
                "invert", repoRoot + "/scenes/photos/car_256.png", "--model", repoRoot + "/models/cars_gen1.nvm",
                "--steps",
                "3",
                "--quiet", "--matting", dir + "/m.nvm", "--out", dir + "/p.latent",
            ])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/p_mask.png"))
    }
}
