import Datasets
import Foundation
import Geometry
import Imaging
import NeuralCore
import XCTest

final class CameraTests: XCTestCase {
    func testTestProtocolViewZeroIsLookAt() throws {
        XCTAssertEqual(Rig.testViews.count, 25)
        XCTAssertEqual(Rig.testViews[0].azimuth, 35)
        XCTAssertEqual(Rig.testViews[0].elevation, 20)
        XCTAssertEqual(Rig.testViews[1].azimuth, 0)
        XCTAssertEqual(Rig.testViews[1].elevation, 10)
        XCTAssertEqual(Rig.testViews[2].azimuth, 15)
        XCTAssertEqual(Rig.testViews[2].elevation, 30)
        XCTAssertEqual(Rig.testViews[24].azimuth, 345)
        let cam = Rig.camera(azimuth: 35, elevation: 20, width: 64, height: 64)
        let a = 35 * Double.pi / 180, e = 20 * Double.pi / 180
        let eye = [3 * cos(e) * cos(a), 3 * cos(e) * sin(a), 3 * sin(e)]
        let expected = try XCTUnwrap(LookAt.cameraToWorld(eye: eye))
        for (x, y) in zip(cam.cameraToWorld, expected) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        XCTAssertEqual(cam.intrinsics.focal, 87.919, accuracy: 1e-3)  // RIG.md's figure at 64x64
        XCTAssertEqual(cam.intrinsics.cx, 32)
        // The optical axis passes through the origin: its projection is the image centre.
        let c = cam.project(.zero)
        XCTAssertEqual(c.x, 32, accuracy: 1e-9)
        XCTAssertEqual(c.y, 32, accuracy: 1e-9)
        XCTAssertEqual(c.depth, 3, accuracy: 1e-9)
        let angles = Rig.angles(of: cam.position)
        XCTAssertEqual(angles.azimuth, 35, accuracy: 1e-9)
        XCTAssertEqual(angles.elevation, 20, accuracy: 1e-9)
    }

    func testAzimuthZeroSeesTheFrontAndUpIsUp() {
        let cam = Rig.camera(azimuth: 0, elevation: 10, width: 64, height: 64)
        // A point above the origin appears above the centre (smaller y); facing -x with +z up,
        // +y is on the camera's right.
        XCTAssertLessThan(cam.project(SIMD3(0, 0, 0.5)).y, 32)
        XCTAssertGreaterThan(cam.project(SIMD3(0, 0.5, 0)).x, 32)
        // +x (front) is nearer
        XCTAssertLessThan(cam.project(SIMD3(0.5, 0, 0)).depth, cam.project(SIMD3(-0.5, 0, 0)).depth)
    }

    func testRayThroughProjectionHitsThePoint() {
        let cam = Rig.camera(azimuth: 123, elevation: 33, width: 50, height: 40)
        let p = SIMD3<Double>(0.2, -0.4, 0.3)
        let q = cam.project(p)
        let r = cam.ray(x: q.x, y: q.y)
        let t = ((p - r.origin) * r.direction).sum()
        let closest = r.origin + r.direction * t
        XCTAssertLessThan(((closest - p) * (closest - p)).sum().squareRoot(), 1e-9)
    }
}

final class DatasetReaderTests: XCTestCase {
    var dir: String!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-ds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ text: String, _ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func testSRNRoundTripAndNerfSyntheticGiveTheSameRays() throws {
        let cam = Rig.camera(azimuth: 70, elevation: 25, width: 32, height: 32)
        var img = RGBAImage(width: 32, height: 32, fill: (0.5, 0.25, 1, 1))
        img[3, 4, 3] = 0  // transparent pixel: composited onto white
        // SRN
        let obj = dir + "/srn/obj"
        for sub in ["rgb", "pose", "depth"] {
            try FileManager.default.createDirectory(atPath: "\(obj)/\(sub)", withIntermediateDirectories: true)
        }
        try SRNDataset.writeIntrinsics(cam.intrinsics, objectDir: obj)
        try SRNDataset.writeView(
            objectDir: obj, index: 0, image: img, camera: cam, depth: [Float](repeating: 2.5, count: 32 * 32),
            alpha: true)
        let srn = try SRNDataset.loadObject(obj)
        XCTAssertEqual(try SRNDataset.objectIDs(root: dir + "/srn"), ["obj"])
        XCTAssertEqual(srn.views.count, 1)
        XCTAssertEqual(srn.views[0].image[3, 4, 0], 1)
        XCTAssertEqual(srn.views[0].depth?[0] ?? 0, 2.5, accuracy: 1e-4)
        // NeRF-synthetic: OpenGL axes, horizontal FOV.
        let gl = NerfSyntheticDataset.openCVFromOpenGL(cam.cameraToWorld)  // the flip is its own inverse
        let rows = (0..<4).map { r in "[" + (0..<4).map { String(gl[r * 4 + $0]) }.joined(separator: ",") + "]" }
            .joined(separator: ",")
        let angleX = 2 * atan(16 / cam.intrinsics.focal)
        try write(
            "{\"camera_angle_x\": \(angleX), \"frames\": [{\"file_path\": \"./train/r_0\", \"transform_matrix\": [\(rows)]}]}",
            dir + "/nerf/transforms_train.json")
        try FileManager.default.createDirectory(atPath: dir + "/nerf/train", withIntermediateDirectories: true)
        try PNG.write(img, to: dir + "/nerf/train/r_0.png", alpha: true)
        let nerf = try NerfSyntheticDataset.load(dir + "/nerf")
        // Either layout reads through one entry point, which tells which one a folder is.
        XCTAssertEqual(try MultiViewDataset.objectIDs(root: dir), ["nerf"])
        XCTAssertEqual(try MultiViewDataset.objectIDs(root: dir + "/srn"), ["obj"])
        XCTAssertEqual(try MultiViewDataset.loadObject(dir + "/nerf").views.count, 1)
        XCTAssertEqual(try MultiViewDataset.loadObject(obj).views[0].image, srn.views[0].image)
        XCTAssertThrowsError(try MultiViewDataset.loadObject(dir + "/srn")) {
            XCTAssertTrue("\($0)".contains("transforms_train.json"))
        }
        for (x, y) in [(0.5, 0.5), (16.0, 16.0), (31.5, 7.25)] {
            let a = srn.views[0].camera.ray(x: x, y: y), b = nerf.views[0].camera.ray(x: x, y: y),
                c = cam.ray(x: x, y: y)
            for k in 0..<3 {
                XCTAssertEqual(a.origin[k], c.origin[k], accuracy: 1e-6)
                XCTAssertEqual(a.direction[k], c.direction[k], accuracy: 1e-6)
                XCTAssertEqual(b.origin[k], c.origin[k], accuracy: 1e-6)
                XCTAssertEqual(b.direction[k], c.direction[k], accuracy: 1e-6)
            }
        }
    }

    func testPoseOnOneLineAndFocalRescaling() throws {
        let obj = dir + "/o"
        try FileManager.default.createDirectory(atPath: obj + "/rgb", withIntermediateDirectories: true)
        try PNG.write(RGBAImage(width: 64, height: 64), to: obj + "/rgb/000000.png")
        let cam = Rig.camera(azimuth: 10, elevation: 10, width: 64, height: 64)
        try write(cam.cameraToWorld.map { String($0) }.joined(separator: " ") + "\n", obj + "/pose/000000.txt")
        // pixelNeRF's srn_cars states intrinsics for 512x512 images.
        try write("703.35 256 256 0.\n0. 0. 0.\n1.\n512 512\n", obj + "/intrinsics.txt")
        let o = try SRNDataset.loadObject(obj)
        XCTAssertEqual(o.views[0].camera.intrinsics.focal, 703.35 / 8, accuracy: 1e-9)
        XCTAssertEqual(o.views[0].camera.intrinsics.cx, 32, accuracy: 1e-9)
        XCTAssertEqual(o.views[0].camera.position.x, cam.position.x, accuracy: 1e-9)
    }

    func testMalformedFilesNameFileAndLine() throws {
        let pose = dir + "/pose.txt"
        try write("1 0 0 0\n0 1 zero 0\n0 0 1 3\n0 0 0 1\n", pose)
        XCTAssertThrowsError(try SRNDataset.readPose(pose)) {
            XCTAssertTrue("\($0)".contains("line 2") && "\($0)".contains(pose), "\($0)")
        }
        try write("1 0 0 0 0 1 0 0 0 0 1\n", pose)
        XCTAssertThrowsError(try SRNDataset.readPose(pose)) {
            XCTAssertTrue("\($0)".contains("expected 16 numbers"), "\($0)")
        }
        try write("2 0 0 0\n0 1 0 0\n0 0 1 3\n0 0 0 1\n", pose)
        XCTAssertThrowsError(try SRNDataset.readPose(pose)) {
            XCTAssertTrue("\($0)".contains("rotation column"), "\($0)")
        }
        let k = dir + "/intrinsics.txt"
        try write("-5 32 32 0.\n", k)
        XCTAssertThrowsError(try SRNDataset.readIntrinsics(k, imageWidth: 64, imageHeight: 64)) {
            XCTAssertTrue("\($0)".contains("positive"))
        }
        try write(
            "{\"camera_angle_x\": 0.7, \"frames\": [{\"file_path\": \"a\", \"transform_matrix\": [[1,0,0]]}]}",
            dir + "/n/transforms_train.json")
        XCTAssertThrowsError(try NerfSyntheticDataset.load(dir + "/n")) {
            XCTAssertTrue("\($0)".contains("4x4"), "\($0)")
        }
        XCTAssertThrowsError(try SRNDataset.loadObject(dir + "/nothing")) { XCTAssertTrue("\($0)".contains("rgb")) }
    }
}
