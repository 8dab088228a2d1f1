/// Watches a run's logged loss for the collapse of a diverging optimiser, so that a checkpoint is
/// never overwritten by a broken state.
///
/// A third-generation decoder run at a peak learning rate of 2e-3 held a batch loss near 0.007 for
/// 39,600 steps, then rose to 0.11 within 100 steps (PSNR 21.6 -> 9.4 dB); the checkpoint written
/// at Ctrl-C a minute later held the collapsed weights, and the run was lost. A healthy run's
/// logged loss (a 50-step mean) wanders some 15% around its trend.
public struct DivergenceGuard: Sendable {
    /// A logged loss this many times the best one so far is a collapse, not noise.
    public static let divergedRatio = 3.0
    /// A checkpoint is written only while the loss is within this factor (2 dB) of the best: a
    /// state on its way up is not kept over the last good one. A continuation's learning-rate
    /// warm-up costs up to 1.7 dB (the second generation's run 3), which still checkpoints.
    public static let healthyRatio = 1.6
    /// Rows before the guard judges: the first rows of a run are one noisy batch each.
    public static let warmupRows = 4

    public private(set) var best = Double.infinity
    public private(set) var bestStep = 0
    public private(set) var latest = Double.nan
    public private(set) var latestStep = 0
    var rows = 0

    public init() {}

    /// Takes one logged (step, loss).
    public mutating func observe(step: Int, loss: Double) {
        rows += 1
        latest = loss
        latestStep = step
        if loss < best {
            best = loss
            bestStep = step
        }
    }

    var judging: Bool { rows >= Self.warmupRows && best > 0 && best.isFinite }

    /// Whether the latest loss is a collapse (or not a number).
    public var diverged: Bool {
        if latest.isNaN && rows > 0 { return true }
        return judging && latest > Self.divergedRatio * best
    }

    /// Whether the latest state is fit to overwrite a checkpoint.
    public var healthy: Bool {
        if rows == 0 { return true }
        guard latest.isFinite else { return false }
        return !judging || latest <= Self.healthyRatio * best
    }

    /// The error that stops a diverged run, naming what was kept.
    public func failure(checkpoint: String) -> String {
        let numbers = String(
            format: "the batch loss %.5f is %.1fx the best, %.5f at step %d", latest, latest / best, best, bestStep)
        return "training diverged at step \(latestStep): \(numbers). \(checkpoint) was not overwritten since the loss "
            + "left its best, so it holds the last good state; start a new run from it with a lower learning rate "
            + "(--init-model \(checkpoint) --warmup 300 and another --out)"
    }
}
