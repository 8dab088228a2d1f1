import FileIO
import Foundation
import Geometry
import Model
import NeuralCore
import TestSupport
import XCTest

/// A hand-built field: a solid cylinder of radius 0.4 around the z axis (|z| < 1), density e^10
/// inside and e^-10 outside, constant colour (0.2, 0.6, 0.4) after the sigmoid.
func cylinderDecoder() -> TriplaneDecoder {
    let c = tinyTriplane(side: 32, hidden: 8, densityBias: -10)
    var rng = SplitMix64(seed: 1)
    let d = TriplaneDecoder(config: c, rng: &rng)
    for (_, t) in d.parameters { t.zero() }
    let R = c.planeResolution, C = c.planeChannels
    for y in 0..<R {
        for x in 0..<R {
            let u = (Float(x) + 0.5) / Float(R) * 2 - 1, v = (Float(y) + 0.5) / Float(R) * 2 - 1
            d.genB[(y * R + x) * C] = u * u + v * v < 0.16 ? 20 : -20  // xy plane, channel 0
        }
    }
    d.w1[0] = 1
    d.w2[0] = 1
    d.w3[0] = 1  // density path: relu(relu(feature 0))
    d.b3[1] = -1.386
    d.b3[2] = 0.405
    d.b3[3] = -0.405  // colour logits of (0.2, 0.6, 0.4)
    return d
}

final class InferenceTests: XCTestCase {
    func testEmptySpaceSkippingDoesNotChangeTheImage() {
        let d = cylinderDecoder()
        let code = [Float](repeating: 0, count: 8)
        let fast = FieldRenderer(field: d, code: code),
            plain = FieldRenderer(field: d, code: code, skipEmptySpace: false)
        XCTAssertLessThan(fast.grid.occupiedFraction, 0.5)
        XCTAssertGreaterThan(fast.grid.occupiedFraction, 0.05)
        for az in [0.0, 70.0, 200.0] {
            let cam = Rig.camera(azimuth: az, elevation: 25, width: 40, height: 40)
            let a = fast.render(camera: cam), b = plain.render(camera: cam)
            XCTAssertLessThan(a.evaluatedSamples, b.evaluatedSamples / 2)
            var worst: Float = 0
            for i in 0..<a.image.pixels.count { worst = max(worst, abs(a.image.pixels[i] - b.image.pixels[i])) }
            XCTAssertLessThan(worst, 0.01, "azimuth \(az)")
            // The cylinder's axis projects to the image centre column and is green-ish there.
            XCTAssertEqual(a.image[20, 20, 1], 0.6, accuracy: 0.02)
            XCTAssertEqual(a.image[0, 0, 0], 1, accuracy: 1e-3)  // a corner ray misses: white background
        }
    }

    func testRayBoxClipping() {
        let (n, f) = RaySampling.clip(origin: SIMD3(3, 0, 0), direction: SIMD3(-1, 0, 0), box: 1)
        XCTAssertEqual(n, 2, accuracy: 1e-6)
        XCTAssertEqual(f, 4, accuracy: 1e-6)
        let miss = RaySampling.clip(origin: SIMD3(3, 2, 0), direction: SIMD3(-1, 0, 0), box: 1)
        XCTAssertLessThanOrEqual(miss.1, miss.0)
        let inside = RaySampling.clip(origin: SIMD3(0, 0, 0), direction: SIMD3(0, 0, 1), box: 1)
        XCTAssertEqual(inside.0, 0)
        XCTAssertEqual(inside.1, 1, accuracy: 1e-6)
    }
}

final class ModelFileTests: XCTestCase {
    var dir: String!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-model-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func smallModel() -> NeRFModel {
        let d = cylinderDecoder()
        let codes = Tensor([3, 8])
        var rng = SplitMix64(seed: 2)
        codes.fillNormal(std: 0.1, rng: &rng)
        return NeRFModel(
            config: ModelConfig(
                decoder: FieldSpec(d.config), scene: "cars", cameraDistance: 3, fovDegrees: 40, resolution: 64,
                objects: ["a", "b", "c"], training: nil), field: d, codes: codes)
    }

    func testModelRoundTripAndLatentValidation() throws {
        let path = dir + "/m.nvm"
        try smallModel().save(to: path)
        let (model, _) = try NeRFModel.load(path)
        XCTAssertEqual(model.config.objects, ["a", "b", "c"])
        XCTAssertEqual(
            // fp16
            (model.field as! TriplaneDecoder).genB[0], (smallModel().field as! TriplaneDecoder).genB[0], accuracy: 0.02)
        let sha = model.identity.sha256
        XCTAssertEqual(sha.count, 64)
        XCTAssertEqual(model.identity.name, "m.nvm")
        XCTAssertEqual(sha, try Fingerprint.sha256Hex(ofFile: path))
        let good = LatentFile(
            model: .init(name: "m.nvm", sha256: sha), identity: [Float](repeating: 0.1, count: 8),
            view: .init(azimuth: 35, elevation: 20, distance: 3, fov: 40),
            obtained: .init(method: "fit", source: "x", steps: 1, views: 1, seconds: 0),
            losses: [:])
        try good.write(to: dir + "/ok.latent")
        XCTAssertEqual(try LatentFile.read(dir + "/ok.latent", for: model), good)
        var short = good
        short.identity = [0.1, 0.2]
        var nan = good
        nan.identity[3] = .nan
        var other = good
        other.model.sha256 = String(repeating: "0", count: 64)
        var badView = good
        badView.view.distance = -1
        for (latent, fragment) in [(short, "2 values"), (other, "not this one"), (badView, "view code")] {
            try latent.write(to: dir + "/bad.latent")
            XCTAssertThrowsError(try LatentFile.read(dir + "/bad.latent", for: model)) {
                XCTAssertTrue("\($0)".contains(fragment) && "\($0)".contains("bad.latent"), "\($0)")
            }
        }
        // NaN cannot even be encoded as JSON: write it by hand.
        XCTAssertThrowsError(try nan.write(to: dir + "/nan.latent"))
        let text = try String(contentsOfFile: dir + "/ok.latent", encoding: .utf8).replacingOccurrences(
            of: "\"format\" : \"nerfinv-latent\"", with: "\"format\" : \"something\"")
        try text.write(toFile: dir + "/fmt.latent", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LatentFile.read(dir + "/fmt.latent", for: model)) {
            XCTAssertTrue("\($0)".contains("format"))
        }
        try "not json".write(toFile: dir + "/junk.latent", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LatentFile.read(dir + "/junk.latent", for: model)) {
            XCTAssertTrue("\($0)".contains("not a nerfinv latent"))
        }
    }

    /// A layered latent: its residuals round-trip as fp16 in the latent file and render through a
    /// `LayeredField`; a latent without layers reads as before; a residual on a layer the model does
    /// not have, of the wrong shape or not fp16 base64 is refused, naming the file.
    func testLayeredLatentRoundTripAndRefusals() throws {
        let path = dir + "/m.nvm"
        try smallModel().save(to: path)
        let (model, _) = try NeRFModel.load(path)
        let layer = (model.field as! TriplaneDecoder).latentLayers[0]
        var rng = SplitMix64(seed: 9)
        let values = (0..<layer.count).map { _ in 0.3 * rng.nextNormal() }
        var latent = LatentFile(
            model: model.identity, identity: [Float](repeating: 0.1, count: 8),
            view: .init(azimuth: 35, elevation: 20, distance: 3, fov: 40),
            obtained: .init(method: "fit", source: "x", steps: 1, views: 1, seconds: 0), losses: [:])
        try latent.write(to: dir + "/plain.latent")
        XCTAssertNil(try LatentFile.read(dir + "/plain.latent", for: model).layers)
        latent.layers = try LatentLayerEntry.entries(
            [LayerResidual(name: "planes", values: values)], field: model.field)
        try latent.write(to: dir + "/layered.latent")
        let read = try LatentFile.read(dir + "/layered.latent", for: model)
        let residuals = try LatentLayerEntry.residuals(read.layers!, for: model.field, path: "layered.latent")
        XCTAssertEqual(residuals[0].values, values.map { Float(Float16($0)) })
        let field = try LayeredField.with(residuals, on: model.field)
        let plain = model.field.state(of: latent.identity), layered = field.state(of: latent.identity)
        for k in 0..<layer.count { XCTAssertEqual(layered[k], plain[k] + residuals[0].values[k], accuracy: 1e-5) }
        var wrongName = latent, wrongShape = latent, notBase64 = latent
        wrongName.layers![0].name = "features16"
        wrongShape.layers![0].shape = [3, 2, 2, 2]
        notBase64.layers![0].fp16 = "@@"
        for (bad, fragment) in [(wrongName, "features16"), (wrongShape, "shape"), (notBase64, "base64")] {
            try bad.write(to: dir + "/bad.latent")
            XCTAssertThrowsError(try LatentFile.read(dir + "/bad.latent", for: model)) {
                XCTAssertTrue("\($0)".contains(fragment) && "\($0)".contains("bad.latent"), "\($0)")
            }
        }
    }

    /// The tuned decoder's delta file: fp16 differences that round-trip, applied to a copy, and
    /// refused for another model, another identity code or weights the decoder lacks.
    func testDecoderDeltaRoundTripAndRefusals() throws {
        let path = dir + "/m.nvm"
        try smallModel().save(to: path)
        let (model, _) = try NeRFModel.load(path)
        let sha = model.identity.sha256
        let pivot = [Float](repeating: 0.1, count: 8)
        let genB = model.field.parameters.first { $0.name == "decoder.gen.b" }!.tensor
        let original = genB.array
        let diff = (0..<genB.count).map { Float($0 % 7) * 0.01 }
        let delta = DecoderDelta(
            header: .init(
                baseModel: "m.nvm", baseModelSHA256: sha, pivot: pivot, steps: 3, validationPSNRBefore: 20,
                validationPSNRAfter: 21), differences: [("decoder.gen.b", diff)])
        XCTAssertEqual(DecoderDelta.path(forLatent: dir + "/car.latent"), dir + "/car.delta")
        try delta.write(to: dir + "/a.delta")
        let back = try DecoderDelta.read(dir + "/a.delta", for: model)
        XCTAssertEqual(back.header, delta.header)
        for (a, b) in zip(back.differences[0].values, diff) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        let tuned = back.applied(to: model.field)
        let tunedB = tuned.parameters.first { $0.name == "decoder.gen.b" }!.tensor
        for i in [0, 5, 13] { XCTAssertEqual(tunedB[i], original[i] + back.differences[0].values[i]) }
        XCTAssertEqual(genB.array, original, "the loaded model is not changed")
        XCTAssertNoThrow(try back.check(pivotOf: pivot, latentPath: "car.latent", deltaPath: dir + "/a.delta"))
        XCTAssertThrowsError(
            try back.check(pivotOf: pivot.map { $0 + 0.5 }, latentPath: "car.latent", deltaPath: dir + "/a.delta")
        ) { XCTAssertTrue("\($0)".contains("another identity code") && "\($0)".contains("a.delta"), "\($0)") }
        // The same weights read from another file are another model.
        try smallModel().save(to: dir + "/other.nvm", metadata: ["note": "another file"])
        let (other, _) = try NeRFModel.load(dir + "/other.nvm")
        XCTAssertNotEqual(other.identity.sha256, sha)
        XCTAssertThrowsError(try DecoderDelta.read(dir + "/a.delta", for: other)) {
            XCTAssertTrue("\($0)".contains("was tuned for model m.nvm") && "\($0)".contains("a.delta"), "\($0)")
        }
        for (name, count, says) in [("decoder.nope", 4, "does not have"), ("decoder.gen.b", 3, "holds 3 values")] {
            try DecoderDelta(header: delta.header, differences: [(name, [Float](repeating: 0, count: count))]).write(
                to: dir + "/bad.delta")
            XCTAssertThrowsError(try DecoderDelta.read(dir + "/bad.delta", for: model)) {
                XCTAssertTrue("\($0)".contains(says), "\($0)")
            }
        }
        try "junk".write(toFile: dir + "/junk.delta", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DecoderDelta.read(dir + "/junk.delta", for: model))
    }
}
