import ArgumentParser
import Foundation
import Geometry
import Model
import NeuralCore
import Pipeline
import Scenes

/// `nerfinv bench train`: seconds per training step on in-memory generated cars.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract:
            "Seconds per training step (default 4 objects x 1024 rays) and the decoder's GFLOPS as a share of raw sgemm.",
        discussion: "Example: nerfinv bench train --steps 20 --profile"
    )

    @OptionGroup var options: BenchOptions

    @Option(help: "Objects per batch.")
    var objects: Int = 4

    @Option(help: "Rays per object.")
    var rays: Int = 1024

    @Option(help: "Timed steps (after 3 warm-up steps).")
    var steps: Int = 20

    @Flag(help: "Also print where the time goes.")
    var profile = false

    @Option(
        help:
            "Trained model whose weights and codes the benchmark starts from: empty-space skipping needs a real density field (a fresh decoder's is noise)."
    )
    var model: String = "models/cars.nvm"

    func validate() throws {
        guard objects >= 1, objects <= 64, rays >= 1, rays <= 65536, steps >= 1, steps <= 10000 else {
            throw ValidationError("--objects 1...64, --rays 1...65536, --steps 1...10000")
        }
    }

    /// Sorted seconds of `steps` calls of `step`, and the total of the sample counts it returns.
    func timed(_ step: () -> Int) -> (seconds: [Double], evaluated: Int) {
        var times: [Double] = [], evaluated = 0
        for _ in 0..<steps {
            let t0 = Timing.now()
            let n = step()
            times.append(Timing.now() - t0)
            evaluated += n
        }
        return (times.sorted(), evaluated)
    }

    func run() throws {
        options.apply()
        let out = BenchReport(json: options.json)
        defer { out.finish() }
        let data = try BenchmarkData.cars(objects: objects, scene: SceneLocator.cars())
        var config = TrainConfig()
        config.objectsPerBatch = objects
        config.raysPerObject = rays
        let (trained, _) = try NeRFModel.load(model)
        let trainer = Trainer(data: data, config: config, field: trained.config.decoder)
        // Past the warm-up, as in the bulk of a real run.
        trainer.warmStart(from: trained, step: config.skipping.warmupSteps)
        for _ in 0..<3 { trainer.trainStep() }
        Profiler.enabled = profile
        Profiler.reset()
        let (times, evaluated) = timed {
            trainer.trainStep()
            return trainer.evaluatedSamples
        }
        let median = times[times.count / 2]
        let field = trainer.field, S = field.spec.samplesPerRay
        let all = Double(objects * rays * S), N = Double(evaluated) / Double(steps)
        // Dense-layer work actually done: forward, recomputed forward and two backward products of
        // the MLP on the evaluated samples, and the generator's forward and two backward products.
        let mlpFlops = field.queryFlopsPerPoint * N * 4
        let genFlops = field.setupFlopsPerObject * Double(objects) * 3
        let gflops = (mlpFlops + genFlops) / median / 1e9
        out.say(
            String(
                format:
                    "train step (%d objects x %d rays, %d samples/ray): median %.4f s over %d steps (min %.4f, max %.4f)",
                objects, rays, S, median, steps, times.first!, times.last!))
        out.say(
            String(
                format:
                    "  decoder evaluated %.0f of %.0f samples per step (%.0f%%; the rest is empty space per the occupancy grids)",
                N, all, 100 * N / all))
        let raw = RawSgemm.gflops(options)
        out.set("train_step_seconds", median)
        out.set("train_step_min_seconds", times.first!)
        out.set("train_step_max_seconds", times.last!)
        out.set("evaluated_fraction", N / all)
        out.set("rays_per_second", Double(objects * rays) / median)
        out.set("dense_gflops", gflops)
        out.set("raw_sgemm_gflops", raw)
        out.set("share_of_raw_sgemm", gflops / raw)
        out.say(
            String(
                format:
                    "  %.0f rays/s; decoder dense layers %.1f GFLOPS over the whole step = %.0f%% of raw sgemm (%.1f GFLOPS at %@)",
                Double(objects * rays) / median, gflops, 100 * gflops / raw, raw, RawSgemm.label))
        let trainReport = Profiler.report
        // Inversion: Adam on the code alone, 1024 rays per step, decoder frozen.
        Profiler.reset()
        let fitter = CodeFitter(field: trainer.field, start: trained.meanCode, data: data, object: 0)
        fitter.raysPerStep = 1024
        for _ in 0..<3 { fitter.step() }
        let (inv, invEvaluated) = timed {
            fitter.step()
            return fitter.evaluatedSamples
        }
        // Code only: the MLP runs forward, recomputes forward and back-propagates to its input (no
        // weight gradients); the generator runs forward and back to the code.
        let invMedian = inv[inv.count / 2], invN = Double(invEvaluated) / Double(steps)
        let invGflops = (field.queryFlopsPerPoint * invN * 3 + field.setupFlopsPerObject * 2) / invMedian / 1e9
        out.set("inversion_step_seconds", invMedian)
        out.set("inversion_dense_gflops", invGflops)
        out.set("inversion_share_of_raw_sgemm", invGflops / raw)
        out.say(
            String(
                format:
                    "inversion step (1024 rays, code only): median %.4f s (min %.4f, max %.4f); %.0f%% of samples evaluated",
                invMedian, inv.first!, inv.last!, 100 * invN / Double(1024 * S)))
        out.say(
            String(
                format: "  decoder dense layers %.1f GFLOPS over the whole step = %.0f%% of raw sgemm", invGflops,
                100 * invGflops / raw))
        if profile {
            out.say("training step:")
            for (name, s) in trainReport {
                out.say(String(format: "  %-24@ %8.2f ms/step", name as NSString, s / Double(steps) * 1e3))
            }
            out.say("inversion step:")
            for (name, s) in Profiler.report {
                out.say(String(format: "  %-24@ %8.2f ms/step", name as NSString, s / Double(steps) * 1e3))
            }
        }
    }
}
