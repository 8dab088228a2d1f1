import Foundation
import XCTest

/// interpolate, edit and sample: their latents are what they say and render; bad asks are refused.
final class LatentEditCLITests: CLITestCase {
    func code(_ path: String) throws -> [Double] {
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        return (json["identity"] as! [NSNumber]).map(\.doubleValue)
    }

    func testInterpolateEditAndSample() throws {
        let model = repoRoot + "/models/cars_gen1.nvm"
        for (photo, name) in [("car_256.png", "a"), ("car_160.png", "b")] {
            _ = try ok([
                "invert", repoRoot + "/scenes/photos/" + photo, "--model", model, "--no-refine", "--quiet", "--out",
                dir + "/\(name).latent",
            ])
        }
        let small = ["--model", model, "--size", "24", "--quiet"]
        _ = try ok(["interpolate", dir + "/a.latent", dir + "/b.latent", "--steps", "2", "--out", dir + "/i"] + small)
        XCTAssertEqual(try code(dir + "/i/step_00.latent"), try code(dir + "/a.latent"))
        let mid = try code(dir + "/i/step_01.latent"), a = try code(dir + "/a.latent"), b = try code(dir + "/b.latent")
        for d in a.indices { XCTAssertEqual(mid[d], 0.5 * (a[d] + b[d]), accuracy: 1e-5) }
        for d in b.indices { XCTAssertEqual(try code(dir + "/i/step_02.latent")[d], b[d], accuracy: 1e-5) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/i/strip.png"))
        _ = try ok(
            ["edit", dir + "/a.latent", "--direction", "pc1", "--amount", "0", "--out", dir + "/same.latent"] + small)
        XCTAssertEqual(try code(dir + "/same.latent"), a)
        _ = try ok(
            [
                "edit", dir + "/a.latent", "--direction", "pc2", "--amount", "1.5", "--out", dir + "/e.latent",
                "--sheet", dir + "/e.png",
            ]
                + small)
        XCTAssertNotEqual(try code(dir + "/e.latent"), a)
        _ = try ok(
            [
                "render", "--latent", dir + "/e.latent", "--azimuth", "90", "--elevation", "20", "--out",
                dir + "/e_view.png",
            ] + small)
        _ = try ok(["sample", "--count", "3", "--out", dir + "/s", "--seed", "4"] + small)
        XCTAssertNotEqual(try code(dir + "/s/sample_00.latent"), try code(dir + "/s/sample_01.latent"))
        let latent: String = dir + "/a.latent", x: String = dir + "/x.latent"
        let editArgs: [String] = ["edit", latent, "--amount", "1", "--out", x]
        let refusals: [([String], String)] = [
            (["edit", latent, "--amount", "1", "--out", x, "--attribute", "length"], "--data"),
            (["edit", latent, "--amount", "1", "--out", x, "--attribute", "length", "--direction", "pc1"], "one of"),
            (editArgs + ["--direction", "up"], "pc1"),
            (editArgs + ["--direction", "pc999"], "principal directions"),
            (["interpolate", latent, "--out", dir + "/x"], "exactly two"),
        ]
        for (args, says) in refusals {
            let r = try CLI.run(args + ["--model", model])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(says), r.stderr)
        }
    }
}
