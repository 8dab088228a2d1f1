import FileIO
import Foundation
import Imaging
import TestSupport
import XCTest

/// What a user can feed nerfinv by mistake or malice: a corpus of bad photos, models and latents
/// made here, each refused with a message naming the file within seconds (or, for the odd but
/// valid PNGs, inverted correctly), with existing outputs left as they were; and training stopped
/// by a signal, which must leave a checkpoint that `--resume` continues.
final class HostileInputCLITests: CLITestCase {
    /// A bad input must be answered well inside this; a hang would otherwise stall the suite.
    static let answerWithin: TimeInterval = 30
    var shippedModel: String { repoRoot + "/models/cars_gen1.nvm" }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let p = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// A 64x64 test-protocol view of a generated car, as 8-bit RGB samples (row-major).
    func carSamples() throws -> (samples: [UInt16], image: RGBAImage) {
        _ = try ok([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/car", "--objects", "1",
            "--protocol", "test",
            "--resolution", "64", "--supersample", "1", "--seed", "31", "--quiet",
        ])
        let (img, _) = try PNG.read(dir + "/car/cars-s31-00000/rgb/000000.png")
        var samples: [UInt16] = []
        for k in 0..<(64 * 64) { for c in 0..<3 { samples.append(UInt16((img.pixels[4 * k + c] * 255).rounded())) } }
        return (samples, img)
    }

    func testHostilePhotosAreRefusedAndOddValidOnesInvert() throws {
        let (car, carImage) = try carSamples()
        let good = PNGFixture(width: 64, height: 64, colorType: 2, bitDepth: 8, samples: car).encode()
        var flipped = good
        flipped[good.count / 2] ^= 0x40
        var white = [UInt16](repeating: 255, count: 64 * 64 * 3)
        white[0] = 255
        var tiny = [UInt16](repeating: 255, count: 9 * 3)
        tiny[12] = 0
        tiny[13] = 0
        tiny[14] = 0  // one dark pixel in the middle of 3x3
        let bad: [(file: String, bytes: [UInt8], says: String)] = [
            ("empty.png", [], "empty"),
            ("truncated.png", Array(good.prefix(good.count / 2)), "truncated.png"),
            ("bitflip.png", flipped, "bitflip.png"),
            ("jpeg.png", [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 74, 70, 73, 70, 0, 1, 1, 1, 0, 72], "JPEG"),
            ("text.png", Array("just some text, not a picture\n".utf8), "not a PNG"),
            ("huge.png", PNGFixture.forged(width: 1 << 31, height: 1 << 31), "huge.png"),
            ("bomb.png", PNGFixture.forged(width: 60000, height: 60000), "megapixels"),
            (
                "white.png", PNGFixture(width: 64, height: 64, colorType: 2, bitDepth: 8, samples: white).encode(),
                "no object"
            ),
            (
                "tiny3x3.png", PNGFixture(width: 3, height: 3, colorType: 2, bitDepth: 8, samples: tiny).encode(),
                "no object"
            ),
        ]
        // Existing outputs that every refusal must leave alone.
        let keepLatent = dir + "/keep.latent"
        _ = try ok([
            "invert", dir + "/car/cars-s31-00000/rgb/000000.png", "--model", shippedModel, "--out", keepLatent,
            "--no-refine", "--quiet",
        ])
        let before = try [keepLatent, dir + "/keep_input.png", dir + "/keep_input_reconstruction.png"].map {
            try Data(contentsOf: URL(fileURLWithPath: $0))
        }
        for b in bad {
            let path = try write(b.bytes, b.file)
            let r = try CLI.run(
                ["invert", path, "--model", shippedModel, "--out", keepLatent, "--steps", "3", "--quiet"],
                timeout: Self.answerWithin)
            XCTAssertNotEqual(r.status, 0, b.file)
            XCTAssertTrue(r.stderr.contains(b.file), "\(b.file): message does not name the file: \(r.stderr)")
            XCTAssertTrue(
                r.stderr.lowercased().contains(b.says.lowercased()), "\(b.file): '\(r.stderr)' lacks '\(b.says)'")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        }
        let after = try [keepLatent, dir + "/keep_input.png", dir + "/keep_input_reconstruction.png"].map {
            try Data(contentsOf: URL(fileURLWithPath: $0))
        }
        XCTAssertEqual(before, after, "a refused photo changed existing outputs")

        // Odd but valid PNGs of the same car: 16-bit RGB, palette, gray+alpha, and a 1000x50 strip.
        let deep = PNGFixture(width: 64, height: 64, colorType: 2, bitDepth: 16, samples: car.map { $0 * 257 }).encode()
        // Palette: 6 levels per channel (216 entries).
        func level(_ v: UInt16) -> UInt16 { UInt16((Double(v) / 255 * 5).rounded()) }
        var paletteEntries: [(UInt8, UInt8, UInt8)] = []
        for i in 0..<216 {
            let r = UInt8(i / 36 * 51), g = UInt8(i / 6 % 6 * 51), b = UInt8(i % 6 * 51)
            paletteEntries.append((r, g, b))
        }
        var indices: [UInt16] = []
        for k in 0..<(64 * 64) {
            let r: UInt16 = level(car[3 * k]), g: UInt16 = level(car[3 * k + 1]), b: UInt16 = level(car[3 * k + 2])
            indices.append(r * 36 + g * 6 + b)
        }
        let palette = PNGFixture(
            width: 64, height: 64, colorType: 3, bitDepth: 8, palette: paletteEntries, samples: indices
        ).encode()
        // Gray+alpha: background transparent (becomes white), the car in gray.
        var grayAlpha: [UInt16] = []
        for k in 0..<(64 * 64) {
            let g = (UInt32(car[3 * k]) * 30 + UInt32(car[3 * k + 1]) * 59 + UInt32(car[3 * k + 2]) * 11) / 100
            grayAlpha += [UInt16(g), car[3 * k] >= 250 && car[3 * k + 1] >= 250 && car[3 * k + 2] >= 250 ? 0 : 255]
        }
        let gray = PNGFixture(width: 64, height: 64, colorType: 4, bitDepth: 8, samples: grayAlpha).encode()
        // A 1000x50 strip: white, with the car shrunk to 50x50 somewhere left of centre.
        let small = Resample.resize(carImage, width: 50, height: 50)
        var strip = [UInt16](repeating: 255, count: 1000 * 50 * 3)
        for y in 0..<50 {
            for x in 0..<50 {
                for c in 0..<3 { strip[(y * 1000 + 300 + x) * 3 + c] = UInt16((small[x, y, c] * 255).rounded()) }
            }
        }
        let stripPNG = PNGFixture(width: 1000, height: 50, colorType: 2, bitDepth: 8, samples: strip).encode()
        let valid = [("deep16.png", deep), ("palette.png", palette), ("grayalpha.png", gray), ("strip.png", stripPNG)]
        for (name, bytes) in valid {
            let path = try write(bytes, name)
            let r = try CLI.run(
                [
                    "invert", path, "--model", shippedModel, "--out", dir + "/valid/\(name).latent", "--steps", "3",
                    "--json",
                ],
                timeout: Self.answerWithin)
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("\"input_psnr_db\""), "\(name): \(r.stdout)")
        }
        // The colour ones keep the car: the encoder finds the pose of the 8-bit original (view 0: 35°, 20°) within a few degrees.
        for name in ["deep16.png", "palette.png"] {
            let latent =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: dir + "/valid/\(name).latent"))) as! [String: Any]
            let view = latent["view"] as! [String: Any]
            XCTAssertEqual(view["azimuth"] as! Double, 35, accuracy: 8, name)
            XCTAssertEqual(view["elevation"] as! Double, 20, accuracy: 8, name)
        }

        // Several photos at once: the bad ones are reported, the good ones still written, exit status 1.
        let batch = try CLI.run(
            [
                "invert", dir + "/empty.png", dir + "/deep16.png", dir + "/white.png", "--model", shippedModel,
                "--out-dir", dir + "/batch", "--steps", "3", "--quiet", "--overview", dir + "/batch/overview.png",
            ],
            timeout: Self.answerWithin)
        XCTAssertEqual(batch.status, 1, batch.stderr)
        XCTAssertTrue(batch.stderr.contains("2 of 3 photos failed"), batch.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/batch/deep16.latent"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/batch/overview.png"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/batch/empty.latent"))

        // Output folders: a missing one is created; one that cannot exist (under a file) is an error naming it.
        _ = try ok([
            "invert", dir + "/deep16.png", "--model", shippedModel, "--out", dir + "/new/deeper/car.latent",
            "--no-refine", "--quiet",
        ])
        try "a file, not a folder".write(toFile: dir + "/afile", atomically: true, encoding: .utf8)
        let blocked = try CLI.run([
            "invert", dir + "/deep16.png", "--model", shippedModel, "--out", dir + "/afile/car.latent", "--no-refine",
            "--quiet",
        ])
        XCTAssertNotEqual(blocked.status, 0)
        XCTAssertTrue(blocked.stderr.contains("afile"), blocked.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir + "/afile", encoding: .utf8), "a file, not a folder")
    }

    /// The shipped model's bytes with the CRC-32 recomputed, so only the planted fault is wrong.
    func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var body = Array(bytes.dropLast(4))
        let crc = body.withUnsafeBytes { CRC32.checksum($0) }
        body += [UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8((crc >> 16) & 0xFF), UInt8(crc >> 24)]
        return body
    }

    func testHostileModelAndLatentFiles() throws {
        let model = [UInt8](try Data(contentsOf: URL(fileURLWithPath: shippedModel)))
        let headerBytes = Int(model[12]) | Int(model[13]) << 8 | Int(model[14]) << 16 | Int(model[15]) << 24
        let payload = 16 + headerBytes
        var nanModel = model
        nanModel[payload] = 0x00
        nanModel[payload + 1] = 0x7E  // fp16 NaN as the first weight
        var infModel = model
        infModel[payload] = 0x00
        infModel[payload + 1] = 0x7C  // fp16 +Inf
        var flipped = model
        flipped[payload + 1000] ^= 0x10
        let badModels: [(String, [UInt8], String)] = [
            ("empty.nvm", [], "empty"),
            ("truncated.nvm", Array(model.prefix(model.count / 3)), "truncated"),
            ("bitflip.nvm", flipped, "checksum"),
            ("nan.nvm", resealed(nanModel), "NaN"),
            ("inf.nvm", resealed(infModel), "Inf"),
            ("short.nvm", resealed(Array(model.prefix(model.count - 4096)) + [0, 0, 0, 0]), "outside the payload"),
            (
                "png.nvm", PNGFixture(width: 2, height: 2, colorType: 0, bitDepth: 8, samples: [0, 1, 2, 3]).encode(),
                "is a PNG image, not a nerfinv model"
            ),
        ]
        let latent = dir + "/car.latent"
        let photo = repoRoot + "/scenes/photos/car_256.png"
        _ = try ok(["invert", photo, "--model", shippedModel, "--out", latent, "--no-refine", "--quiet"])
        let out = dir + "/frame.png"
        try PNG.write(RGBAImage(width: 2, height: 2), to: out)
        let keep = try Data(contentsOf: URL(fileURLWithPath: out))
        for (name, bytes, says) in badModels {
            let path = try write(bytes, name)
            for args in [
                [
                    "render", "--model", path, "--latent", latent, "--azimuth", "10", "--elevation", "20", "--size",
                    "16", "--out", out,
                ],
                ["invert", photo, "--model", path, "--out", dir + "/x.latent", "--steps", "2"],
            ] {
                let r = try CLI.run(args, timeout: Self.answerWithin)
                XCTAssertNotEqual(r.status, 0, name)
                XCTAssertTrue(r.stderr.contains(name) && r.stderr.contains(says), "\(name) (\(args[0])): \(r.stderr)")
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), keep)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.latent"))

        let text = try String(contentsOfFile: latent, encoding: .utf8)
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        func variant(_ edit: (inout [String: Any]) -> Void) throws -> String {
            var j = json
            edit(&j)
            return String(decoding: try JSONSerialization.data(withJSONObject: j), as: UTF8.self)
        }
        let firstValue = try XCTUnwrap(text.range(of: #"-?[0-9]+\.[0-9]+"#, options: .regularExpression))
        var latentBytes = Array(text.utf8)
        latentBytes[latentBytes.count / 2] ^= 0x5A
        let badLatents: [(String, String, String)] = [
            ("empty.latent", "", "not a nerfinv latent"),
            ("truncated.latent", String(text.prefix(text.count / 2)), "not a nerfinv latent"),
            ("bitflip.latent", String(decoding: latentBytes, as: UTF8.self), "latent"),
            ("nan.latent", text.replacingCharacters(in: firstValue, with: "NaN"), "latent"),
            ("inf.latent", text.replacingCharacters(in: firstValue, with: "1e999"), "latent"),
            (
                "short.latent", try variant { $0["identity"] = Array(($0["identity"] as! [Any]).dropLast(5)) },
                "values; the model takes"
            ),
            (
                "camera.latent",
                try variant {
                    var v = $0["view"] as! [String: Any]
                    v["fov"] = 500
                    $0["view"] = v
                }, "not a valid camera"
            ),
            (
                "model.png.latent", String(decoding: PNGFixture.forged(width: 4, height: 4), as: UTF8.self),
                "not a nerfinv latent"
            ),
        ]
        for (name, contents, says) in badLatents {
            try contents.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            for args in [
                [
                    "render", "--model", shippedModel, "--latent", dir + "/" + name, "--azimuth", "10", "--elevation",
                    "20", "--size", "16", "--out", out,
                ],
                [
                    "turntable", "--model", shippedModel, "--latent", dir + "/" + name, "--frames", "2", "--size", "16",
                    "--out", dir + "/tt",
                ],
            ] {
                let r = try CLI.run(args, timeout: Self.answerWithin)
                XCTAssertNotEqual(r.status, 0, name)
                XCTAssertTrue(r.stderr.contains(name) && r.stderr.contains(says), "\(name) (\(args[0])): \(r.stderr)")
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), keep)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/tt/frame_000.png"))
    }

    /// SIGINT and SIGTERM stop `train` at a step boundary with a loadable checkpoint; `--resume` continues from it.
    func testInterruptedTrainingResumes() throws {
        _ = try ok([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/data", "--objects", "2", "--views",
            "3",
            "--resolution", "16", "--supersample", "1", "--seed", "8", "--quiet",
        ])
        let model = dir + "/m.nvm"
        let common = [
            "train", "--data", dir + "/data", "--out", model, "--objects-per-batch", "2", "--rays-per-object", "32",
            "--checkpoint-minutes", "60",
        ]
        var checkpointStep: Int?
        for (signal, resume) in [(SIGINT, false), (SIGTERM, true)] {
            let p = Process()
            p.executableURL = CLI.executable
            p.arguments = common + ["--steps", "10000000"] + (resume ? ["--resume"] : [])
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            // Let it take some steps (resuming, it must first load the checkpoint).
            Thread.sleep(forTimeInterval: 2)
            kill(p.processIdentifier, signal)
            let deadline = Date().addingTimeInterval(Self.answerWithin)
            while p.isRunning && Date() < deadline { usleep(10_000) }
            if p.isRunning {
                p.terminate()
                XCTFail("train did not stop on signal \(signal)")
                return
            }
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(p.terminationStatus, 130, stderr)
            let match = try XCTUnwrap(
                stderr.range(of: #"interrupted at step [0-9]+"#, options: .regularExpression), stderr)
            let step = Int(stderr[match].split(separator: " ").last!)!
            XCTAssertGreaterThan(step, 0, "it took steps before the signal")
            if resume {
                let r = try XCTUnwrap(stderr.range(of: #"resumed at step [0-9]+"#, options: .regularExpression), stderr)
                XCTAssertEqual(Int(stderr[r].split(separator: " ").last!), checkpointStep, stderr)
                XCTAssertGreaterThan(step, checkpointStep ?? 0, "the resumed run went on from the checkpoint")
            }
            // The state at the signal is saved, unless its batch loss was over the divergence guard's
            // ratio (a noisy batch of this tiny run can be): then the last good checkpoint stays.
            if stderr.contains("checkpoint saved to") {
                checkpointStep = step
            } else {
                XCTAssertTrue(stderr.contains("keeps the last good state"), stderr)
            }
            XCTAssertTrue(FileManager.default.fileExists(atPath: model + ".ckpt"))
        }
        let lastStep = try XCTUnwrap(checkpointStep)
        // Resuming with other settings, or with --steps below the step reached, is refused by name.
        let checkpoint = try Data(contentsOf: URL(fileURLWithPath: model + ".ckpt"))
        let otherSeed = try CLI.run(common + ["--steps", "\(lastStep + 2)", "--resume", "--seed", "9"])
        XCTAssertTrue(otherSeed.status != 0 && otherSeed.stderr.contains("differ in seed"), otherSeed.stderr)
        let otherBatch = try CLI.run(
            common.map { $0 == "32" ? "16" : $0 } + ["--steps", "\(lastStep + 2)", "--resume"])
        XCTAssertTrue(otherBatch.status != 0 && otherBatch.stderr.contains("raysPerObject"), otherBatch.stderr)
        let shorter = try CLI.run(common + ["--steps", "\(max(1, lastStep - 1))", "--resume"])
        XCTAssertTrue(shorter.status != 0 && shorter.stderr.contains("past --steps"), shorter.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model + ".ckpt")), checkpoint)
        // The run finishes from the checkpoint and writes a model the other commands load.
        let done = try ok(common + ["--steps", "\(lastStep + 2)", "--resume"])
        XCTAssertTrue(done.stderr.contains("resumed at step \(lastStep)"), done.stderr)
        _ = try ok([
            "fit", "--model", model, "--views", dir + "/data/cars-s8-00000", "--out", dir + "/c.latent", "--steps", "2",
            "--rays", "16", "--quiet",
        ])
    }
}
