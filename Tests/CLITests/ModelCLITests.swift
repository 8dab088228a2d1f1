import Foundation
import XCTest

/// train -> resume -> fit -> render -> turntable on a tiny dataset, plus the errors users meet.
final class ModelCLITests: CLITestCase {
    func testTrainResumeFitRenderTurntable() throws {
        _ = try ok([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/data", "--objects", "2", "--views",
            "4",
            "--resolution", "16", "--supersample", "1", "--seed", "5", "--quiet",
        ])
        let model = dir + "/m.nvm"
        let common = [
            "train", "--data", dir + "/data", "--out", model, "--objects-per-batch", "2", "--rays-per-object", "32",
            "--quiet",
        ]
        _ = try ok(common + ["--steps", "2"])
        // A second plain run would silently restart: it must ask for --resume instead.
        let again = try CLI.run(common + ["--steps", "4"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("--resume"), again.stderr)
        _ = try ok(common + ["--steps", "4", "--resume"])
        let log = try String(contentsOfFile: dir + "/m.train_log.csv", encoding: .utf8)
        XCTAssertTrue(log.hasPrefix("step,loss,psnr_db"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/m.train_curve.png"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: model))

        let latent = dir + "/car.latent"
        let fit = try ok([
            "fit", "--model", model, "--views", dir + "/data/cars-s5-00000", "--out", latent, "--steps", "2", "--rays",
            "32",
        ])
        XCTAssertTrue(fit.stdout.contains("mean PSNR"), fit.stdout)
        // A continuation starts from the model's weights and codes: at a negligible learning rate its
        // fit matches the original's; refused for a model trained on other objects.
        let continued = dir + "/c.nvm"
        _ = try ok([
            "train", "--data", dir + "/data", "--out", continued, "--init-model", model, "--lr-decoder", "1e-9",
            "--lr-codes", "1e-9",
            "--warmup", "1", "--objects-per-batch", "2", "--rays-per-object", "32", "--steps", "1", "--seed", "7",
            "--quiet",
        ])
        _ = try ok([
            "fit", "--model", continued, "--views", dir + "/data/cars-s5-00000", "--out", dir + "/c.latent", "--steps",
            "2", "--rays", "32",
        ])
        func identity(_ path: String) throws -> [Double] {
            let json =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
            return try XCTUnwrap(json?["identity"] as? [Double], path)
        }
        let original = try identity(latent), again2 = try identity(dir + "/c.latent")
        XCTAssertEqual(original.count, again2.count)
        XCTAssertLessThan(zip(original, again2).map { abs($0 - $1) }.max() ?? 1, 1e-3)
        let otherObjects = try CLI.run([
            "train", "--data", dir + "/data", "--out", dir + "/c2.nvm", "--init-model", model, "--limit-objects", "1",
            "--steps", "1", "--quiet",
        ])
        XCTAssertNotEqual(otherObjects.status, 0)
        XCTAssertTrue(
            otherObjects.stderr.contains("m.nvm") && otherObjects.stderr.contains("other objects"), otherObjects.stderr)

        let render = try ok([
            "render", "--model", model, "--latent", latent, "--azimuth", "30", "--elevation", "20", "--size", "24",
            "--out", dir + "/r.png", "--depth", dir + "/d.png", "--json",
        ])
        let fields = try JSONSerialization.jsonObject(with: Data(render.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(fields?["depth"] as? String, dir + "/d.png", render.stdout)
        let quiet = try ok([
            "render", "--model", model, "--latent", latent, "--azimuth", "30", "--elevation", "20", "--size", "24",
            "--out", dir + "/r.png", "--quiet",
        ])
        XCTAssertEqual(quiet.stdout + quiet.stderr, "")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/d.png"))
        // An existing output folder keeps its other files.
        try FileManager.default.createDirectory(atPath: dir + "/tt", withIntermediateDirectories: true)
        try "keep me".write(toFile: dir + "/tt/notes.txt", atomically: true, encoding: .utf8)
        _ = try ok([
            "turntable", "--model", model, "--latent", latent, "--frames", "3", "--size", "16", "--out", dir + "/tt",
            "--quiet",
        ])
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir + "/tt"))
        XCTAssertEqual(
            files,
            ["frame_000.png", "frame_001.png", "frame_002.png", "contact_sheet.png", "turntable.gif", "notes.txt"])

        // Errors: a latent for another model, a corrupted model, nonsense numbers.
        _ = try ok([
            "train", "--data", dir + "/data", "--out", dir + "/other.nvm", "--objects-per-batch", "1",
            "--rays-per-object", "16",
            "--steps", "1", "--seed", "9", "--quiet",
        ])
        let wrong = try CLI.run([
            "render", "--model", dir + "/other.nvm", "--latent", latent, "--azimuth", "0", "--elevation", "10", "--out",
            dir + "/x.png",
        ])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("not this one"), wrong.stderr)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: dir + "/broken.nvm"))
        let broken = try CLI.run([
            "render", "--model", dir + "/broken.nvm", "--latent", latent, "--azimuth", "0", "--elevation", "10",
            "--out", dir + "/x.png",
        ])
        XCTAssertNotEqual(broken.status, 0)
        XCTAssertTrue(broken.stderr.contains("broken.nvm") && broken.stderr.contains("checksum"), broken.stderr)
        let nan = try CLI.run([
            "render", "--model", model, "--latent", latent, "--azimuth", "nan", "--elevation", "10", "--out",
            dir + "/x.png",
        ])
        XCTAssertNotEqual(nan.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.png"))
    }
}
