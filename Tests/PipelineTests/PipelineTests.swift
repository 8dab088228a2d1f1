import FileIO
import Foundation
import Imaging
import Model
import NeuralCore
import Pipeline
import XCTest

/// Evaluation, inversion sessions and the training driver, in-process on a tiny model trained here.
final class PipelineTests: XCTestCase {
    var dir: String!
    var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    override func setUpWithError() throws {
        dir =
            FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-pipeline-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func generate(_ name: String, objects: Int, test: Bool) throws -> String {
        var g = GenerationSettings(out: dir + "/" + name, objects: objects)
        g.scene = repoRoot + "/scenes/cars.json"
        g.resolution = 16
        g.supersample = 1
        g.views = test ? nil : 6
        g.viewProtocol = test ? .test : .train
        g.seed = test ? 8 : 7
        _ = try DatasetGeneration.run(g)
        return g.out
    }

    /// A small decoder and encoder trained on 3 cars, through the driver (stopped, then resumed).
    func tinyModel() throws -> NeRFModel {
        let data = try TrainingData.load(root: try generate("train", objects: 3, test: false))
        var field = TriplaneConfig()
        field.codeDim = 8
        field.planeResolution = 8
        field.planeChannels = 8
        field.hidden = 16
        field.samplesPerRay = 16
        var tc = TrainConfig()
        tc.steps = 30
        tc.objectsPerBatch = 3
        tc.raysPerObject = 64
        let trainer = Trainer(data: data, config: tc, field: FieldSpec(field))
        let config = { (notes: [String: String]) in
            ModelConfig(
                decoder: trainer.field.spec, scene: "cars", cameraDistance: data.cameraDistance,
                fovDegrees: data.fovDegrees,
                resolution: data.width, objects: data.ids, training: tc, notes: notes)
        }
        let run = DecoderTrainingRun(trainer: trainer, modelConfig: config)
        let paths = TrainingDriver.Paths(checkpoint: dir + "/m.ckpt", log: dir + "/m.csv", curve: dir + "/m.png")
        // Stopped at step 10: the checkpoint holds step 10 and a fresh run refuses to overwrite it.
        let stopped = try TrainingDriver.run(
            run, paths: paths, resume: false, checkpointMinutes: 60, shouldStop: { trainer.step >= 10 },
            progress: { _, _, _ in })
        XCTAssertFalse(stopped.finished)
        let again = DecoderTrainingRun(
            trainer: Trainer(data: data, config: tc, field: FieldSpec(field)), modelConfig: config)
        XCTAssertThrowsError(
            try TrainingDriver.run(
                again, paths: paths, resume: false, checkpointMinutes: 60, shouldStop: { false },
                progress: { _, _, _ in }))
        let done = try TrainingDriver.run(
            again, paths: paths, resume: true, checkpointMinutes: 60, shouldStop: { false }, progress: { _, _, _ in })
        XCTAssertTrue(done.finished)
        XCTAssertEqual(again.trainer.step, 30)
        XCTAssertEqual(done.log.rows.last?.step, 30)
        let decoder = again.model(seconds: done.seconds, log: done.log)
        var ec = EncoderTrainConfig()
        ec.steps = 6
        ec.objectsPerBatch = 3
        ec.renderFromStep = 3
        ec.raysPerImage = 16
        var shape = EncoderConfig()
        shape.inputSize = 16
        shape.channels = [8, 16]
        shape.features = 32
        let encoder = try EncoderTrainer(data: data, model: decoder, config: ec, encoderConfig: shape)
        for _ in 0..<ec.steps { encoder.trainStep() }
        return encoder.modelWithEncoder()
    }

    func testEvaluationAndInversionInProcess() throws {
        let model = try tinyModel()
        let testSet = try generate("test", objects: 2, test: true)
        var settings = EvaluationSettings()
        var refine = RefineSettings()
        refine.steps = 4
        refine.raysPerStep = 64
        settings.refine = refine
        settings.fitSteps = 4
        settings.consistencyObjects = 1
        settings.saveRenders = dir + "/renders"
        var seen: [EvaluationSettings.Mode: Int] = [:]
        let results = try Evaluation.run(model: model, data: testSet, settings: settings) { mode, done, _, _ in
            seen[mode] = done
        }
        XCTAssertEqual(results.map(\.mode), ["encoder", "refine", "mean-refine", "fit"])
        XCTAssertEqual(seen.values.sorted(), [2, 2, 2, 2])
        for r in results {
            XCTAssertEqual(r.objects, 2)
            XCTAssertEqual(r.perObjectPSNR.count, 2)
            // Every view but the input is scored, and the views' means average to the PSNR.
            let views = r.perViewPSNR ?? [:]
            XCTAssertNil(views["0"])
            XCTAssertFalse(views.isEmpty)
            XCTAssertEqual(views.values.reduce(0, +) / Double(views.count), r.psnr, accuracy: 1e-9)
            XCTAssertTrue(r.psnr.isFinite && r.psnr > 5, "\(r.mode): \(r.psnr)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/renders/\(r.mode)_comparison.png"))
        }
        XCTAssertNil(results[3].medianAzimuthError, "fit is given the poses")
        // Inverting modes report the light they found against the set's recorded light; fit finds none.
        for r in results.prefix(3) {
            let e = try XCTUnwrap(r.lightError, r.mode)
            XCTAssertTrue(e.key.isFinite && e.sky.isFinite && (0...180).contains(e.angle), "\(r.mode): \(e)")
        }
        XCTAssertNil(results[3].lightError)
        for r in results {
            if let e = r.farSideDeltaE { XCTAssertTrue(e.isFinite && e >= 0, "\(r.mode): \(e)") }
            let families = Set(PaintFamily.allCases.map(\.rawValue))
            XCTAssertTrue(Set((r.farSideDeltaEByPaint ?? [:]).keys).isSubset(of: families))
        }
        XCTAssertNotNil(results[1].sameObjectCosine)
        let table = Evaluation.table(results)
        for m in ["encoder", "refine", "mean-refine", "fit"] { XCTAssertTrue(table.contains("| \(m) | 2 |"), table) }

        // The same view 0 through an inversion session: latent, input and comparison written, and
        // the latent reads back against the session's model.
        let photo =
            testSet + "/"
            + (try FileManager.default.contentsOfDirectory(atPath: testSet).sorted().first { !$0.hasSuffix(".json") }!)
            + "/rgb/000000.png"
        let session = InversionSession(model: model)
        var request = InversionRequest()
        request.settings = refine
        request.photoSize = 24  // the framing size is its own setting: the encoder still sees 16x16
        request.turntable = dir + "/tt"
        request.turntableFrames = 2
        request.turntableCamera = RenderCamera(size: 16)
        var steps = 0
        let outcome = try session.invert(photo: photo, latentPath: dir + "/out/car.latent", request: request) { s, _ in
            steps = s
        }
        XCTAssertEqual(steps, 4)
        XCTAssertEqual(outcome.input.width, 24)
        XCTAssertEqual(outcome.reconstruction.width, 24)
        for f in ["out/car.latent", "out/car_input.png", "out/car_input_reconstruction.png", "tt/contact_sheet.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + f), f)
        }
        let latent = try LatentFile.read(dir + "/out/car.latent", for: model)
        XCTAssertEqual(latent.identity, outcome.result.code)
        XCTAssertEqual(latent.obtained.method, "encoder+refine")
        XCTAssertThrowsError(
            try session.invert(photo: dir + "/missing.png", latentPath: dir + "/x.latent", request: request)
        ) { error in
            XCTAssertTrue("\(error)".contains("missing.png"), "\(error)")
        }

        // refine beside layered: the code only against the layered latent, and one sheet of both.
        var both = settings
        both.modes = [.refine, .layered]
        both.limit = 1
        both.refine!.layers.steps = 6
        both.saveRenders = dir + "/both"
        let pair = try Evaluation.run(model: model, data: testSet, settings: both)
        XCTAssertEqual(pair.map(\.mode), ["refine", "layered"])
        XCTAssertNil(pair[0].layerSteps, "beside layered, refine is the code only")
        XCTAssertEqual(pair[1].layerSteps, 6)
        let side = try PNG.read(photo).image.width
        let single = try PNG.read(dir + "/both/refine_comparison.png").image
        let merged = try PNG.read(dir + "/both/modes_comparison.png").image
        // Input, then per sheet view the truth and each mode: one more column per view.
        XCTAssertEqual(merged.width - single.width, EvaluationSettings.sheetViews.count * (side + 2))
        XCTAssertEqual(merged.height, single.height)
    }

    func testPresetsKeepDefaultsAndRefuseUnknownKeys() throws {
        let path = dir + "/p.json"
        try #"{"steps": 120, "skipping": {"refreshSteps": 8}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let s = try Preset.load(RefineSettings.self, from: path)
        XCTAssertEqual(s.steps, 120)
        XCTAssertEqual(s.skipping.refreshSteps, 8)
        XCTAssertEqual(s.skipping.probeRayFraction, EmptySpaceSkipping.inversion.probeRayFraction)
        XCTAssertEqual(s.raysPerStep, RefineSettings().raysPerStep)
        // Over a model's own defaults (the second generation's shorter, faster refinement), the keys
        // a preset leaves out keep the model's values, nested ones key by key.
        let lit = LitTriplaneConfig().refineDefaults
        XCTAssertEqual(lit.steps, 150)
        XCTAssertEqual(TriplaneConfig().refineDefaults, RefineSettings())
        let over = try Preset.load(RefineSettings.self, from: path, base: lit)
        XCTAssertEqual(over.steps, 120)
        XCTAssertEqual(over.lrCode, lit.lrCode)
        XCTAssertNotEqual(over.lrCode, RefineSettings().lrCode)
        XCTAssertEqual(over.skipping.refreshSteps, 8)
        XCTAssertEqual(over.skipping.probeRayFraction, lit.skipping.probeRayFraction)
        try #"{"stepz": 120}"#.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Preset.load(RefineSettings.self, from: path)) {
            XCTAssertTrue("\($0)".contains("stepz"), "\($0)")
        }
        try #"{"steps": "many"}"#.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Preset.load(RefineSettings.self, from: path)) {
            XCTAssertTrue("\($0)".contains("p.json"), "\($0)")
        }
        // The shipped presets load.
        for f in try FileManager.default.contentsOfDirectory(atPath: repoRoot + "/configs") where f.hasSuffix(".json") {
            let p = repoRoot + "/configs/" + f
            if f.hasPrefix("train_") {
                _ = try Preset.load(TrainConfig.self, from: p)
            } else if f.hasPrefix("encoder_") {
                _ = try Preset.load(EncoderTrainConfig.self, from: p)
            } else if f.hasPrefix("field_") {
                let spec = try Preset.load(FieldSpec.self, from: p)  // a field preset for `train --field`
                XCTAssertEqual(spec.kind, "lit-triplane", f)
            } else {
                _ = try Preset.load(RefineSettings.self, from: p)
            }
        }
    }
}
