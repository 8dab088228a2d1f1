import Foundation
import XCTest

/// export-mesh: the three formats, read back by independent readers (trimesh and pygltflib, in
/// the venv `make test` sets up), closed, coloured (GLB and OBJ through their textures), +y up,
/// and matching the field's silhouettes.
final class MeshExportCLITests: CLITestCase {
    func testMeshesLoadInIndependentReadersAndMatchTheField() throws {
        let model = repoRoot + "/models/cars_gen1.nvm"
        _ = try ok([
            "invert", repoRoot + "/scenes/photos/car_256.png", "--model", model, "--steps", "10", "--quiet", "--out",
            dir + "/car.latent",
        ])
        let export = [
            "export-mesh", "--model", model, "--latent", dir + "/car.latent", "--resolution", "128", "--json",
        ]
        let r = try ok(export + ["--out", dir + "/car.glb", "--check"])
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(report["closed"] as? Bool, true, r.stdout)
        XCTAssertGreaterThanOrEqual(report["silhouette_iou_mean"] as! Double, 0.9, r.stdout)
        XCTAssertEqual(report["texture_size"] as? Int, 1024, r.stdout)
        XCTAssertLessThanOrEqual(report["triangles"] as? Int ?? .max, 50000, "the textured default budget")
        _ = try ok(export + ["--out", dir + "/car.ply"])
        _ = try ok(export + ["--out", dir + "/car.obj", "--max-faces", "5000", "--texture-size", "256"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/car.mtl"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/car.png"))
        _ = try ok(export + ["--out", dir + "/plain.glb", "--texture-size", "0"])
        let python = repoRoot + "/.build/meshcheck/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            return XCTFail("\(python) is missing: `make test` sets up the mesh readers (make testdeps)")
        }
        let (status, text) = try runScript(
            python: python,
            [repoRoot + "/tools/check_meshes.py"]
                + ["car.glb", "car.ply", "car.obj", "plain.glb"].map { dir + "/" + $0 })
        XCTAssertEqual(status, 0, text)
        let lines = text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        XCTAssertEqual(lines.count, 4, text)
        for line in lines { XCTAssertEqual(line["ok"] as? Bool, true, "\(line)") }
        XCTAssertEqual(lines[0]["texture"] as? [Int], [1024, 1024], "\(lines[0])")
        XCTAssertEqual(lines[2]["texture"] as? [Int], [256, 256], "\(lines[2])")
        XCTAssertTrue((lines[3]["attributes"] as? [String])?.contains("COLOR_0") == true, "\(lines[3])")
        let objFaces = lines.first { ($0["file"] as? String)?.hasSuffix(".obj") == true }?["faces"] as? Int
        XCTAssertLessThanOrEqual(objFaces ?? .max, 5000, "the face budget")
        XCTAssertGreaterThan(objFaces ?? 0, 4000)
        // A name without a mesh extension is refused before any work.
        let bad = try CLI.run(export + ["--out", dir + "/car.stl"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("car.stl") && bad.stderr.contains(".glb"), bad.stderr)
    }
}
