import Datasets
import Foundation
import Geometry
import Imaging
import NeuralCore
import TestSupport
import XCTest

@testable import Model

final class InversionTests: XCTestCase {
    /// A small random decoder whose field has structure in every direction (azimuth is observable).
    func texturedDecoder() -> TriplaneDecoder {
        let c = tinyTriplane(samples: 32, densityBias: 0)
        var rng = SplitMix64(seed: 21)
        let d = TriplaneDecoder(config: c, rng: &rng)
        d.genB.fillNormal(std: 1.5, rng: &rng)
        return d
    }

    func photo(_ d: TriplaneDecoder, azimuth: Double, elevation: Double, size: Int) -> [Float] {
        let img = FieldRenderer(field: d, code: [Float](repeating: 0, count: 8), skipEmptySpace: false)
            .render(camera: Rig.camera(azimuth: azimuth, elevation: elevation, width: size, height: size)).image
        var p = [Float](repeating: 0, count: size * size * 3)
        for k in 0..<(size * size) { for c in 0..<3 { p[3 * k + c] = img.pixels[4 * k + c] } }
        return p
    }

    /// Pose gradients through rays, samples and the decoder bring a camera started 6° off back to
    /// where the photo was taken (the code held still).
    func testPoseRefinementRecoversTheCamera() {
        let d = texturedDecoder()
        let target = photo(d, azimuth: 40, elevation: 20, size: 20)
        var s = RefineSettings()
        s.steps = 100
        s.raysPerStep = 192
        s.lrCode = 1e-12
        s.lrPose = 5e-3
        s.refinePhotometric = false
        let inv = Inverter(
            field: d, photo: target, width: 20, height: 20, startCode: [Float](repeating: 0, count: 8),
            startView: ViewCode(azimuth: 46, elevation: 24), codeVariance: 1, settings: s)
        inv.run()
        XCTAssertEqual(inv.view.azimuth, 40, accuracy: 1.5)
        XCTAssertEqual(inv.view.elevation, 20, accuracy: 1.5)
    }

    /// The photometric part of the view code absorbs an exposure change of the photo (gain and bias
    /// trade off on a low-contrast field, so the test checks the fit, not the two numbers).
    func testPhotometricCodeFitsExposure() {
        let d = texturedDecoder()
        let clean = photo(d, azimuth: 40, elevation: 20, size: 16)
        let darker = clean.enumerated().map { k, v in min(1, 0.8 * v + (k % 3 == 2 ? 0.05 : 0)) }
        var mse: [Float] = []
        for photometric in [false, true] {
            var s = RefineSettings()
            s.steps = 80
            s.raysPerStep = 128
            s.lrCode = 1e-12
            s.refinePose = false
            s.lrPhotometric = 4e-2
            s.refinePhotometric = photometric
            let inv = Inverter(
                field: d, photo: darker, width: 16, height: 16, startCode: [Float](repeating: 0, count: 8),
                startView: ViewCode(azimuth: 40, elevation: 20), codeVariance: 1, settings: s)
            mse.append(inv.run())
            if photometric { XCTAssertLessThan(inv.view.gain.x, 0.95) }
        }
        XCTAssertLessThan(mse[1], 0.1 * mse[0])
    }

    /// Two photos of one object from 90° apart, each started 5° off: one shared code, and each
    /// photo's own camera comes back.
    func testJointInversionKeepsAViewPerPhoto() {
        let d = texturedDecoder()
        var s = RefineSettings()
        s.steps = 100
        s.raysPerStep = 384
        s.lrCode = 1e-12
        s.lrPose = 5e-3
        s.refinePhotometric = false
        let photos = [(40.0, 20.0, 45.0, 24.0), (130.0, 25.0, 125.0, 21.0)].map { az, el, startAz, startEl in
            InversionPhoto(
                pixels: photo(d, azimuth: az, elevation: el, size: 20), width: 20, height: 20,
                startView: ViewCode(azimuth: startAz, elevation: startEl))
        }
        let inv = Inverter(
            field: d, photos: photos, startCode: [Float](repeating: 0, count: 8), codeVariance: 1, settings: s)
        XCTAssertEqual(inv.raysPerPhoto, 192)
        inv.run()
        XCTAssertEqual(inv.views.count, 2)
        XCTAssertEqual(inv.views[0].azimuth, 40, accuracy: 1.5)
        XCTAssertEqual(inv.views[0].elevation, 20, accuracy: 1.5)
        XCTAssertEqual(inv.views[1].azimuth, 130, accuracy: 1.5)
        XCTAssertEqual(inv.views[1].elevation, 25, accuracy: 1.5)
    }

    /// The joint start is the candidate code that renders the photos: of a code that made them,
    /// another code and their mean, the first.
    func testBestStartPicksTheCodeThatRendersThePhotos() {
        let d = texturedDecoder()
        var rng = SplitMix64(seed: 4)
        let truth = (0..<8).map { _ in rng.nextFloat() * 6 - 3 }
        let other = (0..<8).map { _ in rng.nextFloat() * 6 - 3 }
        let mean = zip(truth, other).map { ($0 + $1) / 2 }
        let size = 20
        let views = [ViewCode(azimuth: 40, elevation: 20), ViewCode(azimuth: 150, elevation: 25)]
        let photos = views.map { v -> [Float] in
            let img = FieldRenderer(field: d, code: truth, skipEmptySpace: false)
                .render(camera: v.camera(width: size, height: size)).image
            return (0..<(size * size * 3)).map { img.pixels[4 * ($0 / 3) + $0 % 3] }
        }
        let starts = views.map { (code: other, view: $0, light: ViewLight.canonical) }
        for candidates in [[other, truth, mean], [mean, other, truth]] {
            let chosen = Inversion.bestStart(
                field: d, distance: Rig.distance, fov: Rig.fovDegrees, candidates: candidates, photos: photos,
                starts: starts, width: size, height: size)
            XCTAssertEqual(chosen, truth)
        }
    }

    /// Photos of one joint inversion share one light by default (started from their mean, the
    /// rows stay equal and move); with `sharedLight` off each photo keeps its own.
    func testJointInversionSharesTheLight() {
        let config = tinyLitTriplane(codeDim: 4, stages: [], samples: 16, densityBias: 1)
        var rng = SplitMix64(seed: 8)
        let field = LitTriplaneDecoder(config: config, rng: &rng)
        let size = 12
        func render(_ az: Double) -> [Float] {
            let img = FieldRenderer(field: field, code: [Float](repeating: 0.3, count: 4), skipEmptySpace: false)
                .render(camera: Rig.camera(azimuth: az, elevation: 20, width: size, height: size)).image
            return (0..<(size * size * 3)).map { img.pixels[4 * ($0 / 3) + $0 % 3] }
        }
        let starts = [
            ViewLight.canonical,
            ViewLight(direction: SIMD3(0, 0, 1), key: SIMD3(repeating: 0.5), sky: SIMD3(repeating: 0.5)),
        ]
        let photos = [(30.0, starts[0]), (150.0, starts[1])].map { az, light in
            InversionPhoto(
                pixels: render(az), width: size, height: size, startView: ViewCode(azimuth: az, elevation: 20),
                startLight: light)
        }
        for shared in [true, false] {
            var s = RefineSettings()
            s.steps = 5
            s.raysPerStep = 64
            s.sharedLight = shared
            let inv = Inverter(
                field: field, photos: photos, startCode: [Float](repeating: 0, count: 4), codeVariance: 1, settings: s)
            inv.run()
            let lights = inv.lights.map(\.packed)
            if shared {
                XCTAssertEqual(lights[0], lights[1])
                XCTAssertNotEqual(lights[0], starts[0].packed, "the shared light moves")
            } else {
                XCTAssertNotEqual(lights[0], lights[1])
            }
        }
    }

    /// The light prior pulls a light that started dim towards the training lights' key intensity:
    /// with it the key found is nearer the prior's mean than without it.
    func testLightPriorPullsTheKeyTowardsTheTrainingLights() {
        let config = tinyLitTriplane(codeDim: 4, stages: [], samples: 16, densityBias: 1)
        var rng = SplitMix64(seed: 9)
        let field = LitTriplaneDecoder(config: config, rng: &rng)
        let size = 12
        let img = FieldRenderer(field: field, code: [Float](repeating: 0.3, count: 4), skipEmptySpace: false)
            .render(camera: Rig.camera(azimuth: 30, elevation: 20, width: size, height: size)).image
        let pixels = (0..<(size * size * 3)).map { img.pixels[4 * ($0 / 3) + $0 % 3] }
        let dim = ViewLight(
            direction: ViewLight.canonical.direction, key: SIMD3(repeating: 0.1), sky: SIMD3(repeating: 0.35))
        var found: [Float] = []
        for weight: Float in [0, 1] {
            var s = RefineSettings()
            s.steps = 30
            s.raysPerStep = 64
            s.lightPrior.weight = weight
            let inv = Inverter(
                field: field,
                photos: [
                    InversionPhoto(
                        pixels: pixels, width: size, height: size, startView: ViewCode(azimuth: 30, elevation: 20),
                        startLight: dim)
                ], startCode: [Float](repeating: 0, count: 4), codeVariance: 1, settings: s)
            inv.run()
            found.append(inv.light.key.sum() / 3)
        }
        let mean = LightPrior().keyMean
        XCTAssertLessThan(abs(found[1] - mean), abs(found[0] - mean) - 0.05, "key without / with the prior: \(found)")
    }

    /// Decoder tuning fits what the code cannot (a photo whose colours the field lacks), on a copy:
    /// the held-out pixels get better, only the named weights change, the original stays.
    func testDecoderTuningFitsThePhotoOnACopy() throws {
        let d = texturedDecoder()
        let tinted = d.copy() as! TriplaneDecoder
        for c in 1...3 { tinted.b3[c] += c == 1 ? 0.8 : -0.4 }
        let target = photo(tinted, azimuth: 40, elevation: 20, size: 20)
        var s = RefineSettings()
        s.raysPerStep = 256
        s.refinePhotometric = false
        let copy = d.copy()
        let inv = Inverter(
            field: copy, photo: target, width: 20, height: 20, startCode: [Float](repeating: 0, count: 8),
            startView: ViewCode(azimuth: 40, elevation: 20), codeVariance: 1, settings: s)
        var t = TuneSettings()
        t.steps = 60
        t.lr = 2e-2
        t.checkEvery = 10
        t.patience = 3
        t.localityRays = 64
        t.parameters = ["decoder.mlp3.b"]
        let before = d.b3.array
        let table = Tensor([2, 8])
        let report = try inv.tuneDecoder(reference: d, codeTable: table, settings: t)
        XCTAssertGreaterThan(report.validationPSNRAfter, report.validationPSNRBefore + 3, "\(report)")
        XCTAssertEqual(report.differences.map(\.name), ["decoder.mlp3.b"])
        XCTAssertGreaterThan(report.differences[0].values.map(abs).max()!, 0.05)
        XCTAssertEqual(d.b3.array, before, "the reference decoder is not touched")
        XCTAssertEqual((copy as! TriplaneDecoder).w1.array, d.w1.array, "weights not named stay")
        let rebuilt = report.tunedField(from: d) as! TriplaneDecoder
        for (a, b) in zip(rebuilt.b3.array, (copy as! TriplaneDecoder).b3.array) {
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
        t.parameters = ["decoder.nothing"]
        XCTAssertThrowsError(try inv.tuneDecoder(reference: d, codeTable: table, settings: t)) {
            XCTAssertTrue("\($0)".contains("decoder.nothing"), "\($0)")
        }
    }

    func testViewCodeRoundTripAndAzimuthError() {
        let v = ViewCode(azimuth: 350, elevation: -12, gain: SIMD3(1.1, 0.9, 1), bias: SIMD3(0.02, -0.01, 0))
        var buf = [Float](repeating: 0, count: ViewCode.size)
        buf.withUnsafeMutableBufferPointer { v.encode(into: $0.baseAddress!) }
        let back = buf.withUnsafeBufferPointer { ViewCode(encoded: $0.baseAddress!) }
        XCTAssertEqual(back.azimuth, 350, accuracy: 1e-4)
        XCTAssertEqual(back.elevation, -12, accuracy: 1e-4)
        XCTAssertEqual(back.gain.x, 1.1, accuracy: 1e-6)
        XCTAssertEqual(ViewCode.azimuthError(350, 10), 20, accuracy: 1e-9)
        XCTAssertEqual(ViewCode.azimuthError(10, 190), 180, accuracy: 1e-9)
    }

    /// The encoder sized to its data: the first generation's at 64, one stride-2 stage more at 128.
    func testEncoderForResolution() {
        XCTAssertEqual(EncoderConfig.forResolution(64), EncoderConfig())
        let c = EncoderConfig.forResolution(128)
        XCTAssertEqual(c.channels, [32, 64, 128, 256, 256])
        XCTAssertEqual(c.inputSize >> c.channels.count, 4)
        XCTAssertEqual(EncoderConfig.forResolution(128, lit: true).viewDim, ViewCode.size + ViewLight.encodedSize)
        // The light's encoder layout and its mirror image.
        let light = ViewLight(direction: SIMD3(0.6, 0.48, 0.64), key: SIMD3(repeating: 0.7), sky: SIMD3(repeating: 0.3))
        var v = [Float](repeating: 0, count: ViewLight.encodedSize)
        v.withUnsafeMutableBufferPointer { light.encode(into: $0.baseAddress!) }
        let back = v.withUnsafeBufferPointer { ViewLight(encoded: $0.baseAddress!) }
        XCTAssertEqual(back.direction.y, 0.48, accuracy: 1e-6)
        XCTAssertEqual(back.key.x, 0.7, accuracy: 1e-6)
        XCTAssertEqual(light.mirrored.direction.y, -0.48)
    }

    /// Augmentation: photometric labels describe what was done, and "none" leaves the view alone.
    func testAugmentationLabelsAndIdentity() {
        var rng = SplitMix64(seed: 5)
        let W = 8, H = 8
        let pixels = (0..<(W * H * 3)).map { UInt8(($0 * 37) % 256) }
        let out = Tensor([3, H, W])
        let none = ViewAugmentation.none.apply(pixels: pixels, width: W, height: H, into: out.data, rng: &rng)
        XCTAssertEqual(none.gain, .one)
        XCTAssertEqual(none.bias, .zero)
        for j in 0..<H {
            for i in 0..<W {
                for c in 0..<3 {
                    XCTAssertEqual(out[(c * H + j) * W + i], Float(pixels[(j * W + i) * 3 + c]) / 255, accuracy: 1e-5)
                }
            }
        }
        var photometricOnly = ViewAugmentation.none
        photometricOnly.photometricProbability = 1
        let p = photometricOnly.apply(pixels: pixels, width: W, height: H, into: out.data, rng: &rng)
        for j in 0..<H {
            for i in 0..<W {
                for c in 0..<3 {
                    let expected = min(1, max(0, p.gain[c] * Float(pixels[(j * W + i) * 3 + c]) / 255 + p.bias[c]))
                    XCTAssertEqual(out[(c * H + j) * W + i], expected, accuracy: 1e-5)
                }
            }
        }
    }
}

final class EncoderTrainerTests: XCTestCase {
    /// A checkpoint restores weights, Adam moments, step and random state: the next step is the
    /// step the uninterrupted run takes (regression and rendering stages both), also when the
    /// decoder trains with the encoder.
    func testCheckpointResumesTheSameRun() throws {
        try checkResume(decoderLR: nil)
        try checkResume(decoderLR: 1e-3)
    }

    /// A frozen decoder's grids are built once; a training one's are rebuilt as it moves, and the
    /// model it came from never changes (the trainer tunes its own copy).
    func testEncoderTrainerRebuildsGridsOnlyWhenTheDecoderMoves() throws {
        for decoderLR: Float? in [nil, 1e-2] {
            let (trainer, model) = try smallEncoderTrainer(decoderLR: decoderLR, refreshSteps: 2)
            let before = (model.field as! TriplaneDecoder).w1.array
            for _ in 0..<8 { trainer.trainStep() }
            let built = trainer.occupancy.builtAt.filter { $0 >= 0 }
            XCTAssertFalse(built.isEmpty)
            if decoderLR == nil {
                XCTAssertEqual(built.max(), built.min(), "a frozen decoder's grids are built once")
                XCTAssertTrue(trainer.field === model.field)
            } else {
                XCTAssertGreaterThan(built.max()!, 2, "grids are rebuilt while the decoder trains")
                XCTAssertFalse(trainer.field === model.field)
                XCTAssertNotEqual((trainer.field as! TriplaneDecoder).w1.array, before)
            }
            XCTAssertEqual((model.field as! TriplaneDecoder).w1.array, before, "the loaded model stays as it was")
        }
    }

    func smallEncoderTrainer(decoderLR: Float?, refreshSteps: Int) throws -> (EncoderTrainer, NeRFModel) {
        let dc = tinyTriplane(hidden: 8, samples: 8, densityBias: 1)  // dense enough to occupy cells
        var ec = EncoderConfig()
        ec.channels = [8, 8]
        ec.features = 16
        ec.inputSize = 16
        let img = RGBAImage(width: 16, height: 16)
        let views = [0.0, 90.0].map {
            TrainingData.View(image: img, camera: Rig.camera(azimuth: $0, elevation: 20, width: 16, height: 16))
        }
        let data = TrainingData(ids: ["a", "b"], objects: [views, views], width: 16, height: 16)
        var rng = SplitMix64(seed: 3)
        let model = NeRFModel(
            config: ModelConfig(
                decoder: FieldSpec(dc), scene: "cars", cameraDistance: 3, fovDegrees: 40, resolution: 16,
                objects: ["a", "b"],
                training: nil),
            field: TriplaneDecoder(config: dc, rng: &rng), codes: random([2, 8], &rng, std: 0.3))
        var tc = EncoderTrainConfig()
        tc.objectsPerBatch = 2
        tc.raysPerImage = 8
        tc.renderFromStep = 0
        tc.steps = 10
        tc.decoderLR = decoderLR
        tc.skipping.refreshSteps = refreshSteps
        return (try EncoderTrainer(data: data, model: model, config: tc, encoderConfig: ec), model)
    }

    func checkResume(decoderLR: Float?, file: StaticString = #filePath, line: UInt = #line) throws {
        let dc = tinyTriplane(hidden: 8, samples: 8)
        var ec = EncoderConfig()
        ec.channels = [8, 8, 8, 8]
        ec.features = 16
        var img = RGBAImage(width: 64, height: 64)
        for k in 0..<(64 * 64) where (k / 64 + k % 64) % 7 < 3 { img.pixels[4 * k] = 0.2 }
        let views = [0.0, 90.0].map {
            TrainingData.View(image: img, camera: Rig.camera(azimuth: $0, elevation: 20, width: 64, height: 64))
        }
        let data = TrainingData(ids: ["a", "b"], objects: [views, views], width: 64, height: 64)
        // Each run owns its model: a trained decoder changes under it.
        func model() -> NeRFModel {
            var rng = SplitMix64(seed: 3)
            let decoder = TriplaneDecoder(config: dc, rng: &rng)
            let codes = random([2, 8], &rng, std: 0.3)
            return NeRFModel(
                config: ModelConfig(
                    decoder: FieldSpec(dc), scene: "cars", cameraDistance: 3, fovDegrees: 40, resolution: 64,
                    objects: ["a", "b"], training: nil), field: decoder, codes: codes)
        }
        var tc = EncoderTrainConfig()
        tc.objectsPerBatch = 2
        tc.raysPerImage = 8
        tc.renderFromStep = 2
        tc.steps = 10
        tc.decoderLR = decoderLR
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("enc-\(UUID().uuidString).ckpt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let a = try EncoderTrainer(data: data, model: model(), config: tc, encoderConfig: ec)
        for _ in 0..<3 { a.trainStep() }  // into the rendering stage, where the decoder moves
        try a.saveCheckpoint(path)
        let b = try EncoderTrainer(data: data, model: model(), config: tc, encoderConfig: ec)
        try b.restore(from: path)
        for _ in 0..<2 {
            let la = a.trainStep(), lb = b.trainStep()
            XCTAssertEqual(la.code, lb.code, file: file, line: line)
            XCTAssertEqual(la.pose, lb.pose, file: file, line: line)
            XCTAssertEqual(la.render.isNaN, lb.render.isNaN, file: file, line: line)
            if la.render.isFinite { XCTAssertEqual(la.render, lb.render, file: file, line: line) }
        }
        XCTAssertEqual(a.encoder.fcW.array, b.encoder.fcW.array, file: file, line: line)
        XCTAssertEqual(
            (a.field as! TriplaneDecoder).w1.array, (b.field as! TriplaneDecoder).w1.array, file: file, line: line)
        let fresh = (model().field as! TriplaneDecoder).w1.array
        if decoderLR == nil {
            XCTAssertEqual(
                (a.field as! TriplaneDecoder).w1.array, fresh, "a frozen decoder stays put", file: file, line: line)
        } else {
            XCTAssertNotEqual(
                (a.field as! TriplaneDecoder).w1.array, fresh, "the decoder trains", file: file, line: line)
        }
    }
}
