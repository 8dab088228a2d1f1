import ArgumentParser
import Foundation
import Geometry
import ImageIO
import Model
import NeuralCore
import Scenes

/// `nerfinv bench invert`: encoder latency, refinement step time and whole inversions of
/// held-out cars rendered in memory.
struct BenchInvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invert",
        abstract:
            "Seconds for the encoder alone, one refinement step, and a whole default inversion (held-out cars rendered in memory).",
        discussion: "Example: nerfinv bench invert --model models/cars.nvm --photos 5"
    )

    @OptionGroup var options: BenchOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Held-out cars to invert (rendered from scenes/cars.json at seed 4242).")
    var photos: Int = 5

    func validate() throws {
        guard photos >= 1, photos <= 100 else { throw ValidationError("--photos must be in 1...100") }
    }

    func run() throws {
        options.apply()
        let out = BenchReport(json: options.json)
        defer { out.finish() }
        let (model, _) = try modelOptions.load()
        guard let encoder = model.encoder else {
            throw ValidationError("\(modelOptions.model) has no encoder: run `nerfinv train-encoder` first")
        }
        let spec = try SceneSpec.load(SceneLocator.cars())
        let S = model.config.resolution
        var encoderTimes: [Double] = [], totals: [Double] = [], stepTimes: [Double] = []
        for p in 0..<photos {
            let renderer = GroundTruthRenderer(
                object: spec.makeObject(seed: 4242, index: p).object,
                shading: ShadingSettings(rig: spec.rig, supersample: 2))
            let img = renderer.render(
                camera: Rig.camera(azimuth: 35 + 40 * Double(p), elevation: 20, width: S, height: S)
            ).image
            let photo = img.rgb
            encoderTimes.append(
                Timing.median(repeats: options.repeats, minSeconds: options.minSeconds) {
                    _ = Inversion.encode(encoder, photo: photo, width: S, height: S)
                })
            let t0 = Timing.now()
            _ = try Inversion.run(model: model, photo: photo, width: S, height: S, mode: .refine)
            totals.append(Timing.now() - t0)
            let start = Inversion.encode(encoder, photo: photo, width: S, height: S)
            let inverter = Inverter(
                field: model.field, photo: photo, width: S, height: S, startCode: start.code, startView: start.view,
                codeVariance: model.codeVariance)
            for _ in 0..<3 { inverter.step() }
            stepTimes.append(
                Timing.median(repeats: options.repeats, minSeconds: options.minSeconds) { inverter.step() })
        }
        func median(_ x: [Double]) -> Double {
            let s = x.sorted()
            return s[s.count / 2]
        }
        let settings = model.refineDefaults
        out.say(String(format: "encoder alone (one %dx%d photo): median %.4f s", S, S, median(encoderTimes)))
        out.say(
            String(
                format: "refinement step (%d rays, code + pose + photometric): median %.4f s", settings.raysPerStep,
                median(stepTimes)))
        let raw = RawSgemm.gflops(options)
        let conv = encoder.forwardFlops(batch: 2) / median(encoderTimes) / 1e9
        out.set("encoder_seconds", median(encoderTimes))
        out.set("refine_step_seconds", median(stepTimes))
        out.set("encoder_gflops", conv)
        out.set("raw_sgemm_gflops", raw)
        out.set("share_of_raw_sgemm", conv / raw)
        out.set("whole_inversion_seconds", median(totals))
        out.set("whole_inversion_min_seconds", totals.min()!)
        out.set("whole_inversion_max_seconds", totals.max()!)
        out.say(
            String(
                format:
                    "  encoder dense work (photo and its mirror) %.1f GFLOPS = %.0f%% of raw sgemm (%.1f GFLOPS at %@)",
                conv, 100 * conv / raw,
                raw, RawSgemm.label))
        out.say(
            String(
                format:
                    "whole inversion at defaults (encoder + %d steps): median %.2f s over %d photos (min %.2f, max %.2f)",
                settings.steps, median(totals), photos, totals.min()!, totals.max()!))
    }
}
