import Datasets
import FileIO
import Foundation
import Geometry
import Imaging
import XCTest

/// The SRN layout (rgb/, pose/, intrinsics.txt) written and read back, and what a broken folder says.
final class SRNDatasetTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("srn-\(UUID().uuidString)").path
        for sub in ["car/rgb", "car/pose"] {
            try FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// Two rig views of an 8x8 object: the image, the camera and the view names come back as written.
    func writeObject() throws -> [Camera] {
        let cameras = [(35.0, 20.0), (200.0, 10.0)].map {
            Rig.camera(azimuth: $0.0, elevation: $0.1, width: 8, height: 8)
        }
        try SRNDataset.writeIntrinsics(cameras[0].intrinsics, objectDir: dir + "/car")
        for (k, camera) in cameras.enumerated() {
            var image = RGBAImage(width: 8, height: 8)
            for p in 0..<64 {
                for c in 0..<3 { image.pixels[4 * p + c] = c == k ? Float(p % 8) / 7 : 0 }
                image.pixels[4 * p + 3] = 1
            }
            try SRNDataset.writeView(
                objectDir: dir + "/car", index: k, image: image, camera: camera, depth: nil, alpha: false)
        }
        return cameras
    }

    func testRoundTrip() throws {
        let cameras = try writeObject()
        XCTAssertEqual(try SRNDataset.objectIDs(root: dir), ["car"])
        let object = try SRNDataset.loadObject(dir + "/car")
        XCTAssertEqual(object.id, "car")
        XCTAssertEqual(object.views.map(\.name), ["000000", "000001"])
        for (view, camera) in zip(object.views, cameras) {
            XCTAssertEqual(view.camera.intrinsics.width, 8)
            XCTAssertEqual(view.camera.intrinsics.focal, camera.intrinsics.focal, accuracy: 1e-5)
            let a = Rig.angles(of: view.camera.position), b = Rig.angles(of: camera.position)
            XCTAssertEqual(a.azimuth, b.azimuth, accuracy: 1e-6)
            XCTAssertEqual(a.elevation, b.elevation, accuracy: 1e-6)
        }
        // 8-bit PNG: values on the 1/255 grid.
        XCTAssertEqual(object.views[1].image.pixels[4 * 7 + 1], 1, accuracy: 1 / 255)
        XCTAssertEqual(object.views[1].image.pixels[4 * 7], 0, accuracy: 1 / 255)
    }

    /// A pose that is no rotation, text that is no number, a camera at the origin: each error names
    /// the file and what is wrong.
    func testBrokenPosesAreNamed() throws {
        _ = try writeObject()
        let pose = dir + "/car/pose/000001.txt"
        let cases = [
            ("2 0 0 3\n0 1 0 0\n0 0 1 0\n0 0 0 1\n", "rotation column 0"),
            ("1 0 0 3\n0 1 0 0\n0 0 1 x\n0 0 0 1\n", "line 3: 'x' is not a finite number"),
            ("1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n", "units from the origin"),
            ("1 0 0 3\n", "expected 16 numbers"),
        ]
        for (text, says) in cases {
            try AtomicFile.write(Data(text.utf8), to: pose)
            XCTAssertThrowsError(try SRNDataset.loadObject(dir + "/car")) {
                XCTAssertTrue("\($0)".contains(says) && "\($0)".contains("000001.txt"), "\($0)")
            }
        }
        XCTAssertThrowsError(try SRNDataset.objectIDs(root: dir + "/missing")) {
            XCTAssertTrue("\($0)".contains("cannot list"), "\($0)")
        }
    }

    /// Per-view lights round-trip through their packed form; a folder without lighting.json has none.
    func testViewLightPacking() throws {
        let light = ViewLight(direction: [0.1, 0.2, 0.97], key: [0.7, 0.6, 0.5], sky: [0.3, 0.3, 0.4])
        XCTAssertEqual(ViewLight(packed: light.packed), light)
        XCTAssertEqual(light.packed.count, ViewLight.count)
        XCTAssertNil(try ViewLight.load(objectFolder: dir + "/car", views: 2))
    }
}
