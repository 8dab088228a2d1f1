import Foundation
import XCTest

/// Blender is the client: a textured GLB imported by Blender (the bpy wheel in `.build/blender`,
/// which `make testdeps` installs) and rendered at the photo's camera and three others, scored by
/// an independent script against the photo and against nerfinv's own renders.
final class BlenderCLITests: CLITestCase {
    func testBlenderRendersTheGLBLikeThePhotoAndTheField() throws {
        let python = repoRoot + "/.build/blender/bin/python"
        let installed = FileManager.default.isExecutableFile(atPath: python)
        guard installed, try runScript(python: python, ["-c", "import bpy"]).status == 0 else {
            throw XCTSkip("bpy is not installed in .build/blender (make testdeps installs it where PyPI's wheel runs)")
        }
        let latent = dir + "/car.latent"
        _ = try ok(["invert", repoRoot + "/scenes/photos/car_256.png", "--out", latent, "--quiet"])
        _ = try ok([
            "export-mesh", "--latent", latent, "--out", dir + "/car.glb", "--baked-light", "--light", "photo",
            "--resolution", "128", "--texture-size", "512", "--quiet",
        ])
        let view = try XCTUnwrap(
            (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: latent))) as? [String: Any])?[
                "view"] as? [String: Any])
        let azimuth = try XCTUnwrap(view["azimuth"] as? Double), elevation = try XCTUnwrap(view["elevation"] as? Double)
        var cameras: [[String: Any]] = [
            ["name": "input", "azimuth": azimuth, "elevation": elevation, "distance": 3.0, "fov": 40, "size": 128]
        ]
        var pairs = [dir + "/blender/input.png", dir + "/car_input.png"]
        for turn in [90.0, 180, 270] {
            let az = (azimuth + turn).truncatingRemainder(dividingBy: 360), name = "novel\(Int(turn))"
            cameras.append(["name": name, "azimuth": az, "elevation": 20, "distance": 3.0, "fov": 40, "size": 128])
            _ = try ok([
                "render", "--latent", latent, "--azimuth", "\(az)", "--elevation", "20", "--size", "512", "--light",
                "photo", "--out", dir + "/\(name).png", "--quiet",
            ])
            pairs += [dir + "/blender/\(name).png", dir + "/\(name).png"]
        }
        try JSONSerialization.data(withJSONObject: cameras).write(to: URL(fileURLWithPath: dir + "/cameras.json"))
        let render = try runScript(
            python: python,
            [
                repoRoot + "/tools/blender_render_glb.py", "--glb", dir + "/car.glb", "--cameras",
                dir + "/cameras.json",
                "--out", dir + "/blender", "--samples", "16",
            ])
        XCTAssertEqual(render.status, 0, render.output)
        let scored = try runScript(python: python, [repoRoot + "/tools/score_renders.py"] + pairs)
        XCTAssertEqual(scored.status, 0, scored.output)
        let scores = scored.output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["object_psnr_db"] as? Double
        }
        XCTAssertEqual(scores.count, 4, scored.output)
        print("Blender against the photo: \(scores[0]) dB; against nerfinv at three cameras: \(scores.dropFirst())")
        // Measured on this photo at these sizes: 24.6 dB against the photo, 18.4-20.8 dB against
        // nerfinv at the three novel cameras. The mesh's hard outline against the field's soft one
        // costs most of what is lost; the first version, whose edge texels took the photo's white
        // background, scored 18.8 and 14.0-14.8.
        XCTAssertGreaterThan(scores[0], 22.5, scored.output)
        for s in scores.dropFirst() { XCTAssertGreaterThan(s, 16.5, scored.output) }
    }
}
