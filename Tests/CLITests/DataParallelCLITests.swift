import Foundation
import Model
import XCTest

/// `mpirun -np 2 nerfinv train` and `train-encoder` (one-shot and iterative): the same weights as
/// one process (up to the order of floating-point sums), rank 0 alone writes, and --resume keeps
/// the number of ranks.
final class DataParallelCLITests: CLITestCase {
    /// Open MPI's launcher, or nil where it is not installed (`make testdeps` installs it).
    static var mpirun: URL? {
        ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].map { URL(fileURLWithPath: $0) }.first {
            FileManager.default.isExecutableFile(atPath: $0.path)
        }
    }

    /// `nerfinv args` under `mpirun -np ranks` (oversubscribed: two ranks on however many cores).
    func mpi(_ ranks: Int, _ args: [String]) throws -> CLIResult {
        let launcher = try XCTUnwrap(Self.mpirun)
        return try CLI.run(
            ["--oversubscribe", "-np", "\(ranks)", CLI.executable.path] + args, timeout: 300,
            environment: ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"], program: launcher)
    }

    /// The largest difference between two models' weights (field, codes and encoder), relative to
    /// the largest weight, and the largest change `a` made from `start`'s weights.
    func difference(_ a: String, _ b: String) throws -> (max: Float, scale: Float) {
        let (x, _) = try NeRFModel.load(a), (y, _) = try NeRFModel.load(b)
        var pairs = zip(x.field.parameters, y.field.parameters).map { ($0.1, $1.1) } + [(x.codes, y.codes)]
        if let ex = x.encoder, let ey = y.encoder { pairs += zip(ex.parameters, ey.parameters).map { ($0.1, $1.1) } }
        if let ix = x.iterativeEncoder, let iy = y.iterativeEncoder {
            pairs += zip(ix.network.parameters, iy.network.parameters).map { ($0.1, $1.1) }
        }
        var worst: Float = 0, scale: Float = 0
        for (p, q) in pairs {
            XCTAssertEqual(p.shape, q.shape)
            for k in 0..<p.count {
                worst = max(worst, abs(p[k] - q[k]))
                scale = max(scale, abs(p[k]))
            }
        }
        return (worst, scale)
    }

    func testTwoRanksTrainAsOneProcess() throws {
        guard Self.mpirun != nil else {
            throw XCTSkip("mpirun is not installed (make testdeps installs Debian's openmpi-bin)")
        }
        _ = try ok([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/data", "--objects", "4",
            "--views", "4", "--resolution", "16", "--supersample", "1", "--seed", "5", "--quiet",
        ])
        func train(_ out: String, steps: Int) -> [String] {
            [
                "train", "--data", dir + "/data", "--out", dir + "/" + out, "--objects-per-batch", "4",
                "--rays-per-object", "32", "--steps", "\(steps)", "--threads", "1", "--seed", "3",
            ]
        }
        _ = try ok(train("one.nvm", steps: 6) + ["--quiet"])
        let two = try mpi(2, train("two.nvm", steps: 6) + ["--json"])
        XCTAssertEqual(two.status, 0, two.stderr)
        // Rank 0 alone reports (one JSON line) and writes.
        XCTAssertEqual(two.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }.count, 1, two.stdout)
        // The checkpoints hold fp32 weights: the two runs agree up to summation order...
        let (d, scale) = try difference(dir + "/one.nvm.ckpt", dir + "/two.nvm.ckpt")
        print("decoder weights, 2 ranks against 1 process after 6 steps: max difference \(d) (largest weight \(scale))")
        XCTAssertLessThan(d, 1e-5 * max(scale, 1))
        // ...and not because nothing moved: a run from another seed lands elsewhere.
        _ = try ok(train("other.nvm", steps: 6) + ["--quiet", "--seed", "4"])
        XCTAssertGreaterThan(try difference(dir + "/one.nvm.ckpt", dir + "/other.nvm.ckpt").max, 100 * d + 1e-4)

        // --resume refuses another number of ranks by name, and continues with the same.
        let wrong = try CLI.run(train("two.nvm", steps: 8) + ["--resume", "--quiet"])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("2 ranks (mpirun -np 2)"), wrong.stderr)
        let resumed = try mpi(2, train("two.nvm", steps: 8) + ["--resume", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let fromOne = try mpi(2, train("one.nvm", steps: 8) + ["--resume", "--quiet"])
        XCTAssertNotEqual(fromOne.status, 0)
        XCTAssertTrue(fromOne.stderr.contains("one process"), fromOne.stderr)

        // The encoder: the same weights from one process and from two ranks.
        func encoder(_ out: String) -> [String] {
            [
                "train-encoder", "--data", dir + "/data", "--model", dir + "/one.nvm", "--out", dir + "/" + out,
                "--steps", "3", "--render-from", "1", "--threads", "1", "--quiet",
            ]
        }
        _ = try ok(encoder("e1.nvm"))
        let e2 = try mpi(2, encoder("e2.nvm"))
        XCTAssertEqual(e2.status, 0, e2.stderr)
        let (de, escale) = try difference(dir + "/e1.encoder.ckpt", dir + "/e2.encoder.ckpt")
        print(
            "encoder weights, 2 ranks against 1 process after 3 steps: max difference \(de) (largest weight \(escale))")
        XCTAssertLessThan(de, 1e-5 * max(escale, 1))

        // The iterative encoder, on the encoder just trained: the same from one process and two ranks.
        func iterative(_ out: String) -> [String] {
            [
                "train-encoder", "--data", dir + "/data", "--model", dir + "/e1.nvm", "--iterative", "--out",
                dir + "/" + out, "--steps", "3", "--threads", "1", "--quiet",
            ]
        }
        _ = try ok(iterative("i1.nvm"))
        let i2 = try mpi(2, iterative("i2.nvm"))
        XCTAssertEqual(i2.status, 0, i2.stderr)
        let (di, iscale) = try difference(dir + "/i1.iterative.ckpt", dir + "/i2.iterative.ckpt")
        print(
            "iterative encoder, 2 ranks against 1 process after 3 steps: max difference \(di) (largest weight \(iscale))"
        )
        XCTAssertLessThan(di, 1e-5 * max(iscale, 1))
        _ = try ok(iterative("i3.nvm") + ["--seed", "9"])
        XCTAssertGreaterThan(try difference(dir + "/i1.iterative.ckpt", dir + "/i3.iterative.ckpt").max, 100 * di)

        // More ranks than a batch has objects: refused by name on every rank, nothing hangs.
        let tooMany = try mpi(5, train("five.nvm", steps: 2) + ["--quiet"])
        XCTAssertNotEqual(tooMany.status, 0)
        XCTAssertTrue(tooMany.stderr.contains("cannot be split over 5 ranks"), tooMany.stderr)
    }

    /// `bench data-parallel` alone: its measurement and the N-machine model, as JSON (the 2-rank
    /// run is the same code under mpirun, whose equality the test above checks).
    func testBenchDataParallelReportsAndModels() throws {
        let out = try ok([
            "bench", "data-parallel", "--model", repoRoot + "/models/cars.nvm", "--objects", "2", "--rays", "64",
            "--steps", "2", "--threads", "1", "--json",
        ])
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let m = try XCTUnwrap(report["measurement"] as? [String: Any], out.stdout)
        XCTAssertEqual(m["ranks"] as? Int, 1)
        XCTAssertGreaterThan(m["stepSeconds"] as? Double ?? 0, 0)
        // The field's 2.48 M gradients, 2 x 128 code gradients and the loss.
        XCTAssertGreaterThan(m["floatsPerStep"] as? Int ?? 0, 2_000_000)
        let rows = try XCTUnwrap(report["model"] as? [[String: Any]], out.stdout)
        XCTAssertEqual(rows.count, 14, "7 machine counts at 10 and 100 Gbit/s")
        XCTAssertEqual(rows.first?["communicationSeconds"] as? Double, 0)
    }
}
