import ArgumentParser
import Datasets
import Foundation
import ImageIO
import Model
import NeuralCore

/// Set by SIGINT/SIGTERM: the training loop saves a checkpoint and stops cleanly.
nonisolated(unsafe) var stopRequested: sig_atomic_t = 0

/// `nerfinv train`: auto-decoder training of the triplane decoder and a code per object.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the decoder and one identity code per training object on a multi-view dataset.",
        discussion: """
        Examples:
          nerfinv train --data data/cars_train --out models/cars.nvm --steps 20000
          nerfinv train --data data/cars_train --out models/cars.nvm --resume
          nerfinv train --data data/cars_train --init-model models/cars.nvm --out data/long/cars.nvm \
            --steps 20000 --lr-decoder 1e-3 --lr-codes 2e-3 --warmup 300

        Writes <name>.nvm (fp16 model), <name>.nvm.ckpt (fp32 checkpoint with optimiser state, \
        every few minutes and on Ctrl-C), <name>.train_log.csv and <name>.train_curve.png. \
        --resume continues the same run exactly.
        """
    )

    @Option(help: "Training set folder (SRN layout, from `nerfinv generate`).")
    var data: String

    @Option(help: "Model file to write.")
    var out: String

    @Option(help: "Total optimisation steps of the run.")
    var steps: Int?

    @OptionGroup var training: TrainingRunOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Objects per batch.")
    var objectsPerBatch: Int = 8

    @Option(help: "Rays per object per batch.")
    var raysPerObject: Int = 512

    @Option(help: "Start from this trained model's decoder and codes (same training objects) with a fresh optimiser: a longer or lower-rate continuation.")
    var initModel: String?

    @Option(help: "Peak Adam learning rate of the decoder weights (default 5e-3).")
    var lrDecoder: Float?

    @Option(help: "Peak Adam learning rate of the identity codes (default 1e-2).")
    var lrCodes: Float?

    func validate() throws {
        if let steps, steps < 1 || steps > 10_000_000 { throw ValidationError("--steps must be in 1...10000000") }
        guard objectsPerBatch >= 1, objectsPerBatch <= 256 else { throw ValidationError("--objects-per-batch must be in 1...256") }
        guard raysPerObject >= 1, raysPerObject <= 65536 else { throw ValidationError("--rays-per-object must be in 1...65536") }
        guard out.hasSuffix(".nvm") else { throw ValidationError("--out should name a .nvm model file") }
        for (flag, lr) in [("--lr-decoder", lrDecoder), ("--lr-codes", lrCodes)] {
            if let lr, !(lr > 0 && lr <= 1) { throw ValidationError("\(flag) must be in (0, 1]") }
        }
        try training.validateWarmup(steps: steps ?? TrainConfig().steps)
        if let initModel, initModel == out { throw ValidationError("--init-model and --out must differ (the model is overwritten at the end)") }
    }

    func run() throws {
        Parallel.threads = training.threads
        BLAS.threads = training.threads
        let outDir = URL(fileURLWithPath: out).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: outDir.isEmpty ? "." : outDir, withIntermediateDirectories: true)
        let stem = String(out.dropLast(4))
        let ckpt = out + ".ckpt", logPath = stem + ".train_log.csv", curvePath = stem + ".train_curve.png"
        output.note("loading \(data)...")
        let dataset = try TrainingData.load(root: data, limit: training.limitObjects)
        var config = TrainConfig()
        config.steps = steps ?? config.steps
        config.objectsPerBatch = objectsPerBatch
        config.raysPerObject = raysPerObject
        config.seed = training.seed
        config.warmupSteps = training.warmup
        if let lrDecoder { config.lrDecoder = lrDecoder }
        if let lrCodes { config.lrCodes = lrCodes }
        var initial: NeRFModel?
        if let initModel {
            let (model, _) = try NeRFModel.load(initModel)
            guard model.config.objects == dataset.ids else {
                throw FileError(path: initModel, reason: "was trained on other objects (\(model.config.objects.count) vs \(dataset.ids.count) in --data)")
            }
            config.initialModel = initModel
            // A trained density field is meaningful from the first step: skip empty space at once.
            config.skipWarmupSteps = 0
            initial = model
        }
        let trainer = Trainer(data: dataset, config: config, decoderConfig: initial?.config.decoder ?? DecoderConfig())
        if let initial { trainer.warmStart(from: initial, step: 0) }
        var log = TrainingLog(path: logPath)
        try TrainingState.resumeOrRefuse(training, checkpoint: ckpt, log: &log, output: output) {
            try trainer.restore(from: ckpt)
            return trainer.step
        }
        let manifest = DatasetManifest.read(data)
        let modelConfig = { (notes: [String: String]) in
            ModelConfig(decoder: trainer.decoder.config, scene: manifest?.scene ?? "unknown", cameraDistance: dataset.cameraDistance,
                        fovDegrees: dataset.fovDegrees, resolution: dataset.width,
                        objects: dataset.ids, training: trainer.config, notes: notes)
        }
        signal(SIGINT) { _ in stopRequested = 1 }
        signal(SIGTERM) { _ in stopRequested = 1 }
        let bar = ProgressBar(total: trainer.config.steps, label: "train", unit: "steps", quiet: output.silent, initial: trainer.step, logOffTerminal: true)
        let t0 = Date()
        var lastCheckpoint = Date()
        var window: [Float] = []
        let raysPerStep = Double(min(trainer.config.objectsPerBatch, dataset.ids.count) * trainer.config.raysPerObject)
        let startStep = trainer.step
        while trainer.step < trainer.config.steps && stopRequested == 0 {
            let loss = trainer.trainStep()
            guard loss.isFinite else { throw ValidationError("training diverged at step \(trainer.step) (loss \(loss)); lower the learning rate") }
            window.append(loss)
            if window.count > 50 { window.removeFirst() }
            let mean = window.reduce(0, +) / Float(window.count)
            let psnr = -10 * log10(Double(max(mean, 1e-10)))
            let elapsed = Date().timeIntervalSince(t0)
            let raysPerSecond = Double(trainer.step - startStep) * raysPerStep / max(elapsed, 1e-9)
            if trainer.step % 25 == 0 || trainer.step == trainer.config.steps {
                log.append(step: trainer.step, loss: Double(mean), psnr: psnr, lrScale: Double(trainer.lrScale(trainer.step)),
                           raysPerSecond: raysPerSecond, seconds: log.offsetSeconds + elapsed)
            }
            bar.update(trainer.step, extra: String(format: "loss %.5f  PSNR %.2f dB  %.0f rays/s", mean, psnr, raysPerSecond))
            if Date().timeIntervalSince(lastCheckpoint) > training.checkpointMinutes * 60 {
                try TrainingState.persist({ try trainer.saveCheckpoint(ckpt, modelConfig: modelConfig([:])) }, log: log, curvePath: curvePath, final: false)
                lastCheckpoint = Date()
            }
        }
        try TrainingState.persist({ try trainer.saveCheckpoint(ckpt, modelConfig: modelConfig([:])) }, log: log, curvePath: curvePath, final: true)
        try TrainingState.exitIfInterrupted(step: trainer.step, checkpoint: ckpt)
        let notes = ["steps": "\(trainer.step)", "train_seconds": String(format: "%.0f", log.offsetSeconds + Date().timeIntervalSince(t0)),
                     "final_batch_psnr": log.rows.last.map { String(format: "%.2f", $0.psnr) } ?? ""]
        let model = NeRFModel(config: modelConfig(notes), decoder: trainer.decoder, codes: trainer.codes)
        try model.save(to: out)
        output.report(["model": out, "steps": trainer.step, "final_batch_psnr_db": log.rows.last?.psnr ?? 0, "log": logPath, "curve": curvePath],
                      "wrote \(out) (\(trainer.step) steps); log \(logPath), curve \(curvePath)")
    }
}
