import ArgumentParser
import Foundation
import NeuralCore

/// Options every training command shares: resuming, seed, threads, data subset, checkpoints.
struct TrainingRunOptions: ParsableArguments {
    @Flag(help: "Continue the run from its checkpoint (same data, same run).")
    var resume = false

    @Option(help: "Random seed (initialisation, batches, sampling, augmentation).")
    var seed: UInt64 = 1

    @Option(help: "Threads for nerfinv's loops and OpenBLAS.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Use only the first N objects of the dataset.")
    var limitObjects: Int?

    @Option(help: "Minutes between checkpoints.")
    var checkpointMinutes: Double = 5

    @Option(help: "Steps of linear learning-rate warm-up from 0 (for a run that starts from trained weights: --init-model, --init-encoder).")
    var warmup: Int = 0

    func validate() throws {
        guard threads >= 1, threads <= 256 else { throw ValidationError("--threads must be in 1...256") }
        guard checkpointMinutes > 0, checkpointMinutes.isFinite else { throw ValidationError("--checkpoint-minutes must be positive") }
        if let limitObjects, limitObjects < 1 { throw ValidationError("--limit-objects must be at least 1") }
    }

    /// The warm-up must fit in the run: called by each command, which knows its step count.
    func validateWarmup(steps: Int) throws {
        guard warmup >= 0, warmup <= steps else { throw ValidationError("--warmup must be in 0...--steps") }
    }
}

/// What both training commands do with their state: checkpoint, log and curve, and the clean stop.
enum TrainingState {
    /// Before the loop: with --resume, restores the run from its checkpoint and the log; without,
    /// refuses to start over an existing checkpoint (a plain rerun would silently restart).
    static func resumeOrRefuse(_ training: TrainingRunOptions, checkpoint: String, log: inout TrainingLog, output: OutputOptions,
                               restore: () throws -> Int) throws {
        if training.resume {
            guard FileManager.default.fileExists(atPath: checkpoint) else { throw FileError(path: checkpoint, reason: "no checkpoint to resume from") }
            let step = try restore()
            try log.reload()
            output.note("resumed at step \(step) from \(checkpoint)")
        } else if FileManager.default.fileExists(atPath: checkpoint) {
            throw ValidationError("\(checkpoint) exists: pass --resume to continue that run, or remove it to start over")
        }
    }

    /// Saves the checkpoint (`save`), the log and the curve. Periodic saves tolerate a failed plot;
    /// the final one does not.
    static func persist(_ save: () throws -> Void, log: TrainingLog, curvePath: String, final: Bool) throws {
        try save()
        try log.flush()
        if final { try TrainingCurve.write(log: log, to: curvePath) } else { try? TrainingCurve.write(log: log, to: curvePath) }
    }

    /// After the loop: ends the command with 130 and a resume hint when SIGINT/SIGTERM stopped it.
    static func exitIfInterrupted(step: Int, checkpoint: String) throws {
        guard stopRequested != 0 else { return }
        FileHandle.standardError.write(Data("\ninterrupted at step \(step): checkpoint saved to \(checkpoint); continue with --resume\n".utf8))
        throw ExitCode(130)
    }
}
