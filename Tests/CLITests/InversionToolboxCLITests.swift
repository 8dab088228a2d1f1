import Foundation
import Imaging
import XCTest

/// The inversion toolbox: decoder tuning with its delta file, joint inversion of several photos,
/// eval's input views, the semantic term.
final class InversionToolboxCLITests: CLITestCase {
    var model: String { repoRoot + "/models/cars_gen1.nvm" }

    /// invert --tune-decoder writes <name>.delta beside the latent; render uses it, and refuses it
    /// when it is missing or belongs to another identity code.
    func testTunedDecoderDeltaIsUsedAndChecked() throws {
        let photo = repoRoot + "/scenes/photos/car_256.png"
        let base = ["invert", photo, "--model", model, "--steps", "10", "--quiet"]
        let r = try ok(base + ["--out", dir + "/a.latent", "--tune-decoder", "--tune-steps", "10", "--json"])
        XCTAssertTrue(r.stdout.contains("\"tuning\""), r.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/a.delta"))
        let text = try String(contentsOfFile: dir + "/a.latent", encoding: .utf8)
        XCTAssertTrue(text.contains("tuned decoder") && text.contains("\"decoderDelta\" : \"a.delta\""), text)
        let render = ["render", "--model", model, "--azimuth", "200", "--elevation", "20", "--size", "32"]
        _ = try ok(render + ["--latent", dir + "/a.latent", "--out", dir + "/tuned.png"])
        // The same latent without its delta renders with the model's own decoder: another picture.
        var json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        json.removeValue(forKey: "decoderDelta")
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/plain.latent"))
        _ = try ok(render + ["--latent", dir + "/plain.latent", "--out", dir + "/plain.png"])
        let (tuned, _) = try PNG.read(dir + "/tuned.png"), (plain, _) = try PNG.read(dir + "/plain.png")
        XCTAssertNotEqual(tuned.pixels, plain.pixels, "the delta changes the render")
        // A delta beside another latent (another identity code) is refused, naming the delta.
        _ = try ok(base + ["--out", dir + "/b.latent", "--photo-size", "48"])
        try FileManager.default.copyItem(atPath: dir + "/a.delta", toPath: dir + "/b.delta")
        let wrong = try CLI.run(render + ["--latent", dir + "/b.latent", "--out", dir + "/b.png"])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("b.delta") && wrong.stderr.contains("another identity code"), wrong.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/b.png"))
        // A tuned latent whose delta is gone is refused rather than rendered untuned.
        try FileManager.default.removeItem(atPath: dir + "/a.delta")
        let missing = try CLI.run(render + ["--latent", dir + "/a.latent", "--out", dir + "/c.png"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("a.delta") && missing.stderr.contains("missing"), missing.stderr)
        // Inverting again under the name without tuning removes the stale delta of the old code.
        _ = try ok(base + ["--out", dir + "/b.latent"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/b.delta"))
        _ = try ok(render + ["--latent", dir + "/b.latent", "--out", dir + "/b.png"])
    }

    /// invert --layer-steps: the latent carries its residuals (fp16) and render draws them; a
    /// layer the field does not have is refused by name; interpolation blends the residuals; the
    /// third generation's feature-map layers (with the mirror loss) run too, and edit-check edits
    /// the latent with its residuals.
    func testLayeredLatentIsWrittenAndRendered() throws {
        let photo = repoRoot + "/scenes/photos/car_256.png"
        let base = ["invert", photo, "--model", model, "--steps", "10", "--quiet"]
        let r = try ok(base + ["--out", dir + "/a.latent", "--layer-steps", "12", "--json"])
        XCTAssertTrue(r.stdout.contains("\"layers\""), r.stdout)
        let text = try String(contentsOfFile: dir + "/a.latent", encoding: .utf8)
        var json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.map { $0["name"] as? String }, ["planes"])
        let render = ["render", "--model", model, "--azimuth", "200", "--elevation", "20", "--size", "32"]
        _ = try ok(render + ["--latent", dir + "/a.latent", "--out", dir + "/layered.png"])
        json.removeValue(forKey: "layers")
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/plain.latent"))
        _ = try ok(render + ["--latent", dir + "/plain.latent", "--out", dir + "/plain.png"])
        let (layered, _) = try PNG.read(dir + "/layered.png"), (plain, _) = try PNG.read(dir + "/plain.png")
        XCTAssertNotEqual(layered.pixels, plain.pixels, "the residuals change the render")
        let wrong = try CLI.run(base + ["--out", dir + "/b.latent", "--layer-steps", "5", "--layers", "features16"])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("features16") && wrong.stderr.contains("planes"), wrong.stderr)
        _ = try ok([
            "interpolate", dir + "/a.latent", dir + "/plain.latent", "--model", model, "--steps", "2", "--out",
            dir + "/mix", "--size", "32",
        ])
        let middle = try String(contentsOfFile: dir + "/mix/step_01.latent", encoding: .utf8)
        XCTAssertTrue(middle.contains("\"layers\""), middle)
        let lit = repoRoot + "/models/cars.nvm"
        _ = try ok([
            "invert", photo, "--model", lit, "--steps", "4", "--layer-steps", "4", "--layers", "features16,planes",
            "--out", dir + "/lit.latent", "--quiet",
        ])
        _ = try ok(
            render.map { $0 == model ? lit : $0 } + ["--latent", dir + "/lit.latent", "--out", dir + "/lit.png"])
        // edit-check on an inverted latent, its residuals kept: a row per attribute and amount.
        let check = ["edit-check", "--model", lit, "--amount-list", "-1,1", "--json", "--latents"]
        let rows = try JSONSerialization.jsonObject(with: Data(try ok(check + [dir + "/lit.latent"]).stdout.utf8))
        let table = try XCTUnwrap(rows as? [[String: Any]])
        XCTAssertEqual(table.count % 2, 0)
        XCTAssertGreaterThanOrEqual(table.count, 8, "length, height, brightness and hue at two amounts")
        XCTAssertTrue(table.allSatisfy { ($0["d_length"] as? Double)?.isFinite == true })
        let missing = try CLI.run(check + [dir + "/none.latent"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("none.latent"), missing.stderr)
    }

    /// invert --joint: several photos of one object, one latent with every view; eval
    /// --input-views runs the same joint inversion on the test protocol; the semantic term runs.
    func testJointInversionAndInputViews() throws {
        _ = try ok([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/test", "--objects", "1",
            "--protocol", "test", "--resolution", "32", "--supersample", "1", "--seed", "6", "--quiet",
        ])
        let object = try FileManager.default.contentsOfDirectory(atPath: dir + "/test").first { $0.hasPrefix("cars") }!
        let views = ["000000", "000013", "000007"].map { "\(dir!)/test/\(object)/rgb/\($0).png" }
        // generate records the car's attributes beside its views (sizes in box units: under 2).
        let attributes =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(dir!)/test/\(object)/attributes.json")))
            as! [String: Any]
        let values = attributes["attributes"] as! [String: Double]
        XCTAssertEqual(Set(values.keys).isSuperset(of: ["length", "height", "wheel-size", "brightness"]), true)
        XCTAssertLessThan(values["length"]!, 2)
        XCTAssertGreaterThan(values["length"]!, values["height"]!)
        let r = try ok(
            ["invert"] + views + [
                "--model", model, "--joint", "--out", dir + "/j.latent", "--steps", "6", "--semantic-weight", "0.1",
                "--json",
            ])
        XCTAssertTrue(r.stdout.contains("\"views\""), r.stdout)
        let latent =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: dir + "/j.latent"))) as! [String: Any]
        XCTAssertEqual((latent["views"] as? [Any])?.count, 3)
        let obtained = latent["obtained"] as! [String: Any]
        XCTAssertEqual(obtained["views"] as? Int, 3)
        XCTAssertTrue((obtained["method"] as! String).contains("joint"), "\(obtained)")
        // The turntable folder gets an animated GIF; --mp4 needs ffmpeg, and says so when it is missing.
        let turntable = [
            "turntable", "--model", model, "--latent", dir + "/j.latent", "--out", dir + "/tt", "--frames", "2",
            "--size", "16", "--quiet",
        ]
        _ = try ok(turntable)
        XCTAssertEqual(try AnimatedGIF.info(dir + "/tt/turntable.gif").frames, 2)
        let hasFFmpeg = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/ffmpeg")
        }
        let video = try CLI.run(turntable + ["--gif", dir + "/t.gif", "--mp4", dir + "/t.mp4"])
        if hasFFmpeg {
            XCTAssertEqual(video.status, 0, video.stderr)
            // What browsers and phones play: H.264 in yuv420p, every frame.
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            probe.arguments = [
                "ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                "stream=codec_name,pix_fmt,nb_frames", "-of", "default=noprint_wrappers=1", dir + "/t.mp4",
            ]
            let out = Pipe()
            probe.standardOutput = out
            try probe.run()
            let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            probe.waitUntilExit()
            for line in ["codec_name=h264", "pix_fmt=yuv420p", "nb_frames=2"] {
                XCTAssertTrue(said.contains(line), said)
            }
        } else {
            XCTAssertNotEqual(video.status, 0)
            XCTAssertTrue(video.stderr.contains("ffmpeg") && video.stderr.contains("not installed"), video.stderr)
            XCTAssertFalse(
                FileManager.default.fileExists(atPath: dir + "/t.gif"), "nothing rendered before the refusal")
        }
        // Refusals: one photo, or a folder of latents.
        let out = dir + "/x.latent", one: [String] = ["invert", views[0]], all: [String] = ["invert"] + views
        let refusals: [([String], String)] = [
            (one + ["--joint", "--out", out], "two or more photos"),
            (all + ["--joint", "--out-dir", dir + "/x"], "--out"),
            (one + [views[0], "--joint", "--out", out], "named twice"),
        ]
        for (args, says) in refusals {
            let bad = try CLI.run(args + ["--model", model])
            XCTAssertNotEqual(bad.status, 0)
            XCTAssertTrue(bad.stderr.contains(says), bad.stderr)
        }
        let e = try ok([
            "eval", "--model", model, "--data", dir + "/test", "--modes", "refine", "--refine-steps", "2",
            "--input-views", "0,13", "--json",
        ])
        XCTAssertTrue(e.stdout.contains("\"inputViewPSNR\""), e.stdout)
        let bad = try CLI.run(["eval", "--model", model, "--data", dir + "/test", "--input-views", "0,99"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--input-views"), bad.stderr)
    }
}
