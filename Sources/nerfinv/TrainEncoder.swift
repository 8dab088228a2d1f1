import ArgumentParser
import FileIO
import Foundation
import Model
import NeuralCore
import Pipeline

/// `nerfinv train-encoder`: the encoder from one view to identity and view codes, against a
/// trained decoder.
struct TrainEncoder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-encoder",
        abstract: "Train the encoder (one view -> identity code + view code) against a trained decoder.",
        discussion: """
            First regresses the decoder's per-object codes, the true poses and the photometric \
            augmentation applied to each input; then (from --render-from) also renders the predicted \
            code at other views of the object and back-propagates the photometric error. The decoder \
            stays frozen unless --decoder-lr trains a copy of it.

            Examples:
              nerfinv train-encoder --data data/cars_train --steps 16000
              nerfinv train-encoder --data data/cars_train --steps 16000 --resume
              # fine-tune the shipped encoder with the rendering loss throughout
              nerfinv train-encoder --data data/cars_train --config configs/encoder_retune.json \\
                --init-encoder models/cars.nvm --out data/ft/cars.nvm

            Writes the model with its encoder to --out (default: --model), <name>.encoder.ckpt (fp32, \
            every few minutes and on Ctrl-C), <name>.encoder_log.csv and <name>.encoder_curve.png. \
            --resume with the same settings continues the same run.
            """
    )

    @Option(help: "Training set the decoder was trained on (SRN layout).")
    var data: String

    @Option(help: "Trained decoder model; its per-object codes are the regression targets.")
    var model: String = "models/cars.nvm"

    @Option(help: "Model file to write (default: --model, replaced atomically).")
    var out: String?

    @Option(help: "Total optimisation steps of the run (default 16000).")
    var steps: Int?

    @Option(help: "Step from which the rendering loss joins the regression (default: half of the steps).")
    var renderFrom: Int?

    @Option(help: "Start from the encoder of this model file (a fine-tune, fresh optimiser) instead of random weights.")
    var initEncoder: String?

    @Option(help: "Peak Adam learning rate (default 1e-3).")
    var lr: Float?

    @Option(
        help:
            "Also train (a copy of) the decoder, at this learning rate, while the rendering loss runs (default: frozen)."
    )
    var decoderLR: Float?

    @OptionGroup var training: TrainingRunOptions
    @OptionGroup var output: OutputOptions

    var outPath: String { out ?? model }

    func validate() throws {
        guard outPath.hasSuffix(".nvm") else { throw ValidationError("--out should name a .nvm model file") }
    }

    /// Defaults, then the preset, then the flags.
    func config() throws -> EncoderTrainConfig {
        var c = try training.preset(EncoderTrainConfig())
        if let steps { c.steps = steps }
        // The rendering loss joins halfway unless the preset or --render-from says when.
        c.renderFromStep = renderFrom ?? (training.config == nil ? c.steps / 2 : c.renderFromStep)
        if let seed = training.seed { c.seed = seed }
        if let lr { c.lr = lr }
        if let warmup = training.warmup, warmup > 0 { c.warmupSteps = warmup }
        if let decoderLR { c.decoderLR = decoderLR }
        guard (1...10_000_000).contains(c.steps) else { throw ValidationError("--steps must be in 1...10000000") }
        guard c.renderFromStep >= 0 else { throw ValidationError("--render-from must be ≥ 0") }
        guard c.lr.isFinite, c.lr > 0, c.lr < 1 else { throw ValidationError("--lr must be in (0, 1)") }
        if let d = c.decoderLR, !(d.isFinite && d >= 0 && d < 1) {
            throw ValidationError("--decoder-lr must be in [0, 1)")
        }
        try training.validateWarmup(c.warmupSteps ?? 0, steps: c.steps)
        return c
    }

    func run() throws {
        var config = try config()
        training.prepare()
        let stem = String(outPath.dropLast(4))
        // The model may be replaced by its own output (--out defaults to --model); the data and
        // presets may not be written, and everything is checked before training.
        var plan = OutputPlan(inputs: [data] + [initEncoder, training.config].compactMap { $0 })
        for file in [outPath, stem + ".encoder.ckpt", stem + ".encoder_log.csv", stem + ".encoder_curve.png"] {
            try plan.add(file: file)
        }
        let (decoderModel, _) = try NeRFModel.load(model)
        let images = config.objectsPerBatch * config.viewsPerObject
        try MemoryBudget.check(
            RenderStep.plannedBytes(
                spec: decoderModel.config.decoder, objects: images, rays: images * config.raysPerImage,
                stateFloats: decoderModel.config.decoder.config.stateFloats),
            for: "an encoder step rendering \(images) images x \(config.raysPerImage) rays")
        output.note("loading \(data)...")
        let dataset = try TrainingData.load(root: data, limit: training.limitObjects)
        var initial: Encoder?
        if let initEncoder {
            let (source, _) = try NeRFModel.load(initEncoder)
            guard let enc = source.encoder else { throw ValidationError("\(initEncoder) has no encoder to start from") }
            initial = enc
            config.initialEncoder = initEncoder
        }
        let trainer: EncoderTrainer
        do {
            trainer = try EncoderTrainer(
                data: dataset, model: decoderModel, config: config,
                encoderConfig: .forResolution(dataset.width, lit: decoderModel.field.conditionSize > 0),
                initial: initial)
        } catch {
            throw ValidationError("\(model) and \(data): \(error)")
        }
        let run = EncoderTrainingRun(trainer: trainer)
        let paths = TrainingDriver.Paths(
            checkpoint: stem + ".encoder.ckpt", log: stem + ".encoder_log.csv", curve: stem + ".encoder_curve.png")
        let outcome = try training.drive(run, paths: paths, label: "encoder", output: output)
        try run.model(seconds: outcome.seconds, log: outcome.log).save(to: outPath)
        output.report(
            [
                "model": outPath, "steps": trainer.step, "final_render_psnr_db": outcome.log.rows.last?.psnr ?? 0,
                "log": paths.log, "curve": paths.curve,
            ],
            "wrote \(outPath) with its encoder (\(trainer.step) steps); log \(paths.log), curve \(paths.curve)")
    }
}
