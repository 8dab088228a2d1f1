import Foundation
import XCTest

final class GenerateCLITests: XCTestCase {
    var dir: String!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func files(_ root: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: root)!
        while let f = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(root)/\(f)", isDirectory: &isDir), !isDir.boolValue {
                out[f] = FileManager.default.contents(atPath: "\(root)/\(f)")
            }
        }
        return out
    }

    func testSameSeedGivesByteIdenticalDatasets() throws {
        let scene = repoRoot + "/scenes/cars.json"
        for name in ["a", "b"] {
            let r = try CLI.run([
                "generate", "--scene", scene, "--out", "\(dir!)/\(name)", "--objects", "2", "--views", "3",
                "--resolution", "24", "--seed", "11", "--depth", "--quiet",
            ])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let a = try files("\(dir!)/a"), b = try files("\(dir!)/b")
        // per object: 3 rgb, 3 pose, 3 depth, intrinsics, lighting.json, attributes.json; plus dataset.json
        XCTAssertEqual(a.count, 2 * (3 * 3 + 3) + 1)
        XCTAssertEqual(a, b)
        XCTAssertNotNil(a["cars-s11-00001/rgb/000002.png"])
        let other = try CLI.run([
            "generate", "--scene", scene, "--out", "\(dir!)/c", "--objects", "1", "--views", "1",
            "--resolution", "24", "--seed", "12", "--quiet",
        ])
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertNotEqual(try files("\(dir!)/c")["cars-s12-00000/rgb/000000.png"], a["cars-s11-00000/rgb/000000.png"])
    }

    func testTestProtocolWrites25ViewsAndASheet() throws {
        let r = try CLI.run([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/t", "--objects", "1",
            "--protocol", "test", "--resolution", "16", "--supersample", "1", "--seed", "3",
            "--contact-sheet", dir + "/sheet.png", "--quiet",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rgb = try FileManager.default.contentsOfDirectory(atPath: dir + "/t/cars-s3-00000/rgb")
        XCTAssertEqual(rgb.count, 25)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/sheet.png"))
    }

    func testNonsenseFlagsFailClearly() throws {
        let cases: [([String], String)] = [
            (["generate", "--out", dir + "/x", "--objects", "0"], "--objects"),
            (["generate", "--out", dir + "/x", "--objects", "1", "--resolution", "3"], "--resolution"),
            (["generate", "--out", dir + "/x", "--objects", "1", "--protocol", "sideways"], "protocol"),
            (["generate", "--out", dir + "/x", "--objects", "1", "--scene", dir + "/none.json"], "none.json"),
            (["generate", "--out", dir + "/x", "--objects", "1", "--protocol", "test", "--views", "3"], "--views"),
        ]
        for (args, fragment) in cases {
            let r = try CLI.run(args)
            XCTAssertNotEqual(r.status, 0, args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(fragment), "stderr of \(args) lacks \(fragment): \(r.stderr)")
        }
    }
}
