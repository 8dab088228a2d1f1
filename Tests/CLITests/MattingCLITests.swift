import Foundation
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
        let plain = try CLI.run(["train-matting", "--data", repoRoot + "/scenes", "--out", dir + "/x.nvm"])
        XCTAssertNotEqual(plain.status, 0)
    }
}
