import Foundation
import Imaging
import XCTest

/// train -> train-encoder -> invert (encoder, refine, mean start, turntable), eval modes, and the
/// photos invert must refuse.
final class InvertCLITests: CLITestCase {
    func testTrainEncoderInvertAndEval() throws {
        _ = try ok([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/data", "--objects", "2", "--views",
            "3",
            "--resolution", "64", "--supersample", "1", "--seed", "5", "--quiet",
        ])
        let model = dir + "/m.nvm"
        _ = try ok([
            "train", "--data", dir + "/data", "--out", model, "--objects-per-batch", "2", "--rays-per-object", "32",
            "--steps", "2", "--quiet",
        ])
        // invert needs an encoder unless it starts from the mean code.
        let photo = dir + "/data/cars-s5-00001/rgb/000000.png"
        let noEncoder = try CLI.run([
            "invert", photo, "--model", model, "--out", dir + "/a.latent", "--steps", "2", "--quiet",
        ])
        XCTAssertNotEqual(noEncoder.status, 0)
        XCTAssertTrue(noEncoder.stderr.contains("train-encoder"), noEncoder.stderr)
        _ = try ok([
            "invert", photo, "--model", model, "--out", dir + "/mean.latent", "--init", "mean", "--steps", "2",
            "--quiet",
        ])

        let encoderRun = ["train-encoder", "--data", dir + "/data", "--model", model, "--render-from", "2", "--quiet"]
        _ = try ok(encoderRun + ["--steps", "2"])
        let again = try CLI.run(encoderRun + ["--steps", "3"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("--resume"), again.stderr)
        _ = try ok(encoderRun + ["--steps", "3", "--resume"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/m.encoder_log.csv"))
        let inv = try ok([
            "invert", photo, "--model", model, "--out", dir + "/out/car.latent", "--steps", "3",
            "--turntable", dir + "/tt", "--frames", "2", "--size", "16",
        ])
        XCTAssertTrue(inv.stdout.contains("azimuth"), inv.stdout)
        for f in [
            "out/car.latent", "out/car_input.png", "out/car_input_reconstruction.png", "tt/frame_001.png",
            "tt/contact_sheet.png",
        ] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + f), f)
        }
        let latent = try String(contentsOfFile: dir + "/out/car.latent", encoding: .utf8)
        XCTAssertTrue(latent.contains("encoder+refine") && latent.contains("\"gain\""), latent)
        let json = try ok(["invert", photo, "--model", model, "--out", dir + "/enc.latent", "--no-refine", "--json"])
        XCTAssertTrue(json.stdout.hasPrefix("{") && json.stdout.contains("\"method\":\"encoder\""), json.stdout)
        // The latent renders with the model it names.
        _ = try ok([
            "render", "--model", model, "--latent", dir + "/out/car.latent", "--azimuth", "90", "--elevation", "20",
            "--size", "16", "--out", dir + "/r.png",
        ])

        // The iterative encoder: none yet, then trained on the model's encoder (resumable, own
        // log), then `invert --fast` (the encoders alone) and its per-iteration sheet.
        let fastless = try CLI.run(["invert", photo, "--model", model, "--out", dir + "/f.latent", "--fast"])
        XCTAssertNotEqual(fastless.status, 0)
        XCTAssertTrue(fastless.stderr.contains("train-encoder --iterative"), fastless.stderr)
        let iterativeRun = ["train-encoder", "--data", dir + "/data", "--model", model, "--iterative", "--quiet"]
        _ = try ok(iterativeRun + ["--steps", "2"])
        _ = try ok(iterativeRun + ["--steps", "3", "--resume"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/m.iterative_log.csv"))
        let fast = try ok(["invert", photo, "--model", model, "--out", dir + "/f.latent", "--fast", "--json"])
        XCTAssertTrue(fast.stdout.contains("\"method\":\"encoder+iterations\""), fast.stdout)
        let byDefault = try ok([
            "invert", photo, "--model", model, "--out", dir + "/d.latent", "--steps", "2", "--json",
        ])
        XCTAssertTrue(byDefault.stdout.contains("encoder+iterations+refine"), byDefault.stdout)
        _ = try ok(["iteration-sheet", photo, "--model", model, "--out", dir + "/it.png", "--size", "32", "--quiet"])
        let (sheet, _) = try PNG.read(dir + "/it.png")
        XCTAssertGreaterThan(sheet.width, 32 * 11, "photo, then two cells for the start, 3 iterations and the steps")

        // A non-square photo of another size is framed (centre square) and inverted.
        let (img, _) = try PNG.read(photo)
        var wide = RGBAImage(width: 96, height: 64)
        for y in 0..<64 {
            for x in 0..<64 {
                for c in 0..<4 { wide.pixels[4 * (y * 96 + x + 16) + c] = img.pixels[4 * (y * 64 + x) + c] }
            }
        }
        try PNG.write(wide, to: dir + "/wide.png")
        let w = try ok(["invert", dir + "/wide.png", "--model", model, "--out", dir + "/wide.latent", "--steps", "2"])
        XCTAssertTrue(w.stderr.contains("centre square"), w.stderr)

        // Photos invert must refuse, each naming the file, leaving an existing latent untouched.
        let keep = try Data(contentsOf: URL(fileURLWithPath: dir + "/enc.latent"))
        try PNG.write(RGBAImage(width: 40, height: 40), to: dir + "/white.png")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 0x4A, 0x46, 0x49, 0x46, 0, 1]).write(
            to: URL(fileURLWithPath: dir + "/jpeg.png"))
        try "hello".write(toFile: dir + "/text.png", atomically: true, encoding: .utf8)
        for (bad, message) in [
            ("white.png", "no object"), ("jpeg.png", "jpeg.png"), ("text.png", "text.png"),
            ("missing.png", "missing.png"),
        ] {
            let r = try CLI.run([
                "invert", dir + "/" + bad, "--model", model, "--out", dir + "/enc.latent", "--steps", "2",
            ])
            XCTAssertNotEqual(r.status, 0, bad)
            XCTAssertTrue(r.stderr.contains(message), "\(bad): \(r.stderr)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/enc.latent")), keep)

        // eval scores test-protocol sets only: the training set is refused, a test set scored.
        let refusedSet = try CLI.run(["eval", "--model", model, "--data", dir + "/data", "--modes", "encoder"])
        XCTAssertTrue(refusedSet.status != 0 && refusedSet.stderr.contains("train-protocol"), refusedSet.stderr)
        _ = try ok([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/test", "--objects", "1",
            "--protocol",
            "test", "--resolution", "32", "--supersample", "1", "--seed", "6", "--quiet",
        ])
        let eval = try ok([
            "eval", "--model", model, "--data", dir + "/test", "--modes", "encoder,refine,mean-refine", "--limit", "1",
            "--refine-steps", "2", "--consistency-objects", "1", "--json", "--report", dir + "/eval.json",
        ])
        let rows = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [[String: Any]]
        XCTAssertEqual(rows?.map { $0["mode"] as? String }, ["encoder", "refine", "mean-refine"], eval.stdout)
        XCTAssertTrue(eval.stderr.isEmpty, "--json prints no progress: \(eval.stderr)")
    }
}
