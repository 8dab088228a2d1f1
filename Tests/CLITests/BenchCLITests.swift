import Foundation
import XCTest

/// The benchmarks run and, with --json, print their figures as one JSON object a script can read.
final class BenchCLITests: CLITestCase {
    func testBenchmarksPrintJSON() throws {
        let quick = ["--repeats", "1", "--min-seconds", "0.01", "--json"]
        let render = try ok(
            ["bench", "render", "--model", repoRoot + "/models/cars_gen1.nvm", "--codes", "1", "--size", "16"] + quick)
        let r = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(render.stdout.utf8)) as? [String: Any], render.stdout)
        for key in ["frame_seconds", "decoder_mlp_gflops", "raw_sgemm_gflops", "share_of_raw_sgemm"] {
            XCTAssertGreaterThan(r[key] as? Double ?? -1, 0, key)
        }
        let core = try ok(["bench", "core"] + quick)
        let c = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(core.stdout.utf8)) as? [String: Any], core.stdout)
        XCTAssertFalse((c["rows"] as? [[String: Any]] ?? []).isEmpty, core.stdout)
    }
}
