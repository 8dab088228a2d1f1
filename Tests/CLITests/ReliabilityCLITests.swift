import Foundation
import TestSupport
import XCTest

/// What a careless user can do wrong: outputs that collide are refused before anything is written;
/// a command stopped mid-write leaves no temporary files; a failing ffmpeg leaves the earlier
/// outputs as they were; size flags past the memory budget are refused up front; one kind of file
/// given for another is named.
final class ReliabilityCLITests: CLITestCase {
    var model: String { repoRoot + "/models/cars_gen1.nvm" }

    /// A latent of the first-generation model (sampled, so no inversion is needed).
    func latent() throws -> String {
        _ = try ok(["sample", "--model", model, "--count", "1", "--size", "16", "--out", dir + "/s", "--quiet"])
        return dir + "/s/sample_00.latent"
    }

    func temporaries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.contains(".tmp-") }
    }

    func testCollidingOutputsAreRefusedBeforeAnyWrite() throws {
        let a = try latent()
        // A tuned decoder beside the latent: an input the latent brings with it.
        let delta = dir + "/s/sample_00.delta"
        try Data("the tuned decoder".utf8).write(to: URL(fileURLWithPath: delta))
        // An interpolation's folder holding one of its inputs under a name it writes.
        try FileManager.default.createDirectory(atPath: dir + "/d", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: a, toPath: dir + "/d/step_01.latent")
        let mesh = dir + "/k.glb"
        try Data("an earlier mesh".utf8).write(to: URL(fileURLWithPath: mesh))
        for (args, says) in [
            (["export-mesh", "--latent", a, "--out", mesh, "--preview", mesh], "given twice as an output"),
            (["edit", a, "--direction", "pc1", "--amount", "1", "--out", delta], "is also an input"),
            (
                ["interpolate", dir + "/d/step_01.latent", a, "--steps", "2", "--out", dir + "/d"],
                "is also an input"
            ),
            (
                [
                    "render", "--latent", a, "--azimuth", "30", "--elevation", "20", "--out", dir + "/r.png", "--depth",
                    dir + "/./r.png",
                ],
                "same file"
            ),
        ] {
            let r = try CLI.run(args + ["--model", model])
            XCTAssertNotEqual(r.status, 0, args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(says), "\(args.joined(separator: " ")): \(r.stderr)")
        }
        XCTAssertEqual(try String(contentsOfFile: delta, encoding: .utf8), "the tuned decoder")
        XCTAssertEqual(try String(contentsOfFile: mesh, encoding: .utf8), "an earlier mesh")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/d/step_00.latent"))
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: dir + "/d/step_01.latent")),
            try Data(contentsOf: URL(fileURLWithPath: a)))
    }

    /// SIGINT and SIGTERM while a turntable's frames are being written: the hidden temporary
    /// files go with the process, which ends by the signal.
    func testInterruptedWritesLeaveNoTemporaries() throws {
        let a = try latent()
        for (k, sig) in [SIGINT, SIGTERM].enumerated() {
            let out = dir + "/t\(k)"
            let p = Process()
            p.executableURL = CLI.executable
            p.arguments = [
                "turntable", "--model", model, "--latent", a, "--frames", "200", "--size", "96", "--out", out,
                "--quiet",
            ]
            try p.run()
            let deadline = Date().addingTimeInterval(60)
            while temporaries(out).count < 3 && p.isRunning && Date() < deadline { usleep(20_000) }
            XCTAssertGreaterThanOrEqual(temporaries(out).count, 3, "frames were being written")
            kill(p.processIdentifier, sig)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .uncaughtSignal)
            XCTAssertEqual(p.terminationStatus, sig)
            XCTAssertEqual(temporaries(out), [], "signal \(sig)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/frame_000.png"), "none renamed")
        }
    }

    /// An ffmpeg that fails (a stand-in on PATH): the frames, sheet and GIF of the earlier run stay
    /// byte for byte, and nothing half-made is left.
    func testFailingFFmpegLeavesEarlierOutputs() throws {
        let a = try latent()
        let out = dir + "/t"
        _ = try ok([
            "turntable", "--model", model, "--latent", a, "--frames", "4", "--size", "32", "--out", out, "--quiet",
        ])
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        let before = try names.map { try Data(contentsOf: URL(fileURLWithPath: out + "/" + $0)) }
        let bin = dir + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let fake = bin + "/ffmpeg"
        try "#!/bin/sh\necho 'Unknown encoder libx264' >&2\nexit 1\n".write(
            toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        let r = try CLI.run(
            [
                "turntable", "--model", model, "--latent", a, "--frames", "4", "--size", "32", "--elevation", "40",
                "--out", out, "--mp4", dir + "/t.mp4", "--quiet",
            ], environment: ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("ffmpeg failed") && r.stderr.contains("libx264"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), names)
        XCTAssertEqual(try names.map { try Data(contentsOf: URL(fileURLWithPath: out + "/" + $0)) }, before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/t.mp4"))
        XCTAssertEqual(temporaries(dir), [])
    }

    /// Size flags past the memory budget are refused before any work, naming the need and the limit;
    /// --max-memory raises the limit.
    func testSizeFlagsAreCheckedAgainstTheMemoryBudget() throws {
        let a = try latent()
        for (args, says) in [
            (
                ["export-mesh", "--latent", a, "--out", dir + "/m.glb", "--resolution", "1024"],
                "a mesh at --resolution 1024 needs"
            ),
            (
                ["sample", "--count", "1024", "--size", "2048", "--out", dir + "/many"],
                "1024 samples at 2048x2048 needs"
            ),
            (
                [
                    "turntable", "--latent", a, "--frames", "4", "--size", "4096", "--out", dir + "/t", "--max-memory",
                    "0.1",
                ], "needs 0.5 GB; the limit is 0.1 GB"
            ),
            (
                ["interpolate", a, a, "--steps", "256", "--size", "2048", "--out", dir + "/i"],
                "an interpolation of 257 frames"
            ),
        ] {
            let r = try CLI.run(args + ["--model", model], environment: ["NERFINV_REPORT_PEAK_MEMORY": "1"])
            XCTAssertNotEqual(r.status, 0, args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(says) && r.stderr.contains("--max-memory"), "\(args): \(r.stderr)")
            let peak = r.stderr.split(separator: "\n").first { $0.contains("peak resident memory") }
            let mb = peak.flatMap { Int($0.split(separator: " ").dropLast().last ?? "") } ?? .max
            XCTAssertLessThan(mb, 600, "refused before allocating: \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/m.glb"))
        let r = try CLI.run([
            "export-mesh", "--latent", a, "--out", dir + "/m.ply", "--resolution", "32", "--max-memory", "0.5",
            "--model", model,
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// A matting network as --model, a model as --matting, a model as a delta or a latent, a latent
    /// or a PNG as a model: a sentence naming what the file is and what was expected.
    func testMixUpsAreNamed() throws {
        let a = try latent()
        let matting = repoRoot + "/models/matting.nvm", photo = repoRoot + "/scenes/photos/car_160.png"
        try FileManager.default.copyItem(atPath: model, toPath: dir + "/s/sample_00.delta")
        let render: [String] = ["render", "--azimuth", "1", "--elevation", "2", "--out", dir + "/r.png"]
        let cases: [([String], String)] = [
            (["invert", photo, "--model", matting, "--out", dir + "/x.latent"], "is a matting network"),
            (
                ["invert", photo, "--matting", model, "--model", model, "--out", dir + "/x.latent"],
                "not a matting network"
            ),
            (
                render + ["--latent", a, "--model", model],
                "sample_00.delta: is a nerfinv model (it goes to --model), not a tuned decoder's delta"
            ),
            (render + ["--latent", model, "--model", model], "is a nerfinv model (it goes to --model), not a latent"),
            (
                render + ["--latent", a, "--model", a],
                "is a latent (it goes to --latent, or as a latent argument), not a nerfinv model"
            ),
            (render + ["--latent", a, "--model", photo], "is a PNG image, not a nerfinv model"),
        ]
        for (args, says) in cases {
            let r = try CLI.run(args)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(says), "\(args.joined(separator: " ")): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("DecodingError"), r.stderr)
        }
    }

    /// An all-black, an all-blue and an all-white photo are "no object found" whatever their border
    /// (a black border reads as a background, and the matting network used to find a car in black);
    /// a grey ramp, not plain, in which the matting network sees no object is refused by name too.
    func testEmptyPhotosStayRefused() throws {
        func write(_ name: String, _ pixel: (Int, Int) -> [UInt16]) throws -> String {
            let png = PNGFixture(
                width: 96, height: 96, colorType: 2, bitDepth: 8,
                samples: (0..<(96 * 96)).flatMap { pixel($0 % 96, $0 / 96) })
            let path = dir + "/" + name + ".png"
            try Data(png.encode()).write(to: URL(fileURLWithPath: path))
            return path
        }
        let cases = [
            (try write("black") { _, _ in [0, 0, 0] }, "one plain colour (RGB 0, 0, 0)"),
            (try write("blue") { _, _ in [40, 90, 160] }, "one plain colour (RGB 40, 90, 160)"),
            (try write("white") { _, _ in [255, 255, 255] }, "one plain colour"),
            (
                try write("ramp") { x, _ in [UInt16(x * 2), UInt16(x * 2), UInt16(x * 2)] },
                "the matting network sees no object"
            ),
        ]
        for (photo, says) in cases {
            let r = try CLI.run(["invert", photo, "--model", model, "--out", dir + "/x.latent", "--steps", "2"])
            XCTAssertNotEqual(r.status, 0, photo)
            XCTAssertTrue(r.stderr.contains("no object found") && r.stderr.contains(says), "\(photo): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.latent"))
    }

    /// The smallest model inverts (and tunes its decoder): an inversion step once freed the MLP's
    /// scratch gradients before writing them, which corrupted this model's heap (found building the
    /// fuzzers' seed corpus; `withExtendedLifetime` in both decoders' backward).
    func testTinyModelInvertsWithoutCorruptingTheHeap() throws {
        let tiny = repoRoot + "/Tests/Fuzz/corpus/model/tiny.nvm"
        for k in 0..<3 {
            let r = try CLI.run([
                "invert", repoRoot + "/scenes/photos/car_160.png", "--model", tiny, "--init", "mean", "--steps", "3",
                "--tune-decoder", "--out", dir + "/t\(k).latent", "--quiet",
            ])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/t\(k).delta"))
        }
    }

    /// The fuzz harness, built plainly, replays every seed corpus through its reader.
    func testFuzzSeedCorporaReplay() throws {
        let harness = CLI.executable.deletingLastPathComponent().appendingPathComponent("nerfinv-fuzz")
        for target in ["png", "model", "latent", "delta", "preset", "scene", "request"] {
            let p = Process()
            p.executableURL = harness
            p.arguments = [target, repoRoot + "/Tests/Fuzz/corpus/" + target]
            p.environment = ["NERFINV_FUZZ_MODEL": repoRoot + "/Tests/Fuzz/corpus/model/tiny.nvm"]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, target)
            XCTAssertTrue(said.contains("nerfinv-fuzz \(target): replayed") && !said.contains("replayed 0 "), said)
        }
    }
}
