import Foundation
import Pipeline

/// A progress line on stderr with rate and ETA. On a terminal it redraws in place at most ten
/// times a second. Elsewhere (pipes, CI, scripts) it stays silent, except for long runs that ask
/// for a log (`logOffTerminal`, the training commands under nohup): a plain line every 10% or minute.
final class ProgressBar {
    let total: Int
    let label: String
    let unit: String
    let quiet: Bool
    let logOffTerminal: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var lastDecile = -1
    private var ended = false
    private let tty = isatty(STDERR_FILENO) != 0

    /// Work already done when the bar starts (a resumed run), left out of the rate.
    let initial: Int

    init(total: Int, label: String, unit: String, quiet: Bool = false, initial: Int = 0, logOffTerminal: Bool = false) {
        self.total = max(1, total)
        self.label = label
        self.unit = unit
        self.quiet = quiet
        self.initial = initial
        self.logOffTerminal = logOffTerminal
    }

    static func clock(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "--:--" }
        let t = Int(s.rounded())
        return t >= 3600
            ? String(format: "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60)
            : String(format: "%d:%02d", t / 60, t % 60)
    }

    /// Ends the line of work that stopped short of the total (an early stop).
    /// A bar over an inversion's refinement and tuning steps.
    static func steps(of request: InversionRequest, quiet: Bool) -> ProgressBar {
        ProgressBar(
            total: (request.settings?.steps ?? 0) + (request.settings?.layers.steps ?? 0) + (request.tune?.steps ?? 0),
            label: "invert", unit: "steps",
            quiet: quiet)
    }

    /// An optimiser's progress callback (step, batch MSE) that shows the batch PSNR.
    var psnr: (Int, Float) -> Void {
        { [self] step, mse in
            update(step, extra: String(format: "batch PSNR %.2f dB", -10 * log10(Double(max(mse, 1e-10)))))
        }
    }

    func finish() {
        guard !quiet, tty, !ended, lastDraw != .distantPast else { return }
        ended = true
        FileHandle.standardError.write(Data("\n".utf8))
    }

    func update(_ done: Int, extra: String = "") {
        guard !quiet, tty || logOffTerminal else { return }
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        let rate = Double(done - initial) / max(elapsed, 1e-9)
        let eta = Double(total - done) / max(rate, 1e-9)
        let fraction = Double(done) / Double(total)
        let line = String(
            format: "%@ %3.0f%% %d/%d %@  %.1f %@/s  elapsed %@  ETA %@%@", label, fraction * 100, done, total, unit,
            rate, unit, Self.clock(elapsed), done >= total ? "0:00" : Self.clock(eta), extra.isEmpty ? "" : "  " + extra
        )
        if tty {
            guard done >= total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = now
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[K[\(bar)] \(line)".utf8))
            if done >= total {
                ended = true
                FileHandle.standardError.write(Data("\n".utf8))
            }
        } else {
            let decile = Int(fraction * 10)
            guard decile > lastDecile || now.timeIntervalSince(lastDraw) > 60 else { return }
            lastDecile = decile
            lastDraw = now
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
