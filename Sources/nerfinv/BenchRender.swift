import ArgumentParser
import Foundation
import Geometry
import ImageIO
import Model
import NeuralCore

/// `nerfinv bench render`: seconds per frame of a trained model, with and without empty-space skipping.
struct BenchRender: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract:
            "Seconds per rendered frame (default 128x128) of a trained model's codes, with and without empty-space skipping.",
        discussion: "Example: nerfinv bench render --model models/cars.nvm --size 128"
    )

    @OptionGroup var options: BenchOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Frame size in pixels.")
    var size: Int = 128

    @Option(help: "How many training codes to render (the first N of the model's table).")
    var codes: Int = 4

    func validate() throws {
        guard size >= 8, size <= 2048, codes >= 1, codes <= 1000 else {
            throw ValidationError("--size 8...2048, --codes 1...1000")
        }
    }

    func run() throws {
        options.apply()
        let out = BenchReport(json: options.json)
        defer { out.finish() }
        let (model, _) = try modelOptions.load()
        let D = model.config.decoder.codeDim, O = model.codes.shape[0]
        var frameTimes: [Double] = [], plainTimes: [Double] = [], setup: [Double] = [], samples: [Double] = [],
            occupancy: [Double] = []
        for c in 0..<min(codes, O) {
            let code = Array(UnsafeBufferPointer(start: model.codes.data + c * D, count: D))
            let t0 = Timing.now()
            let r = FieldRenderer(field: model.field, code: code)
            setup.append(Timing.now() - t0)
            occupancy.append(r.grid.occupiedFraction)
            let plain = FieldRenderer(field: model.field, code: code, skipEmptySpace: false)
            for (k, az) in [35.0, 125.0, 215.0].enumerated() {
                let cam = Rig.camera(azimuth: az + Double(c), elevation: 20, width: size, height: size)
                var n = 0
                frameTimes.append(
                    Timing.median(repeats: options.repeats, minSeconds: options.minSeconds) {
                        n = r.render(camera: cam).evaluatedSamples
                    })
                samples.append(Double(n))
                if k == 0 {
                    plainTimes.append(Timing.median(repeats: 3, minSeconds: 0.01) { _ = plain.render(camera: cam) })
                }
            }
        }
        func median(_ x: [Double]) -> Double {
            let s = x.sorted()
            return s[s.count / 2]
        }
        let S = model.config.decoder.samplesPerRay
        out.say(
            String(
                format: "frame %dx%d: median %.4f s (%.1f fps) with skipping + early stop; %.4f s without (%.1fx)",
                size, size,
                median(frameTimes), 1 / median(frameTimes), median(plainTimes), median(plainTimes) / median(frameTimes))
        )
        let raw = RawSgemm.gflops(options)
        let gflops = model.field.queryFlopsPerPoint * median(samples) / median(frameTimes) / 1e9
        out.set("frame_seconds", median(frameTimes))
        out.set("frame_seconds_without_skipping", median(plainTimes))
        out.set("size", size)
        out.set("evaluated_fraction", median(samples) / Double(size * size * S))
        out.set("decoder_mlp_gflops", gflops)
        out.set("raw_sgemm_gflops", raw)
        out.set("share_of_raw_sgemm", gflops / raw)
        out.set("setup_seconds", median(setup))
        out.say(
            String(
                format: "  decoder MLP %.1f GFLOPS over the whole frame = %.0f%% of raw sgemm (%.1f GFLOPS at %@)",
                gflops, 100 * gflops / raw,
                raw, RawSgemm.label))
        out.say(
            String(
                format:
                    "  evaluated %.0f of %d samples per frame (%.1f%%); occupancy %.1f%% of cells; per-code setup (triplane + grid) %.4f s",
                median(samples), size * size * S, 100 * median(samples) / Double(size * size * S),
                100 * median(occupancy), median(setup)))
    }
}
