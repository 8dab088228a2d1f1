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
        // Every report names the machine it measured.
        let cpu = try XCTUnwrap(r["cpu"] as? [String: Any], render.stdout)
        XCTAssertFalse((cpu["model"] as? String ?? "").isEmpty, render.stdout)
        XCTAssertFalse((cpu["openblas_kernel"] as? String ?? "").isEmpty, render.stdout)
        XCTAssertNotNil(cpu["avx512_bf16"] as? Bool, render.stdout)
        XCTAssertFalse((cpu["onednn"] as? String ?? "").isEmpty, render.stdout)
        let core = try ok(["bench", "core"] + quick)
        let c = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(core.stdout.utf8)) as? [String: Any], core.stdout)
        XCTAssertFalse((c["rows"] as? [[String: Any]] ?? []).isEmpty, core.stdout)
    }

    /// `--profile`: per-op rows, nested under their parents, the generator's stages with the GFLOP of
    /// their products and raw sgemm's time at the same shapes.
    func testRenderProfileNamesOpsWithTheirProducts() throws {
        let out = try ok(
            [
                "bench", "render", "--model", repoRoot + "/models/cars.nvm", "--codes", "1", "--size", "16",
                "--profile",
                "--repeats", "1", "--min-seconds", "0.01", "--json",
            ])
        let r = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let setup = try XCTUnwrap(r["profile_setup"] as? [[String: Any]], out.stdout)
        let stages = setup.filter { ($0["op"] as? String ?? "").contains("up x2 + conv") }
        // The third generation's generator: four stages, 16² to 128² planes.
        XCTAssertEqual(stages.count, 4, out.stdout)
        for s in stages {
            XCTAssertGreaterThan(s["gflop_per_step"] as? Double ?? 0, 0, "\(s)")
            XCTAssertGreaterThan(s["raw_sgemm_ms_per_step"] as? Double ?? 0, 0, "\(s)")
        }
        XCTAssertTrue(setup.contains { ($0["op"] as? String ?? "").hasPrefix("grid: lattice query / ") }, out.stdout)
        XCTAssertNotNil(r["profile_frame"] as? [[String: Any]], out.stdout)
    }

    /// The viewer's load test: clients dragging over the stream get frames, /api/info answers
    /// beside them, and mesh downloads run one at a time beside a client.
    func testViewerLoad() throws {
        let out = try ok([
            "bench", "viewer", "--model", repoRoot + "/models/cars_gen1.nvm", "--clients", "1,3", "--seconds", "1",
            "--size", "32", "--download", "--json",
        ])
        let r = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let rows = try XCTUnwrap(r["viewer_load"] as? [[String: Any]], out.stdout)
        XCTAssertEqual(rows.map { $0["clients"] as? Int }, [1, 3, 1])
        for row in rows {
            XCTAssertGreaterThan(row["fps_per_client_min"] as? Double ?? 0, 0, "\(row)")
            XCTAssertGreaterThan(row["info_slowest_seconds"] as? Double ?? 0, 0, "\(row)")
        }
        XCTAssertGreaterThan(rows[2]["meshes"] as? Int ?? 0, 0, out.stdout)
        let refused = try CLI.run(["bench", "viewer", "--clients", "1,100"])
        XCTAssertTrue(refused.status != 0 && refused.stderr.contains("--clients"), refused.stderr)
    }
}
