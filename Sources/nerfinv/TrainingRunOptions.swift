import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// Options every training command shares: resuming, seed, threads, data subset, checkpoints.
struct TrainingRunOptions: ParsableArguments {
    @Option(
        help: "Settings preset (JSON; e.g. configs/train.json): keys it names replace the defaults, flags replace both."
    )
    var config: String?

    @Flag(help: "Continue the run from its checkpoint (same data, same run).")
    var resume = false

    @Option(help: "Random seed (initialisation, batches, sampling, augmentation; default 1).")
    var seed: UInt64?

    @Option(
        help:
            "Threads for nerfinv's loops and OpenBLAS (default: every core, shared out among the ranks mpirun starts on this machine)."
    )
    var threads: Int?

    @Option(help: "Use only the first N objects of the dataset.")
    var limitObjects: Int?

    @Option(help: "Memory the run may plan for its step buffers, in GB (batch flags that need more are refused).")
    var maxMemory: Double = Compute.defaultMemoryGB

    @Option(help: "Minutes between checkpoints.")
    var checkpointMinutes: Double = 5

    @Option(
        help:
            "Steps of linear learning-rate warm-up from 0 (for a run that starts from trained weights: --init-model, --init-encoder)."
    )
    var warmup: Int?

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be in 1...256") }
        guard checkpointMinutes > 0, checkpointMinutes.isFinite else {
            throw ValidationError("--checkpoint-minutes must be positive")
        }
        if let limitObjects, limitObjects < 1 { throw ValidationError("--limit-objects must be at least 1") }
        guard maxMemory.isFinite, maxMemory > 0 else {
            throw ValidationError("--max-memory must be a positive number of GB")
        }
    }

    /// The preset named by --config, or the defaults.
    func preset<T: Codable>(_ defaults: T) throws -> T {
        try config.map { try Preset.load(T.self, from: $0) } ?? defaults
    }

    /// Threads for both the loops and OpenBLAS, the memory budget, and the stop signals.
    func prepare(ranksHere: Int = 1) {
        Compute.use(threads: threads ?? Compute.threads(sharedBy: ranksHere))
        Compute.limitMemory(gigabytes: maxMemory)
        Compute.catchStopSignals()
    }

    /// Runs a training command's body after `prepare`. Under mpirun MPI starts first, only rank 0
    /// speaks (the others' output is quiet) and MPI ends after the body; an error on a rank ends
    /// every rank at once, since the others would wait forever in their next collective.
    func launch(output: OutputOptions, _ body: (OutputOptions) throws -> Void) throws {
        let group = try Communicator.world()
        prepare(ranksHere: group.localSize)
        var output = output
        if !group.isRoot {
            output.quiet = true
            output.json = false
        }
        do {
            try body(output)
        } catch let exit as ExitCode {
            group.finish()  // a stop every rank agreed on
            throw exit
        } catch {
            if group.size > 1 {
                // Rank 0 speaks first: an error every rank met (most are) is then said once, as
                // rank 0's abort ends the others; one only another rank met is still said.
                if !group.isRoot { Thread.sleep(forTimeInterval: 1) }
                FileHandle.standardError.write(Data("Error (rank \(group.rank) of \(group.size)): \(error)\n".utf8))
                group.abortAll(code: 1)
            }
            throw error
        }
        group.finish()
    }

    /// Runs the training loop with a progress bar; ends the command with 130 and a resume hint
    /// when SIGINT/SIGTERM stopped it.
    func drive(_ run: any TrainingRun, paths: TrainingDriver.Paths, label: String, output: OutputOptions) throws
        -> TrainingDriver.Outcome
    {
        var bar: ProgressBar?
        let outcome = try TrainingDriver.run(
            run, paths: paths, resume: resume, checkpointMinutes: checkpointMinutes,
            shouldStop: { Compute.stopRequested },
            progress: { step, total, status in
                if bar == nil {
                    bar = ProgressBar(
                        total: total, label: label, unit: "steps", quiet: output.silent, initial: step - 1,
                        logOffTerminal: true)
                }
                bar!.update(step, extra: status)
            }, note: { output.note($0) })
        // A run ends early only when a stop was asked for: here, or under mpirun on another rank.
        if !outcome.finished {
            let saved =
                outcome.checkpointKept
                ? "its batch loss is above \(DivergenceGuard.healthyRatio)x its best, so \(paths.checkpoint) keeps the last good state"
                : "checkpoint saved to \(paths.checkpoint)"
            if run.group.isRoot {
                FileHandle.standardError.write(
                    Data("\ninterrupted at step \(run.step): \(saved); continue with --resume\n".utf8))
            }
            throw ExitCode(130)
        }
        return outcome
    }
}
