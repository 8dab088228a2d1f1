import ArgumentParser
import Datasets
import FileIO
import Foundation
import Model
import NeuralCore
import Pipeline

/// `nerfinv train`: auto-decoder training of the field and a code per object.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the decoder and one identity code per training object on a multi-view dataset.",
        discussion: """
            Examples:
              nerfinv train --data data/cars_train --out models/cars.nvm --steps 20000
              nerfinv train --data data/cars_train --out models/cars.nvm --resume
              nerfinv train --data data/cars_train --config configs/train_continue.json \\
                --init-model models/cars.nvm --out data/long/cars.nvm

            Writes <name>.nvm (fp16 model), <name>.nvm.ckpt (fp32 checkpoint with optimiser state, \
            every few minutes and on Ctrl-C), <name>.train_log.csv and <name>.train_curve.png. \
            --resume continues the same run exactly. Settings: the defaults, then --config, then flags.
            """
    )

    @Option(help: "Training set folder (SRN layout, from `nerfinv generate`).")
    var data: String

    @Option(help: "Model file to write.")
    var out: String

    @Option(help: "Total optimisation steps of the run (default 20000).")
    var steps: Int?

    @OptionGroup var training: TrainingRunOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Objects per batch (default 8).")
    var objectsPerBatch: Int?

    @Option(help: "Rays per object per batch (default 512).")
    var raysPerObject: Int?

    @Option(
        help:
            "Start from this trained model's decoder and codes (same training objects) with a fresh optimiser: a longer or lower-rate continuation."
    )
    var initModel: String?

    @Option(
        help: ArgumentHelp(
            "Field kind of a new model: 'triplane' (first generation, the default), 'lit-triplane' (second), or a JSON file of a field config with its \"kind\".",
            valueName: "kind|file"))
    var field: String?

    @Option(help: "Peak Adam learning rate of the decoder weights (default 5e-3).")
    var lrDecoder: Float?

    @Option(help: "Peak Adam learning rate of the identity codes (default 1e-2).")
    var lrCodes: Float?

    func validate() throws {
        guard out.hasSuffix(".nvm") else { throw ValidationError("--out should name a .nvm model file") }
        if field != nil && initModel != nil {
            throw ValidationError("--field and --init-model conflict: a continuation keeps its model's field")
        }
        if let initModel, initModel == out {
            throw ValidationError("--init-model and --out must differ (the model is overwritten at the end)")
        }
    }

    /// The field of a new model: a kind's defaults, or a config file.
    func fieldSpec() throws -> FieldSpec {
        guard let field else { return FieldSpec(TriplaneConfig()) }
        return field.hasSuffix(".json") ? try Preset.load(FieldSpec.self, from: field) : try FieldSpec.named(field)
    }

    /// Defaults, then the preset, then the flags.
    func config() throws -> TrainConfig {
        var c = try training.preset(TrainConfig())
        if let steps { c.steps = steps }
        if let objectsPerBatch { c.objectsPerBatch = objectsPerBatch }
        if let raysPerObject { c.raysPerObject = raysPerObject }
        if let seed = training.seed { c.seed = seed }
        if let warmup = training.warmup { c.warmupSteps = warmup }
        if let lrDecoder { c.lrDecoder = lrDecoder }
        if let lrCodes { c.lrCodes = lrCodes }
        guard (1...10_000_000).contains(c.steps) else { throw ValidationError("--steps must be in 1...10000000") }
        guard (1...256).contains(c.objectsPerBatch) else {
            throw ValidationError("--objects-per-batch must be in 1...256")
        }
        guard (1...65536).contains(c.raysPerObject) else {
            throw ValidationError("--rays-per-object must be in 1...65536")
        }
        guard c.codeNoise >= 0 && c.codeNoise <= 10, c.distortionWeight >= 0 && c.distortionWeight <= 100,
            c.boxRayFraction >= 0 && c.boxRayFraction <= 1
        else {
            throw ValidationError("codeNoise must be in 0...10, distortionWeight in 0...100, boxRayFraction in 0...1")
        }
        for (flag, lr) in [("--lr-decoder", c.lrDecoder), ("--lr-codes", c.lrCodes)] where !(lr > 0 && lr <= 1) {
            throw ValidationError("\(flag) must be in (0, 1]")
        }
        try training.validateWarmup(c.warmupSteps, steps: c.steps)
        return c
    }

    func run() throws {
        var config = try config()
        training.prepare()
        // The step's buffers against the budget, before any data is loaded.
        let initial = try initModel.map { try NeRFModel.load($0).model }
        let spec = try initial?.config.decoder ?? fieldSpec()
        try MemoryBudget.check(
            RenderStep.plannedBytes(
                spec: spec, objects: config.objectsPerBatch, rays: config.objectsPerBatch * config.raysPerObject,
                stateFloats: spec.config.stateFloats),
            for:
                "a training step of \(config.objectsPerBatch) objects x \(config.raysPerObject) rays x \(spec.samplesPerRay) samples"
        )
        let stem = String(out.dropLast(4))
        // Checked before hours of training: the model, checkpoint, log and curve can all be written.
        var plan = OutputPlan(inputs: [data] + [initModel, training.config, field].compactMap { $0 })
        for file in [out, out + ".ckpt", stem + ".train_log.csv", stem + ".train_curve.png"] {
            try plan.add(file: file)
        }
        output.note("loading \(data)...")
        let dataset = try TrainingData.load(root: data, limit: training.limitObjects)
        if let initModel, let model = initial {
            guard model.config.objects == dataset.ids else {
                throw FileError(
                    path: initModel,
                    reason: "was trained on other objects (\(model.config.objects.count) vs \(dataset.count) in --data)"
                )
            }
            config.initialModel = initModel
            // A trained density field is meaningful from the first step: skip empty space at once.
            config.skipping.warmupSteps = 0
        }
        let trainer = Trainer(data: dataset, config: config, field: spec)
        if let initial { trainer.warmStart(from: initial, step: 0) }
        let manifest = DatasetManifest.read(data)
        let run = DecoderTrainingRun(trainer: trainer) { notes in
            ModelConfig(
                decoder: trainer.field.spec, scene: manifest?.scene ?? "unknown",
                cameraDistance: dataset.cameraDistance,
                fovDegrees: dataset.fovDegrees, resolution: dataset.width, objects: dataset.ids,
                training: trainer.config, notes: notes)
        }
        let paths = TrainingDriver.Paths(
            checkpoint: out + ".ckpt", log: stem + ".train_log.csv", curve: stem + ".train_curve.png")
        let outcome = try training.drive(run, paths: paths, label: "train", output: output)
        // The generator's attributes of the training objects travel with the codes (edit --attribute).
        let attributes = try ObjectAttributeTable.load(dataRoot: data, ids: dataset.ids)
        try run.model(seconds: outcome.seconds, log: outcome.log).with(attributes: attributes).save(to: out)
        output.report(
            [
                "model": out, "steps": trainer.step, "final_batch_psnr_db": outcome.log.rows.last?.psnr ?? 0,
                "log": paths.log, "curve": paths.curve,
            ],
            "wrote \(out) (\(trainer.step) steps); log \(paths.log), curve \(paths.curve)")
    }
}
