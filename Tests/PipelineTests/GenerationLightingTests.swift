import Datasets
import Foundation
import Imaging
import Model
import Pipeline
import Scenes
import XCTest

/// Generated views record their light, and that light is the one they were rendered with.
final class GenerationLightingTests: XCTestCase {
    var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    struct LightingFile: Codable {
        var mode: String
        var views: [Lighting]
    }

    func testRecordedLightingIsTheLightUsedAndRunsRepeat() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-light-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func generate(_ name: String, _ mode: GenerationSettings.LightingMode?, test: Bool = false) throws -> String {
            var g = GenerationSettings(out: dir + "/" + name, objects: 2)
            g.scene = repoRoot + "/scenes/cars.json"
            g.resolution = 24
            g.views = test ? nil : 3
            g.viewProtocol = test ? .test : .train
            g.supersample = 1
            g.seed = 21
            g.lighting = mode
            _ = try DatasetGeneration.run(g)
            return g.out
        }
        let a = try generate("a", nil), b = try generate("b", nil)
        let spec = try SceneSpec.load(repoRoot + "/scenes/cars.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        for id in try SRNDataset.objectIDs(root: a) {
            let file = try decoder.decode(
                LightingFile.self, from: Data(contentsOf: URL(fileURLWithPath: "\(a)/\(id)/lighting.json")))
            XCTAssertEqual(file.mode, "random", "training views get random light by default")
            XCTAssertEqual(file.views.count, 3)
            XCTAssertNotEqual(file.views[0], file.views[1])
            // Same seed: the same bytes, light included.
            for f in ["lighting.json", "rgb/000000.png", "rgb/000002.png"] {
                XCTAssertEqual(
                    FileManager.default.contents(atPath: "\(a)/\(id)/\(f)"),
                    FileManager.default.contents(atPath: "\(b)/\(id)/\(f)"), f)
            }
            // Rendering a view again with its recorded light gives the stored image.
            let object = try SRNDataset.loadObject("\(a)/\(id)", withDepth: false)
            let index = Int(id.suffix(5))!
            for v in 0..<3 {
                let shading = ShadingSettings(spec: spec, lighting: file.views[v], supersample: 1)
                let again = GroundTruthRenderer(
                    object: spec.makeObject(seed: 21, index: index).object, shading: shading
                )
                .render(camera: object.views[v].camera).image
                var worst: Float = 0
                for k in 0..<(24 * 24) {
                    for c in 0..<3 {
                        worst = max(worst, abs(again.pixels[4 * k + c] - object.views[v].image.pixels[4 * k + c]))
                    }
                }
                XCTAssertLessThan(worst, 0.6 / 255, "\(id) view \(v)")
            }
        }
        // Training reads each view's light as the lit field takes it (exposure folded into key and sky).
        let data = try TrainingData.load(root: a)
        for (o, id) in data.ids.enumerated() {
            let file = try decoder.decode(
                LightingFile.self, from: Data(contentsOf: URL(fileURLWithPath: "\(a)/\(id)/lighting.json")))
            for v in 0..<3 {
                let l = file.views[v], got = data.lights[o][v]
                for k in 0..<3 {
                    XCTAssertEqual(got.direction[k], Float(l.keyDirection[k]), accuracy: 1e-6)
                    XCTAssertEqual(got.key[k], Float(l.keyColour[k] * l.keyIntensity * l.exposure), accuracy: 1e-6)
                    XCTAssertEqual(got.sky[k], Float(l.ambientColour[k] * l.ambient * l.exposure), accuracy: 1e-6)
                }
            }
        }
        // The test protocol keeps RIG.md's light unless asked.
        let t = try generate("t", nil, test: true)
        let testData = try TrainingData.load(root: t)
        for light in testData.lights.joined() {
            for k in 0..<3 {
                XCTAssertEqual(light.direction[k], ViewLight.canonical.direction[k], accuracy: 1e-6)
                XCTAssertEqual(light.key[k], ViewLight.canonical.key[k], accuracy: 1e-6)
                XCTAssertEqual(light.sky[k], ViewLight.canonical.sky[k], accuracy: 1e-6)
            }
        }
        let first = try SRNDataset.objectIDs(root: t)[0]
        let canonical = try decoder.decode(
            LightingFile.self, from: Data(contentsOf: URL(fileURLWithPath: "\(t)/\(first)/lighting.json")))
        XCTAssertEqual(canonical.mode, "canonical")
        XCTAssertTrue(canonical.views.allSatisfy { $0 == Lighting.canonical(rig: spec.rig) })
    }

    func testHeldOutStyleAndUnseenLightSets() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-ood-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func settings(_ name: String, objects: Int) -> GenerationSettings {
            var g = GenerationSettings(out: dir + "/" + name, objects: objects)
            g.scene = repoRoot + "/scenes/cars.json"
            g.resolution = 8
            g.views = 1
            g.supersample = 1
            return g
        }
        struct Manifest: Codable { var styles: [String: Int] }
        func styles(_ g: GenerationSettings) throws -> [String: Int] {
            _ = try DatasetGeneration.run(g)
            return try JSONDecoder().decode(
                Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: g.out + "/dataset.json"))
            ).styles
        }
        var train = settings("train", objects: 40)
        train.excludeStyles = ["van"]
        let trainStyles = try styles(train)
        XCTAssertNil(trainStyles["van"])
        XCTAssertEqual(trainStyles.values.reduce(0, +), 40)
        var test = settings("test", objects: 4)
        test.onlyStyles = ["van"]
        XCTAssertEqual(try styles(test), ["van": 4])
        var bad = settings("bad", objects: 1)
        bad.excludeStyles = ["boat"]
        XCTAssertThrowsError(try DatasetGeneration.run(bad)) {
            XCTAssertTrue("\($0)".contains("cars.json") && "\($0)".contains("boat"))
        }
        // Unseen light: the test protocol under low, warm key lights from the shipped ranges file.
        var unseen = settings("unseen", objects: 1)
        unseen.viewProtocol = .test
        unseen.views = nil
        unseen.lighting = .random
        unseen.lightingRangesFile = repoRoot + "/scenes/lighting_unseen.json"
        _ = try DatasetGeneration.run(unseen)
        let id = try SRNDataset.objectIDs(root: unseen.out)[0]
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let file = try decoder.decode(
            LightingFile.self, from: Data(contentsOf: URL(fileURLWithPath: "\(unseen.out)/\(id)/lighting.json")))
        XCTAssertEqual(file.views.count, 25)
        for l in file.views {
            XCTAssertTrue((2...15).contains(l.keyElevation), "below the training set's 20°")
            XCTAssertTrue((1900...3200).contains(l.temperature), "warmer than the training set's 4000 K")
        }
    }
}
