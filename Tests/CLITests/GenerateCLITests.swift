import Foundation
import Imaging
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

    /// --backgrounds: each view also as a photo in surroundings, with the car's exact mask; the car's
    /// own pixels are the white-background view's, the rest is no longer white.
    func testBackgroundPhotosAndMasks() throws {
        let r = try CLI.run([
            "generate", "--scene", repoRoot + "/scenes/cars.json", "--out", dir + "/bg", "--objects", "1", "--views",
            "2", "--resolution", "32", "--seed", "5", "--backgrounds", "--quiet",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = dir + "/bg/cars-s5-00000"
        for v in ["000000", "000001"] {
            let (rgb, _) = try PNG.read("\(object)/rgb/\(v).png")
            let (photo, _) = try PNG.read("\(object)/photo/\(v).png")
            let (mask, info) = try PNG.read("\(object)/mask/\(v).png")
            XCTAssertEqual(info.colorType, 0, "the mask is 8-bit gray")
            var inside = 0, outside = 0, differentOutside = 0
            for y in 0..<32 {
                for x in 0..<32 {
                    let m = mask[x, y, 0]
                    if m > 0.999 {
                        inside += 1
                        for c in 0..<3 { XCTAssertEqual(photo[x, y, c], rgb[x, y, c], accuracy: 1.0 / 255) }
                    } else if m < 0.001 {
                        outside += 1
                        XCTAssertEqual(rgb[x, y, 0], 1, accuracy: 1.0 / 255, "white behind the car in rgb/")
                        if abs(photo[x, y, 0] - 1) + abs(photo[x, y, 1] - 1) + abs(photo[x, y, 2] - 1) > 0.05 {
                            differentOutside += 1
                        }
                    }
                }
            }
            XCTAssertGreaterThan(inside, 20)
            XCTAssertGreaterThan(outside, 200)
            XCTAssertGreaterThan(differentOutside, outside * 9 / 10, "surroundings behind the car")
        }
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
