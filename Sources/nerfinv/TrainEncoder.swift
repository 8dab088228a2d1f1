import ArgumentParser
import Foundation
import Model
import NeuralCore

/// `nerfinv train-encoder`: the encoder from one view to identity and view codes, against a
/// trained (frozen) decoder.
struct TrainEncoder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-encoder",
        abstract: "Train the encoder (one view -> identity code + view code) against a trained decoder.",
        discussion: """
        First regresses the decoder's per-object codes, the true poses and the photometric \
        augmentation applied to each input; then (from --render-from) also renders the predicted \
        code at other views of the object and back-propagates the photometric error. The decoder \
        stays frozen.

        Examples:
          nerfinv train-encoder --data data/cars_train --steps 16000
          nerfinv train-encoder --data data/cars_train --steps 16000 --resume
          # fine-tune the shipped encoder with the rendering loss throughout
          nerfinv train-encoder --data data/cars_train --init-encoder models/cars.nvm \
            --out data/ft/cars.nvm --steps 8000 --render-from 0 --lr 2e-4 --warmup 200

        Writes the model with its encoder to --out (default: --model), <name>.encoder.ckpt (fp32, \
        every few minutes and on Ctrl-C), <name>.encoder_log.csv and <name>.encoder_curve.png. \
        --resume with the same --steps continues the same run.
        """
    )

    @Option(help: "Training set the decoder was trained on (SRN layout).")
    var data: String

    @Option(help: "Trained decoder model; its per-object codes are the regression targets.")
    var model: String = "models/cars.nvm"

    @Option(help: "Model file to write (default: --model, replaced atomically).")
    var out: String?

    @Option(help: "Total optimisation steps of the run.")
    var steps: Int = 16000

    @Option(help: "Step from which the rendering loss joins the regression (default: half of --steps).")
    var renderFrom: Int?

    @Option(help: "Start from the encoder of this model file (a fine-tune, fresh optimiser) instead of random weights.")
    var initEncoder: String?

    @Option(help: "Peak Adam learning rate.")
    var lr: Float = EncoderTrainConfig().lr

    @Option(help: "Also train the decoder, at this learning rate, while the rendering loss runs (default: decoder frozen).")
    var decoderLR: Float?

    @OptionGroup var training: TrainingRunOptions
    @OptionGroup var output: OutputOptions

    var outPath: String { out ?? model }

    func validate() throws {
        guard steps >= 1, steps <= 10_000_000 else { throw ValidationError("--steps must be in 1...10000000") }
        if let renderFrom, renderFrom < 0 { throw ValidationError("--render-from must be ≥ 0") }
        guard lr.isFinite, lr > 0, lr < 1 else { throw ValidationError("--lr must be in (0, 1)") }
        if let decoderLR { guard decoderLR.isFinite, decoderLR >= 0, decoderLR < 1 else { throw ValidationError("--decoder-lr must be in [0, 1)") } }
        try training.validateWarmup(steps: steps)
        guard outPath.hasSuffix(".nvm") else { throw ValidationError("--out should name a .nvm model file") }
    }

    func run() throws {
        Parallel.threads = training.threads
        BLAS.threads = training.threads
        let stem = String(outPath.dropLast(4))
        let ckpt = stem + ".encoder.ckpt", logPath = stem + ".encoder_log.csv", curvePath = stem + ".encoder_curve.png"
        let (decoderModel, _) = try NeRFModel.load(model)
        output.note("loading \(data)...")
        let dataset = try TrainingData.load(root: data, limit: training.limitObjects)
        var config = EncoderTrainConfig()
        config.steps = steps
        config.renderFromStep = renderFrom ?? steps / 2
        config.seed = training.seed
        config.lr = lr
        if training.warmup > 0 { config.warmupSteps = training.warmup }
        config.decoderLR = decoderLR
        var initial: Encoder?
        if let initEncoder {
            let (source, _) = try NeRFModel.load(initEncoder)
            guard let enc = source.encoder else { throw ValidationError("\(initEncoder) has no encoder to start from") }
            initial = enc
            config.initialEncoder = initEncoder
        }
        let trainer: EncoderTrainer
        do { trainer = try EncoderTrainer(data: dataset, model: decoderModel, config: config, initial: initial) } catch {
            throw ValidationError("\(model) and \(data): \(error)")
        }
        var log = TrainingLog(path: logPath)
        log.rateColumn = "images_per_second"
        try TrainingState.resumeOrRefuse(training, checkpoint: ckpt, log: &log, output: output) {
            try trainer.restore(from: ckpt)
            return trainer.step
        }
        signal(SIGINT) { _ in stopRequested = 1 }
        signal(SIGTERM) { _ in stopRequested = 1 }
        let bar = ProgressBar(total: config.steps, label: "encoder", unit: "steps", quiet: output.silent, initial: trainer.step, logOffTerminal: true)
        let t0 = Date()
        var lastCheckpoint = Date()
        var window: [EncoderTrainer.Losses] = [], renders: [Float] = []
        let startStep = trainer.step
        let imagesPerStep = Double(min(config.objectsPerBatch, dataset.ids.count) * config.viewsPerObject)
        while trainer.step < config.steps && stopRequested == 0 {
            let l = trainer.trainStep()
            guard l.code.isFinite, l.pose.isFinite else { throw ValidationError("encoder training diverged at step \(trainer.step)") }
            window.append(l)
            if window.count > 50 { window.removeFirst() }
            if l.render.isFinite { renders.append(l.render); if renders.count > 20 { renders.removeFirst() } }
            let n = Float(window.count)
            let code = window.map(\.code).reduce(0, +) / n, pose = window.map(\.pose).reduce(0, +) / n
            let az = window.map(\.azimuthError).reduce(0, +) / Double(n)
            let renderMSE = renders.isEmpty ? Float(1) : renders.reduce(0, +) / Float(renders.count)
            let psnr = -10 * log10(Double(max(renderMSE, 1e-10)))
            let elapsed = Date().timeIntervalSince(t0)
            let rate = Double(trainer.step - startStep) * imagesPerStep / max(elapsed, 1e-9)
            if trainer.step % 25 == 0 || trainer.step == config.steps {
                log.append(step: trainer.step, loss: Double(code + pose), psnr: psnr, lrScale: Double(trainer.lrScale(trainer.step)),
                           raysPerSecond: rate, seconds: log.offsetSeconds + elapsed)
            }
            bar.update(trainer.step, extra: String(format: "code %.3f  pose %.4f  az err %.1f°  render %.2f dB%@  %.0f img/s",
                                                   code, pose, az, psnr, (trainer.rendering ? "" : " (watch)") as NSString, rate))
            if Date().timeIntervalSince(lastCheckpoint) > training.checkpointMinutes * 60 {
                try TrainingState.persist({ try trainer.saveCheckpoint(ckpt) }, log: log, curvePath: curvePath, final: false)
                lastCheckpoint = Date()
            }
        }
        try TrainingState.persist({ try trainer.saveCheckpoint(ckpt) }, log: log, curvePath: curvePath, final: true)
        try TrainingState.exitIfInterrupted(step: trainer.step, checkpoint: ckpt)
        let notes = ["steps": "\(trainer.step)", "train_seconds": String(format: "%.0f", log.offsetSeconds + Date().timeIntervalSince(t0)),
                     "final_render_psnr": log.rows.last.map { String(format: "%.2f", $0.psnr) } ?? ""]
        try trainer.modelWithEncoder(notes: notes).save(to: outPath)
        output.report(["model": outPath, "steps": trainer.step, "final_render_psnr_db": log.rows.last?.psnr ?? 0, "log": logPath, "curve": curvePath],
                      "wrote \(outPath) with its encoder (\(trainer.step) steps); log \(logPath), curve \(curvePath)")
    }
}
