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

    func run() throws {
        options.apply()
        let out = BenchReport(json: options.json)
        defer { out.finish() }
        let data = try BenchmarkData.cars(objects: objects, scene: SceneLocator.cars())
        let (trained, _) = try NeRFModel.load(model)
        let (train, fit) = StepBenchmark.run(
            model: trained, data: data, objects: objects, rays: rays, steps: steps, profile: profile)
        let S = trained.config.decoder.samplesPerRay, raw = RawSgemm.gflops(options)
        let (median, times, N, all, gflops) = (
            train.median, train.seconds, train.evaluated, train.samples, train.gflops
        )
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
        for (k, v) in [
            ("train_step_seconds", median), ("train_step_min_seconds", times.first!),
            ("train_step_max_seconds", times.last!),
            ("evaluated_fraction", N / all), ("rays_per_second", Double(objects * rays) / median),
            ("dense_gflops", gflops),
            ("raw_sgemm_gflops", raw), ("share_of_raw_sgemm", gflops / raw), ("inversion_step_seconds", fit.median),
            ("inversion_dense_gflops", fit.gflops), ("inversion_share_of_raw_sgemm", fit.gflops / raw),
        ] { out.set(k, v) }
        out.say(
            String(
                format:
                    "  %.0f rays/s; decoder dense layers %.1f GFLOPS over the whole step = %.0f%% of raw sgemm (%.1f GFLOPS at %@)",
                Double(objects * rays) / median, gflops, 100 * gflops / raw, raw, RawSgemm.label))
        out.say(
            String(
                format:
                    "inversion step (1024 rays, code only): median %.4f s (min %.4f, max %.4f); %.0f%% of samples evaluated",
                fit.median, fit.seconds.first!, fit.seconds.last!, 100 * fit.evaluated / fit.samples))
        out.say(
            String(
                format: "  decoder dense layers %.1f GFLOPS over the whole step = %.0f%% of raw sgemm", fit.gflops,
                100 * fit.gflops / raw))
        guard profile else { return }
        for (title, timing) in [("training step:", train), ("inversion step:", fit)] {
            out.say(title)
            for (name, s) in timing.phases {
                out.say(String(format: "  %-24@ %8.2f ms/step", name as NSString, s / Double(steps) * 1e3))
            }
        }
    }
}
