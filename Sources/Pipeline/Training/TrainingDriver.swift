import FileIO
import Foundation
import Model
import NeuralCore

/// One trainer as the driver sees it: a step at a time, with checkpoints.
public protocol TrainingRun: AnyObject {
    var step: Int { get }
    var totalSteps: Int { get }
    /// Rays or images per step, for the throughput column, and that column's name.
    var itemsPerStep: Double { get }
    var rateColumn: String { get }
    /// One step; returns the loss and PSNR to log and a status line. Throws when training diverges.
    func advance() throws -> (loss: Double, psnr: Double, status: String)
    func lrScale(_ step: Int) -> Float
    func saveCheckpoint(_ path: String) throws
    func restore(from path: String) throws
    /// Whether the logged loss is one quantity from start to end, so that a rise is a collapse
    /// (`DivergenceGuard`); an encoder run's loss changes terms when its rendering loss starts.
    var watchesDivergence: Bool { get }
    /// Whether the loss `advance` just returned is judged by the guard: a mean over a window that
    /// a resumed run has only begun to refill is one noisy batch, not the trend the best was taken on.
    var lossIsSettled: Bool { get }
    /// The ranks the run's batches are split over: rank 0 alone writes its checkpoint, log and curve.
    var group: Communicator { get }
}

extension TrainingRun {
    public var watchesDivergence: Bool { false }
    public var lossIsSettled: Bool { true }
    public var group: Communicator { .single }
}

/// An error that stops a training run before or during its loop.
struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The loop both trainers share: resume or refuse, steps, a log row every 25 steps, a
/// checkpoint every few minutes and at the end, a clean stop on request.
public enum TrainingDriver {
    public struct Paths: Sendable {
        public var checkpoint: String
        public var log: String
        var curve: String
        public init(checkpoint: String, log: String, curve: String) {
            self.checkpoint = checkpoint
            self.log = log
            self.curve = curve
        }
    }

    public struct Outcome {
        /// False when `shouldStop` ended the loop early (the checkpoint is saved, unless the state was
        /// then unhealthy: see `checkpointKept`).
        public var finished: Bool
        public var log: TrainingLog
        /// Wall time of the whole run, earlier sessions of a resumed run included.
        public var seconds: Double
        /// True when a run stopped early left the checkpoint as it was: its last state's batch loss
        /// was over `DivergenceGuard.healthyRatio` times its best, so the last good state stays.
        public var checkpointKept = false
    }

    /// Steps between log rows.
    static let logInterval = 25

    /// Runs `run` to its last step. With `resume` it continues from the checkpoint; without, it
    /// refuses to start over an existing one (a plain rerun would silently restart).
    /// `progress(step, total, status)` after each step; `shouldStop()` is polled between steps,
    /// and under MPI a stop any rank was asked for stops every rank after the same step.
    public static func run(
        _ run: any TrainingRun, paths: Paths, resume: Bool, checkpointMinutes: Double, shouldStop: () -> Bool,
        progress: (Int, Int, String) -> Void, note: (String) -> Void = { _ in }
    ) throws -> Outcome {
        var log = TrainingLog(path: paths.log)
        log.rateColumn = run.rateColumn
        var watch = DivergenceGuard()
        if resume {
            guard FileManager.default.fileExists(atPath: paths.checkpoint) else {
                throw FileError(path: paths.checkpoint, reason: "no checkpoint to resume from")
            }
            try run.restore(from: paths.checkpoint)
            try log.reload()
            for row in log.rows where row.step <= run.step { watch.observe(step: row.step, loss: row.loss) }
            note("resumed at step \(run.step) from \(paths.checkpoint)")
        } else if FileManager.default.fileExists(atPath: paths.checkpoint) {
            throw TrainingError(
                "\(paths.checkpoint) exists: pass --resume to continue that run, or remove it to start over")
        }
        let t0 = Date(), startStep = run.step, group = run.group
        var lastCheckpoint = Date()
        var stopped = false
        while run.step < run.totalSteps {
            // Every rank asks the others, so that all leave the loop after the same step.
            stopped = group.any(shouldStop())
            if stopped { break }
            let (loss, psnr, status) = try run.advance()
            let elapsed = Date().timeIntervalSince(t0)
            let rate = Double(run.step - startStep) * run.itemsPerStep / max(elapsed, 1e-9)
            if run.step % logInterval == 0 || run.step == run.totalSteps {
                log.append(
                    step: run.step, loss: loss, psnr: psnr, lrScale: Double(run.lrScale(run.step)), raysPerSecond: rate,
                    seconds: log.offsetSeconds + elapsed)
                if run.watchesDivergence && run.lossIsSettled {
                    watch.observe(step: run.step, loss: loss)
                    if watch.diverged {
                        // The log and curve show the collapse; the checkpoint keeps the last good state.
                        if group.isRoot {
                            try? log.flush()
                            try? TrainingCurve.write(log: log, to: paths.curve)
                        }
                        throw TrainingError(watch.failure(checkpoint: paths.checkpoint))
                    }
                }
            }
            let unit = run.rateColumn.replacingOccurrences(of: "_per_second", with: "")
            progress(run.step, run.totalSteps, status + String(format: "  %.0f %@/s", rate, unit))
            // A state whose loss has left its best waits: it must not replace the last good checkpoint.
            if Date().timeIntervalSince(lastCheckpoint) > checkpointMinutes * 60 && watch.healthy {
                if group.isRoot { try persist(run, log: log, paths: paths, final: false) }
                lastCheckpoint = Date()
            }
        }
        guard watch.healthy else {
            if group.isRoot { try? log.flush() }
            if stopped {
                // Interrupted while the loss is above its healthy ratio (a noisy batch or the start of
                // a collapse): still an interruption, and the checkpoint keeps the last good state.
                return Outcome(
                    finished: false, log: log, seconds: log.offsetSeconds + Date().timeIntervalSince(t0),
                    checkpointKept: true)
            }
            throw TrainingError(
                "the run stopped at step \(run.step) with its batch loss \(String(format: "%.5f", watch.latest)) above "
                    + "\(DivergenceGuard.healthyRatio)x its best (\(String(format: "%.5f", watch.best)) at step "
                    + "\(watch.bestStep)): \(paths.checkpoint) keeps the last good state and was not overwritten")
        }
        if group.isRoot { try persist(run, log: log, paths: paths, final: true) }
        return Outcome(
            finished: run.step >= run.totalSteps, log: log, seconds: log.offsetSeconds + Date().timeIntervalSince(t0))
    }

    /// Saves the checkpoint, the log and the curve. Periodic saves tolerate a failed plot; the final
    /// one does not.
    static func persist(_ run: any TrainingRun, log: TrainingLog, paths: Paths, final: Bool) throws {
        try run.saveCheckpoint(paths.checkpoint)
        try log.flush()
        if final {
            try TrainingCurve.write(log: log, to: paths.curve)
        } else {
            try? TrainingCurve.write(log: log, to: paths.curve)
        }
    }
}
