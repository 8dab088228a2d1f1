import Foundation
import XCTest

/// Sets spread over machines: `eval --shard K/N` reports merge (`eval --merge`) into the unsharded
/// run's figures, and `invert --shard K/N` takes every N-th photo.
final class ShardCLITests: CLITestCase {
    var model: String { repoRoot + "/models/cars_gen1.nvm" }

    /// A report's figures without the timings (each run's own) and the shards' records.
    func figures(_ path: String) throws -> [[String: Any]] {
        let modes = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]])
        return modes.map { $0.filter { !["secondsPerObject", "encoderSeconds", "records"].contains($0.key) } }
    }

    func testShardedEvalMergesIntoTheUnshardedReport() throws {
        _ = try ok([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/test", "--objects", "5",
            "--protocol", "test", "--resolution", "32", "--supersample", "1", "--seed", "6", "--quiet",
        ])
        let eval = [
            "eval", "--model", model, "--data", dir + "/test", "--modes", "encoder,refine", "--refine-steps", "3",
            "--consistency-objects", "2", "--quiet",
        ]
        _ = try ok(eval + ["--report", dir + "/full.json"])
        for k in 1...2 { _ = try ok(eval + ["--shard", "\(k)/2", "--report", dir + "/s\(k).json"]) }
        _ = try ok(["eval", "--merge", dir + "/s1.json", dir + "/s2.json", "--report", dir + "/merged.json", "--quiet"])
        let full = try figures(dir + "/full.json"), merged = try figures(dir + "/merged.json")
        XCTAssertEqual(full.count, 2)
        for (a, b) in zip(full, merged) {
            XCTAssertEqual(NSDictionary(dictionary: a), NSDictionary(dictionary: b), "\(a["mode"] ?? "")")
        }
        XCTAssertEqual(full.first?["objects"] as? Int, 5)
        // Shards that overlap, a missing shard, a report without records, another set of modes.
        _ = try ok(
            eval.map { $0 == "encoder,refine" ? "encoder" : $0 } + ["--shard", "2/2", "--report", dir + "/e2.json"])
        let s1 = dir + "/s1.json", s2 = dir + "/s2.json"
        let merges: [([String], String)] = [
            ([s1, s1], "the shards overlap"), ([s2], "a shard is missing"),
            ([dir + "/full.json"], "no per-object records"), ([s1, dir + "/e2.json"], "has modes encoder"),
        ]
        for (reports, says) in merges {
            let r = try CLI.run(["eval", "--merge"] + reports)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(says), r.stderr)
        }
        let bad = try CLI.run(eval + ["--shard", "3/2"])
        XCTAssertTrue(bad.status != 0 && bad.stderr.contains("K/N"), bad.stderr)
    }

    func testShardedInvertTakesEveryNthPhoto() throws {
        let photos = ["car_160.png", "car_256.png", "car_rgba_128.png"].map { repoRoot + "/scenes/photos/" + $0 }
        _ = try ok(
            ["invert"] + photos + [
                "--model", model, "--steps", "2", "--shard", "2/2", "--out-dir", dir + "/out", "--background", "keep",
                "--quiet",
            ])
        let written = try FileManager.default.contentsOfDirectory(atPath: dir + "/out").filter {
            $0.hasSuffix(".latent")
        }
        XCTAssertEqual(written, ["car_256.latent"])
        let refused = try CLI.run(["invert", photos[0], "--model", model, "--shard", "1/2", "--out", dir + "/x.latent"])
        XCTAssertTrue(refused.status != 0 && refused.stderr.contains("--out-dir"), refused.stderr)
    }
}
