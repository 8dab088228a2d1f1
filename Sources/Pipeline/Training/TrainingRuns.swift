import Foundation
import Model
import NeuralCore

/// Decoder training as a `TrainingRun`: the log shows the batch MSE and PSNR over the last 50 steps.
public final class DecoderTrainingRun: TrainingRun {
    public let trainer: Trainer
    let modelConfig: ([String: String]) -> ModelConfig
    var window: [Float] = []
    static let window = 50

    /// `modelConfig(notes)` describes the model the checkpoints and the final file hold.
    public init(trainer: Trainer, modelConfig: @escaping ([String: String]) -> ModelConfig) {
        self.trainer = trainer
        self.modelConfig = modelConfig
    }

    public var step: Int { trainer.step }
    public var totalSteps: Int { trainer.config.steps }
    public var itemsPerStep: Double {
        Double(min(trainer.config.objectsPerBatch, trainer.data.count) * trainer.config.raysPerObject)
    }
    public var rateColumn: String { "rays_per_second" }
    public var watchesDivergence: Bool { true }
    public var group: Communicator { trainer.group }
    /// A resumed run starts its window empty; its first rows would be means of a few tiny batches.
    public var lossIsSettled: Bool { window.count >= Self.window }

    public func advance() throws -> (loss: Double, psnr: Double, status: String) {
        let loss = trainer.trainStep()
        guard loss.isFinite else {
            throw TrainingError("training diverged at step \(trainer.step) (loss \(loss)); lower the learning rate")
        }
        window.append(loss)
        if window.count > Self.window { window.removeFirst() }
        let mean = window.reduce(0, +) / Float(window.count)
        let psnr = -10 * log10(Double(max(mean, 1e-10)))
        return (Double(mean), psnr, String(format: "loss %.5f  PSNR %.2f dB", mean, psnr))
    }

    public func lrScale(_ step: Int) -> Float { trainer.lrScale(step) }
    public func saveCheckpoint(_ path: String) throws {
        try trainer.saveCheckpoint(path, modelConfig: modelConfig([:]))
    }
    public func restore(from path: String) throws { try trainer.restore(from: path) }

    /// The trained model, with provenance notes.
    public func model(seconds: Double, log: TrainingLog) -> NeRFModel {
        let notes = [
            "steps": "\(trainer.step)", "train_seconds": String(format: "%.0f", seconds),
            "final_batch_psnr": log.rows.last.map { String(format: "%.2f", $0.psnr) } ?? "",
        ]
        return NeRFModel(config: modelConfig(notes), field: trainer.field, codes: trainer.codes)
    }
}

/// Encoder training as a `TrainingRun`: the log shows code + pose loss and the render PSNR.
final class EncoderTrainingRun: TrainingRun {
    public let trainer: EncoderTrainer
    var window: [EncoderTrainer.Losses] = []
    var renders: [Float] = []

    public init(trainer: EncoderTrainer) { self.trainer = trainer }
    public var group: Communicator { trainer.group }

    public var step: Int { trainer.step }
    public var totalSteps: Int { trainer.config.steps }
    public var itemsPerStep: Double {
        Double(min(trainer.config.objectsPerBatch, trainer.data.count) * trainer.config.viewsPerObject)
    }
    public var rateColumn: String { "images_per_second" }

    public func advance() throws -> (loss: Double, psnr: Double, status: String) {
        let l = trainer.trainStep()
        guard l.code.isFinite, l.pose.isFinite else {
            throw TrainingError("encoder training diverged at step \(trainer.step)")
        }
        window.append(l)
        if window.count > 50 { window.removeFirst() }
        if l.render.isFinite {
            renders.append(l.render)
            if renders.count > 20 { renders.removeFirst() }
        }
        let n = Float(window.count)
        let code = window.map(\.code).reduce(0, +) / n, pose = window.map(\.pose).reduce(0, +) / n
        let az = window.map(\.azimuthError).reduce(0, +) / Double(n)
        let renderMSE = renders.isEmpty ? Float(1) : renders.reduce(0, +) / Float(renders.count)
        let psnr = -10 * log10(Double(max(renderMSE, 1e-10)))
        let status = String(
            format: "code %.3f  pose %.4f  az err %.1f°  render %.2f dB%@", code, pose, az, psnr,
            (trainer.rendering ? "" : " (watch)") as NSString)
        return (Double(code + pose), psnr, status)
    }

    public func lrScale(_ step: Int) -> Float { trainer.lrScale(step) }
    public func saveCheckpoint(_ path: String) throws { try trainer.saveCheckpoint(path) }
    public func restore(from path: String) throws { try trainer.restore(from: path) }

    /// The model with the trained encoder, with provenance notes.
    public func model(seconds: Double, log: TrainingLog) -> NeRFModel {
        trainer.modelWithEncoder(notes: Self.notes(steps: trainer.step, seconds: seconds, log: log))
    }

    /// An encoder run's provenance: its steps, seconds and last logged render PSNR.
    static func notes(steps: Int, seconds: Double, log: TrainingLog) -> [String: String] {
        [
            "steps": "\(steps)", "train_seconds": String(format: "%.0f", seconds),
            "final_render_psnr": log.rows.last.map { String(format: "%.2f", $0.psnr) } ?? "",
        ]
    }
}

/// Iterative-encoder training as a `TrainingRun`: the log's PSNR is the renders at other views
/// after the last iteration; the status shows them before the first and after the last.
final class IterativeEncoderTrainingRun: TrainingRun {
    public let trainer: IterativeEncoderTrainer
    var window: [IterativeEncoderTrainer.Losses] = []

    public init(trainer: IterativeEncoderTrainer) { self.trainer = trainer }
    public var group: Communicator { trainer.group }

    public var step: Int { trainer.step }
    public var totalSteps: Int { trainer.config.steps }
    public var itemsPerStep: Double { Double(min(trainer.config.objectsPerBatch, trainer.data.count)) }
    public var rateColumn: String { "images_per_second" }

    public func advance() throws -> (loss: Double, psnr: Double, status: String) {
        let l = trainer.trainStep()
        guard l.code.isFinite, l.pose.isFinite, l.render.allSatisfy(\.isFinite) else {
            throw TrainingError("iterative encoder training diverged at step \(trainer.step)")
        }
        window.append(l)
        if window.count > 50 { window.removeFirst() }
        let n = Float(window.count)
        func psnr(_ i: Int) -> Double {
            -10 * log10(Double(max(window.map { $0.render[i] }.reduce(0, +) / n, 1e-10)))
        }
        func az(_ i: Int) -> Double { window.map { $0.azimuthError[i] }.reduce(0, +) / Double(n) }
        let T = l.render.count - 1
        let code = window.map(\.code).reduce(0, +) / n, pose = window.map(\.pose).reduce(0, +) / n
        let residual =
            trainer.residualMap == nil ? "" : String(format: "  residual %.4f", window.map(\.residual).reduce(0, +) / n)
        let status = String(
            format: "render %.2f -> %.2f dB  az err %.1f° -> %.1f°  code %.3f%@", psnr(0), psnr(T), az(0), az(T), code,
            residual as NSString)
        return (Double(code + pose), psnr(T), status)
    }

    public func lrScale(_ step: Int) -> Float { trainer.lrScale(step) }
    public func saveCheckpoint(_ path: String) throws { try trainer.saveCheckpoint(path) }
    public func restore(from path: String) throws { try trainer.restore(from: path) }

    /// The model with the trained iterative encoder, with provenance notes.
    public func model(seconds: Double, log: TrainingLog) -> NeRFModel {
        trainer.modelWithIterative(
            notes: EncoderTrainingRun.notes(steps: trainer.step, seconds: seconds, log: log))
    }
}

/// Matting-network training as a `TrainingRun`: the log shows the BCE and the batch's mask PSNR
/// stand-in (-10 log10 BCE, so the curve rises as the masks sharpen).
final class MattingTrainingRun: TrainingRun {
    public let trainer: MattingTrainer
    var window: [Float] = []

    public init(trainer: MattingTrainer) { self.trainer = trainer }

    public var step: Int { trainer.step }
    public var totalSteps: Int { trainer.config.steps }
    public var itemsPerStep: Double { Double(trainer.config.batch) }
    public var rateColumn: String { "images_per_second" }

    public func advance() throws -> (loss: Double, psnr: Double, status: String) {
        let loss = trainer.trainStep()
        guard loss.isFinite else { throw TrainingError("matting training diverged at step \(trainer.step)") }
        window.append(loss)
        if window.count > 50 { window.removeFirst() }
        let mean = window.reduce(0, +) / Float(window.count)
        let score = -10 * log10(Double(max(mean, 1e-10)))
        return (Double(mean), score, String(format: "BCE %.4f", mean))
    }

    public func lrScale(_ step: Int) -> Float { trainer.lrScale(step) }
    public func saveCheckpoint(_ path: String) throws { try trainer.saveCheckpoint(path) }
    public func restore(from path: String) throws { try trainer.restore(from: path) }
}
