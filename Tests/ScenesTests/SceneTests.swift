import FileIO
import Foundation
import Geometry
import Imaging
import NeuralCore
import XCTest

@testable import Scenes

/// The repository root, found from this file's path, so tests read the real scenes/ files.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

final class SceneSpecTests: XCTestCase {
    func testShippedSceneFilesLoad() throws {
        let cars = try SceneSpec.load(repoRoot + "/scenes/cars.json")
        XCTAssertEqual(cars.generator, "car")
        XCTAssertGreaterThanOrEqual(cars.palette["body"]!.count, 8)
        XCTAssertEqual(
            Set(cars.cars!.map(\.name)),
            ["sedan", "hatchback", "suv", "van", "pickup", "sports", "wagon", "coupe", "offroader"])
        XCTAssertEqual(cars.rig.distance, 3.0)
        XCTAssertEqual(cars.rig.fovDegrees, 40)
        XCTAssertEqual(cars.rig.lightDirection, [0.3, 0.5, 0.8])
        XCTAssertEqual(cars.imageFormation, .full, "the default cars have every effect on")
        XCTAssertNotNil(cars.lighting)
        // The first generation's family: six styles, no effects, no random light, no optional parts.
        let gen1 = try SceneSpec.load(repoRoot + "/scenes/cars_gen1.json")
        XCTAssertEqual(gen1.cars!.count, 6)
        XCTAssertNil(gen1.imageFormation)
        XCTAssertNil(gen1.lighting)
        XCTAssertNil(gen1.details)
        let chairs = try SceneSpec.load(repoRoot + "/scenes/chairs.json")
        XCTAssertEqual(chairs.generator, "chair")
    }

    func testBadSceneFilesNameFileAndProblem() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-scene-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try String(contentsOfFile: repoRoot + "/scenes/cars.json", encoding: .utf8)
        let cases: [(String, String)] = [
            (
                good.replacingOccurrences(of: "\"generator\": \"car\"", with: "\"generator\": \"boat\""),
                "unknown generator"
            ),
            (good.replacingOccurrences(of: "\"length\": [4.4, 4.9]", with: "\"length\": [4.9, 4.4]"), "lo <= hi"),
            (good.replacingOccurrences(of: "\"units_per_meter\": 0.345,", with: ""), "units_per_meter"),
            ("{ not json", "not a valid scene file"),
        ]
        for (k, (text, fragment)) in cases.enumerated() {
            XCTAssertNotEqual(text, good)
            let path = dir.appendingPathComponent("bad\(k).json").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try SceneSpec.load(path)) { error in
                let e = error as? FileError
                XCTAssertEqual(e?.path, path)
                XCTAssertTrue(e?.reason.contains(fragment) ?? false, "'\(error)' lacks '\(fragment)'")
            }
        }
        XCTAssertThrowsError(try SceneSpec.load(dir.appendingPathComponent("missing.json").path))
    }
}

final class GeneratorTests: XCTestCase {
    func testCarsFitTheBoxStandOnWheelsAndAreDeterministic() throws {
        let spec = try SceneSpec.load(repoRoot + "/scenes/cars.json")
        var styles = Set<String>(), parts = 0
        for i in 0..<60 {
            let (car, style) = spec.makeObject(seed: 3, index: i)
            styles.insert(style)
            let b = car.bounds
            XCTAssertTrue(b.lo.min() >= -1 && b.hi.max() <= 1, "object \(i) leaves [-1,1]^3: \(b)")
            let centre = (b.lo + b.hi) / 2
            XCTAssertLessThan(length(centre), 1e-4, "bbox centre of object \(i) is \(centre)")
            // The lowest point is a tyre's bottom: the car stands on its wheels.
            let tyres = car.primitives.filter {
                if case .cylinder = $0.shape { return $0.boundingSphere.radius > 0.05 } else { return false }
            }
            XCTAssertEqual(tyres.map { $0.bounds.lo.z }.min()!, b.lo.z, accuracy: 1e-5)
            for p in car.primitives where p.bounds.lo.z < b.lo.z + 1e-4 {
                guard case .cylinder = p.shape else {
                    XCTFail("object \(i): a non-wheel part touches the ground")
                    break
                }
            }
            XCTAssertEqual(spec.makeObject(seed: 3, index: i).object, car)
            parts += car.primitives.count
        }
        // The optional parts show up: the first generation's cars had 17 primitives (20 with a pickup bed).
        XCTAssertGreaterThan(parts, 60 * 20)
        XCTAssertEqual(styles.count, spec.cars!.count, "60 cars should cover every body style")
        XCTAssertNotEqual(spec.makeObject(seed: 3, index: 0).object, spec.makeObject(seed: 4, index: 0).object)
    }

    func testChairsFitTheBox() throws {
        let spec = try SceneSpec.load(repoRoot + "/scenes/chairs.json")
        for i in 0..<30 {
            let b = spec.makeObject(seed: 1, index: i).object.bounds
            XCTAssertTrue(b.lo.min() >= -1 && b.hi.max() <= 1, "chair \(i) leaves [-1,1]^3")
        }
    }

    func testPrimitiveDistances() {
        let box = SDFPrimitive(
            .roundBox(half: Vec3(1, 2, 3), radius: 0.5), frame: Frame(center: Vec3(1, 0, 0)), material: 0)
        XCTAssertEqual(box.distance(Vec3(3, 0, 0)), 1, accuracy: 1e-6)
        XCTAssertEqual(box.distance(Vec3(1, 0, 0)), -1, accuracy: 1e-6)
        let cyl = SDFPrimitive(
            .cylinder(radius: 1, halfLength: 0.5, rounding: 0), frame: Frame(center: .zero), material: 0)
        XCTAssertEqual(cyl.distance(Vec3(0, 2, 0)), 1.5, accuracy: 1e-6)
        XCTAssertEqual(cyl.distance(Vec3(3, 0, 0)), 2, accuracy: 1e-6)
        let cut = SDFPrimitive(.sphere(radius: 1), frame: Frame(center: .zero), material: 0, cuts: [(Vec3(1, 0, 0), 0)])
        XCTAssertGreaterThan(cut.distance(Vec3(0.5, 0, 0)), 0)  // the half x > 0 is cut away
        XCTAssertLessThan(cut.distance(Vec3(-0.5, 0, 0)), 0)
        // A rotated frame: a capsule pitched upright reaches up the z axis.
        let cap = SDFPrimitive(
            .capsule(halfLength: 1, radius: 0.1), frame: Frame(center: .zero, pitch: -.pi / 2), material: 0)
        XCTAssertEqual(cap.distance(Vec3(0, 0, 1.5)), 0.4, accuracy: 1e-5)
    }
}

final class RendererTests: XCTestCase {
    func shading(ss: Int = 2) throws -> ShadingSettings {
        ShadingSettings(rig: try SceneSpec.load(repoRoot + "/scenes/cars.json").rig, supersample: ss)
    }

    func testSmallSphereAppearsWhereTheCameraProjectsIt() throws {
        let centre = Vec3(0.3, -0.2, 0.1)
        let object = SceneObject(
            primitives: [SDFPrimitive(.sphere(radius: 0.06), frame: Frame(center: centre), material: 0)],
            materials: [Material(albedo: Vec3(0.2, 0.2, 0.2))])
        let r = GroundTruthRenderer(object: object, shading: try shading(ss: 4))
        for (az, el) in [(35.0, 20.0), (200.0, 40.0), (90.0, 5.0)] {
            let cam = Rig.camera(azimuth: az, elevation: el, width: 96, height: 80)
            let view = r.render(camera: cam)
            var sx = 0.0, sy = 0.0, sw = 0.0
            for y in 0..<view.height {
                for x in 0..<view.width {
                    let a = Double(view.image[x, y, 3])
                    sx += a * (Double(x) + 0.5)
                    sy += a * (Double(y) + 0.5)
                    sw += a
                }
            }
            XCTAssertGreaterThan(sw, 5)
            let p = cam.project(SIMD3<Double>(Double(centre.x), Double(centre.y), Double(centre.z)))
            XCTAssertEqual(sx / sw, p.x, accuracy: 0.2, "az \(az) el \(el)")
            XCTAssertEqual(sy / sw, p.y, accuracy: 0.2, "az \(az) el \(el)")
            // Depth at the centre pixel is the sphere's front surface.
            let d = view.depth[Int(p.y) * view.width + Int(p.x)]
            XCTAssertEqual(Double(d), p.depth - 0.06, accuracy: 0.02)
        }
    }

    func testRenderIsDeterministicAndThreadIndependent() throws {
        let spec = try SceneSpec.load(repoRoot + "/scenes/cars.json")
        let r = GroundTruthRenderer(object: spec.makeObject(seed: 5, index: 2).object, shading: try shading())
        let cam = Rig.camera(azimuth: 35, elevation: 20, width: 48, height: 48)
        let a = r.render(camera: cam, parallel: true), b = r.render(camera: cam, parallel: false)
        XCTAssertEqual(a.image, b.image)
        XCTAssertEqual(a.depth, b.depth)
    }

    func testBackgroundAlphaAndDepthRanges() throws {
        let spec = try SceneSpec.load(repoRoot + "/scenes/cars.json")
        for i in 0..<4 {
            let r = GroundTruthRenderer(object: spec.makeObject(seed: 9, index: i).object, shading: try shading())
            let cam = Rig.camera(azimuth: Double(i) * 80 + 10, elevation: 25, width: 40, height: 40)
            let v = r.render(camera: cam)
            var covered = 0
            for k in 0..<(40 * 40) {
                let a = v.image.pixels[4 * k + 3]
                XCTAssertTrue(a >= 0 && a <= 1)
                if a == 0 { for c in 0..<3 { XCTAssertEqual(v.image.pixels[4 * k + c], 1) } }  // white background
                if v.depth[k] > 0 {
                    covered += 1
                    XCTAssertTrue(v.depth[k] > 3 - 1.8 && v.depth[k] < 3 + 1.8)
                }
            }
            XCTAssertGreaterThan(covered, 40 * 40 / 20, "car \(i) covers too little of the frame")
            // Whole in frame: the border rows and columns are background.
            for k in 0..<40 {
                XCTAssertEqual(v.image[k, 0, 3], 0)
                XCTAssertEqual(v.image[k, 39, 3], 0)
                XCTAssertEqual(v.image[0, k, 3], 0)
                XCTAssertEqual(v.image[39, k, 3], 0)
            }
        }
    }
}
