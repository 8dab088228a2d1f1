import Foundation
import XCTest

@testable import Pipeline

/// A collapsing run stops with an error and never overwrites its last good checkpoint.
final class DivergenceGuardTests: XCTestCase {
    func testRulesOnALoggedLoss() {
        var g = DivergenceGuard()
        XCTAssertTrue(g.healthy)
        // Falling, then noisy at 0.01: healthy throughout.
        for (i, loss) in [0.1, 0.05, 0.02, 0.012, 0.01, 0.0115, 0.0095, 0.011].enumerated() {
            g.observe(step: 25 * (i + 1), loss: loss)
            XCTAssertFalse(g.diverged, "\(loss)")
            XCTAssertTrue(g.healthy, "\(loss)")
        }
        XCTAssertEqual(g.best, 0.0095)
        XCTAssertEqual(g.bestStep, 175)
        // On its way up: not kept, not yet called a collapse.
        g.observe(step: 225, loss: 0.02)
        XCTAssertFalse(g.healthy)
        XCTAssertFalse(g.diverged)
        g.observe(step: 250, loss: 0.04)
        XCTAssertTrue(g.diverged)
        XCTAssertTrue(g.failure(checkpoint: "m.nvm.ckpt").contains("step 250"))
        XCTAssertTrue(g.failure(checkpoint: "m.nvm.ckpt").contains("--init-model m.nvm.ckpt"))
        var nan = DivergenceGuard()
        nan.observe(step: 25, loss: .nan)
        XCTAssertTrue(nan.diverged)
        XCTAssertFalse(nan.healthy)
    }

    /// A scripted run: its loss falls, holds, then climbs 20x; a checkpoint every step.
    final class ScriptedRun: TrainingRun {
        var step = 0
        let totalSteps = 400
        let itemsPerStep = 1.0
        let rateColumn = "rays_per_second"
        var watchesDivergence: Bool { watches }
        let watches: Bool
        var savedSteps: [Int] = []
        /// Steps after a restore whose loss is one noisy batch, 4x the trend; `saysUnsettled` makes
        /// `lossIsSettled` false over them, as a real run's refilling window does.
        let noisyAfterRestore = 30
        var saysUnsettled = false
        var stepsSinceRestore = Int.max
        var lossIsSettled: Bool { !saysUnsettled || stepsSinceRestore > noisyAfterRestore }
        init(watches: Bool) { self.watches = watches }
        func loss(_ s: Int) -> Double {
            // One noisy batch right after a restore: 4x the trend.
            if stepsSinceRestore <= noisyAfterRestore { return 0.04 }
            if s < 100 { return 0.1 - 0.0009 * Double(s) }
            return s < 200 ? 0.01 : 0.01 * pow(1.02, Double(s - 200))
        }
        func advance() throws -> (loss: Double, psnr: Double, status: String) {
            step += 1
            if stepsSinceRestore < Int.max { stepsSinceRestore += 1 }
            return (loss(step), -10 * log10(loss(step)), "")
        }
        func lrScale(_ step: Int) -> Float { 1 }
        func saveCheckpoint(_ path: String) throws {
            savedSteps.append(step)
            try "\(step)".write(toFile: path, atomically: true, encoding: .utf8)
        }
        func restore(from path: String) throws {
            step = Int(try String(contentsOfFile: path, encoding: .utf8))!
            stepsSinceRestore = 0
        }
    }

    func testDriverKeepsTheLastGoodCheckpoint() throws {
        let dir = NSTemporaryDirectory() + "divergence-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let paths = TrainingDriver.Paths(checkpoint: dir + "/m.ckpt", log: dir + "/m.csv", curve: dir + "/m.png")
        let run = ScriptedRun(watches: true)
        XCTAssertThrowsError(
            try TrainingDriver.run(
                run, paths: paths, resume: false, checkpointMinutes: 0, shouldStop: { false }, progress: { _, _, _ in })
        ) { XCTAssertTrue("\($0)".contains("diverged"), "\($0)") }
        // The logged loss 0.01 x 1.02^(s - 200) is 1.64x its best at the row of step 225 (no more
        // checkpoints), 2.7x at 250 and 4.4x at 275 (stop).
        XCTAssertEqual(run.step, 275)
        let kept = try XCTUnwrap(Int(try String(contentsOfFile: paths.checkpoint, encoding: .utf8)))
        XCTAssertEqual(kept, 224)
        XCTAssertEqual(run.savedSteps.last, 224)
        // The log keeps the rows up to the collapse, for the curve.
        XCTAssertTrue(try String(contentsOfFile: paths.log, encoding: .utf8).contains("\n275,"))
        // A run whose loss changes terms (an encoder's) is not judged by it.
        try FileManager.default.removeItem(atPath: paths.checkpoint)
        let unwatched = ScriptedRun(watches: false)
        let outcome = try TrainingDriver.run(
            unwatched, paths: paths, resume: false, checkpointMinutes: 0, shouldStop: { false },
            progress: { _, _, _ in })
        XCTAssertTrue(outcome.finished)
    }

    /// A resumed run's first rows average a few batches; the guard does not judge them, so a run
    /// resumed two steps before its end finishes instead of calling one noisy batch a collapse.
    func testResumedRunIsNotJudgedOnItsFirstBatches() throws {
        let dir = NSTemporaryDirectory() + "divergence-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let paths = TrainingDriver.Paths(checkpoint: dir + "/m.ckpt", log: dir + "/m.csv", curve: dir + "/m.png")
        var stopAt = 150
        let first = ScriptedRun(watches: true)
        let stopped = try TrainingDriver.run(
            first, paths: paths, resume: false, checkpointMinutes: 0, shouldStop: { first.step >= stopAt },
            progress: { _, _, _ in })
        XCTAssertFalse(stopped.finished)
        stopAt = 175
        for saysUnsettled in [false, true] {
            try "150".write(toFile: paths.checkpoint, atomically: true, encoding: .utf8)
            let run = ScriptedRun(watches: true)
            run.saysUnsettled = saysUnsettled
            if !saysUnsettled {
                // Judged on its first row (4x the best): called a collapse.
                XCTAssertThrowsError(
                    try TrainingDriver.run(
                        run, paths: paths, resume: true, checkpointMinutes: 0, shouldStop: { run.step >= stopAt },
                        progress: { _, _, _ in }))
            } else {
                let outcome = try TrainingDriver.run(
                    run, paths: paths, resume: true, checkpointMinutes: 0, shouldStop: { run.step >= stopAt },
                    progress: { _, _, _ in })
                XCTAssertEqual(run.step, 175)
                XCTAssertFalse(outcome.checkpointKept)
            }
        }
    }
}
