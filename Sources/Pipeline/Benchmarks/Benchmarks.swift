import Datasets
import FileIO
import Foundation
import Geometry
import Imaging
import Model
import NeuralCore
import Scenes

/// How long each benchmark measures: timed runs per figure (the median is reported) and the
/// shortest a timed run may be (short ops are repeated until they last this long).
public struct BenchSettings: Sendable {
    var repeats = 5
    var minSeconds = 0.2
    public init(repeats: Int = 5, minSeconds: Double = 0.2) {
        self.repeats = repeats
        self.minSeconds = minSeconds
    }
}

/// What a benchmark reports: sentences for people, and the same figures as JSON fields (numbers
/// in seconds, GFLOPS and fractions).
public final class BenchReport {
    public private(set) var lines: [String] = []
    public private(set) var fields: [String: Any] = [:]
    /// A report starts with the machine it measures (its first line, and the JSON field `cpu`).
    public init() {
        let cpu = CPUDescription.current
        say("CPU: " + cpu.summary)
        say("oneDNN: " + cpu.onednn)
        set(
            "cpu",
            [
                "model": cpu.model, "cores": cpu.cores, "avx2": cpu.avx2, "avx512": cpu.avx512,
                "avx512_bf16": cpu.avx512bf16, "openblas_kernel": cpu.blasKernel, "threads": cpu.threads,
                "openblas_threads": cpu.blasThreads, "onednn": cpu.onednn,
            ] as [String: Any])
    }
    func say(_ line: String) { lines.append(line) }
    func set(_ key: String, _ value: Any) { fields[key] = value }

    /// Per-op profiles as tables and as JSON fields `profile_<key>`.
    func add(profiles: [(key: String, profile: OpProfile?)]) {
        for (key, p) in profiles {
            guard let p else { continue }
            lines += p.lines
            fields["profile_" + key] = p.fields
        }
    }
}

/// Raw sgemm throughput at the decoder MLP's widest shape, measured in the same run as the figure it
/// is compared with (the machine's state, other load and OpenBLAS kernel included).
enum RawSgemm {
    /// (N, I) x (O, I)^T -> (N, O) at 65536 x 64 -> 64, the shape of the MLP's hidden layer over a batch of samples.
    static let shape = (N: 65536, I: 64, O: 64)
    static var label: String { "\(shape.N)x\(shape.I)x\(shape.O)" }

    static func gflops(_ settings: BenchSettings) -> Double {
        let (N, I, O) = shape
        let A = Tensor([N, I]), W = Tensor([O, I]), C = Tensor([N, O])
        var rng = SplitMix64(seed: 5)
        A.fillUniform(-1, 1, rng: &rng)
        W.fillUniform(-1, 1, rng: &rng)
        let seconds = Timing.median(repeats: settings.repeats, minSeconds: settings.minSeconds) {
            BLAS.sgemm(
                transA: false, transB: true, M: N, N: O, K: I, A: A.data, lda: I, B: W.data, ldb: I, beta: 0, C: C.data,
                ldc: O)
        }
        return 2 * Double(N * I * O) / seconds / 1e9
    }
}

/// The figures of `nerfinv bench`: each measured in one run against raw sgemm in the same run.
public enum Benchmarks {
    /// Seconds per rendered frame of a model's first `codes` codes, with and without empty-space skipping.
    public static func render(model: NeRFModel, size: Int, codes: Int, profile: Bool = false, settings: BenchSettings)
        -> BenchReport
    {
        let out = BenchReport()
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
                    Timing.median(repeats: settings.repeats, minSeconds: settings.minSeconds) {
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
        let raw = RawSgemm.gflops(settings)
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
        if profile {
            let code = Array(UnsafeBufferPointer(start: model.codes.data, count: D)), sgemm = OpProfile.SgemmTimes()
            var r: FieldRenderer?
            let setupOps = OpProfile.measure("per-code setup (generator + occupancy grid):", steps: 5, sgemm: sgemm) {
                r = FieldRenderer(field: model.field, code: code)
            }
            let cam = Rig.camera(azimuth: 35, elevation: 20, width: size, height: size)
            let frameOps = OpProfile.measure("frame \(size)x\(size):", steps: 10, sgemm: sgemm) {
                _ = r!.render(camera: cam)
            }
            out.add(profiles: [("setup", setupOps), ("frame", frameOps)])
        }
        return out
    }

    /// The encoder alone, one refinement step and whole default inversions of `photos` held-out
    /// cars of `scene` rendered in memory.
    public static func invert(
        model: NeRFModel, photos: Int, scene: String, profile: Bool = false, settings: BenchSettings
    ) throws -> BenchReport {
        let out = BenchReport()
        let encoder = try model.requireEncoder()
        let spec = try SceneSpec.load(scene)
        let S = model.config.resolution
        var encoderTimes: [Double] = [], totals: [Double] = [], stepTimes: [Double] = [], layeredTotals: [Double] = []
        // With an iterative encoder: `invert --fast` and the default, PNG to latent file.
        var fastTimes: [Double] = [], defaultTimes: [Double] = []
        let iterative = model.iterativeEncoder != nil
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nerfinv-bench-\(UUID().uuidString)")
            .path
        if iterative { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let session = InversionSession(model: model)
        // The code only and the layered inversion (the optimisation without iterations), in the
        // same run: at the field's default layer steps, or 150 when those are the code only.
        let optimisation = model.config.decoder.config.refineDefaults
        var codeOnly = optimisation, layered = optimisation
        codeOnly.layers.steps = 0
        if layered.layers.steps == 0 { layered.layers.steps = 150 }
        let hasLayers = model.field is any LayeredGenerator
        var profiles: [(String, OpProfile?)] = []
        let sgemm = OpProfile.SgemmTimes()
        for p in 0..<photos {
            let renderer = GroundTruthRenderer(
                object: spec.makeObject(seed: 4242, index: p).object,
                shading: ShadingSettings(rig: spec.rig, supersample: 2))
            let img = renderer.render(
                camera: Rig.camera(azimuth: 35 + 40 * Double(p), elevation: 20, width: S, height: S)
            ).image
            let photo = img.rgb
            encoderTimes.append(
                Timing.median(repeats: settings.repeats, minSeconds: settings.minSeconds) {
                    _ = Inversion.encode(encoder, photo: photo, width: S, height: S)
                })
            if iterative {
                let png = "\(folder)/car\(p).png"
                try PNG.write(img, to: png)
                for fast in [true, false] {
                    var request = InversionRequest()
                    request.fast = fast
                    let t = Timing.now()
                    _ = try session.invert(photo: png, latentPath: "\(folder)/car\(p).latent", request: request)
                    (fast ? { fastTimes.append(Timing.now() - t) } : { defaultTimes.append(Timing.now() - t) })()
                }
            }
            let t0 = Timing.now()
            _ = try Inversion.run(model: model, photo: photo, width: S, height: S, mode: .refine, settings: codeOnly)
            totals.append(Timing.now() - t0)
            if hasLayers {
                let t1 = Timing.now()
                _ = try Inversion.run(model: model, photo: photo, width: S, height: S, mode: .refine, settings: layered)
                layeredTotals.append(Timing.now() - t1)
            }
            let start = Inversion.encode(encoder, photo: photo, width: S, height: S)
            let inverter = Inverter(
                field: model.field, photo: photo, width: S, height: S, startCode: start.code, startView: start.view,
                codeVariance: model.codeVariance)
            for _ in 0..<3 { inverter.step() }
            stepTimes.append(
                Timing.median(repeats: settings.repeats, minSeconds: settings.minSeconds) { inverter.step() })
            if profile && p == 0 {
                profiles = [
                    (
                        "refine_step",
                        OpProfile.measure("refinement step (first photo):", steps: 20, sgemm: sgemm) { inverter.step() }
                    ),
                    (
                        "layered_inversion",
                        hasLayers
                            ? OpProfile.measure(
                                "whole layered inversion (first photo, every layer step: no early stop):", steps: 1,
                                sgemm: sgemm
                            ) {
                                var all = layered
                                all.layers.patience = all.layers.steps
                                all.layers.minimumGain = 0
                                _ = try? Inversion.run(
                                    model: model, photo: photo, width: S, height: S, mode: .refine, settings: all)
                            } : nil
                    ),
                    (
                        "encoder",
                        OpProfile.measure("encoder, photo + mirror:", steps: 50, sgemm: sgemm) {
                            _ = Inversion.encode(encoder, photo: photo, width: S, height: S)
                        }
                    ),
                    (
                        "fast_inversion",
                        iterative
                            ? OpProfile.measure("invert --fast (in memory):", steps: 5, sgemm: sgemm) {
                                _ = try? Inversion.run(
                                    model: model, photo: photo, width: S, height: S, mode: .fast,
                                    settings: model.refineDefaults)
                            } : nil
                    ),
                ]
            }
        }
        func median(_ x: [Double]) -> Double {
            let s = x.sorted()
            return s[s.count / 2]
        }
        let refine = optimisation
        out.say(String(format: "encoder alone (one %dx%d photo): median %.4f s", S, S, median(encoderTimes)))
        out.say(
            String(
                format: "refinement step (%d rays, code + pose + photometric): median %.4f s", refine.raysPerStep,
                median(stepTimes)))
        let raw = RawSgemm.gflops(settings)
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
                    "whole inversion, code only (encoder + %d steps): median %.2f s over %d photos (min %.2f, max %.2f)",
                refine.steps, median(totals), photos, totals.min()!, totals.max()!))
        if !layeredTotals.isEmpty {
            out.set("whole_layered_inversion_seconds", median(layeredTotals))
            out.say(
                String(
                    format:
                        "whole layered inversion (+ up to %d layer steps on %@): median %.2f s (%+.2f s over the code only)%@",
                    layered.layers.steps,
                    (layered.layers.names ?? (model.field as! any LayeredGenerator).defaultLatentLayers).joined(
                        separator: " + "), median(layeredTotals), median(layeredTotals) - median(totals),
                    !iterative && model.refineDefaults.layers.steps > 0 ? "; the default" : ""))
        }
        if iterative {
            let d = model.refineDefaults
            out.set("fast_inversion_seconds", median(fastTimes))
            out.set("default_inversion_seconds", median(defaultTimes))
            out.say(
                String(
                    format:
                        "invert --fast (encoder + %d iterations), PNG to latent file: median %.2f s (min %.2f, max %.2f)",
                    max(1, d.encoderIterations), median(fastTimes), fastTimes.min()!, fastTimes.max()!))
            out.say(
                String(
                    format:
                        "invert, the default (encoder + %d iterations + %d steps + up to %d layer steps), PNG to latent file: median %.2f s (min %.2f, max %.2f)",
                    d.encoderIterations, d.steps, d.layers.steps, median(defaultTimes), defaultTimes.min()!,
                    defaultTimes.max()!))
        }
        out.add(profiles: profiles)
        return out
    }

    /// Seconds per training step (and per code-fitting step) from a trained model's weights and codes.
    /// Data-parallel training over this run's ranks, and a model of N machines (`nerfinv bench data-parallel`).
    public static func dataParallel(model: String, objects: Int, rays: Int, steps: Int, scene: String) throws
        -> BenchReport
    {
        try DataParallelBenchmark.run(model: model, objects: objects, rays: rays, steps: steps, scene: scene)
    }

    public static func train(
        model: String, objects: Int, rays: Int, steps: Int, profile: Bool, scene: String, settings: BenchSettings
    ) throws -> BenchReport {
        let out = BenchReport()
        let data = try BenchmarkData.cars(objects: objects, scene: scene)
        let (trained, _) = try NeRFModel.load(model)
        let (train, fit) = StepBenchmark.run(
            model: trained, data: data, objects: objects, rays: rays, steps: steps, profile: profile)
        let S = trained.config.decoder.samplesPerRay, raw = RawSgemm.gflops(settings)
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
        out.add(profiles: [("train_step", train.profile), ("inversion_step", fit.profile)])
        return out
    }

    /// Raw sgemm, Linear+ReLU and Conv2d (forward+backward) at the decoder's and encoder's shapes:
    /// the lines of a table, and the same figures as pretty JSON.
    public static func core(settings: BenchSettings) throws -> (lines: [String], json: String) {
        let verify = BLASKernel.verificationError()
        let rows = KernelBenchmark.run(repeats: settings.repeats, minSeconds: settings.minSeconds)
        let cpu = CPUDescription.current  // after the runs, so oneDNN names the kernels it chose
        struct Report: Codable {
            var cpu: CPUDescription
            var blasCore: String
            var verificationError: Double
            var threads: Int
            var rows: [KernelBenchmark.Row]
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = String(
            decoding: try enc.encode(
                Report(
                    cpu: cpu, blasCore: BLASKernel.report, verificationError: verify,
                    threads: Parallel.threads, rows: rows)),
            as: UTF8.self)
        func pad(_ s: String, _ n: Int) -> String {
            s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
        }
        func lpad(_ s: String, _ n: Int) -> String {
            s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s
        }
        var lines = [
            "CPU: " + cpu.summary, "oneDNN: " + cpu.onednn,
            "OpenBLAS kernel: \(BLASKernel.report)",
            "kernel check vs Double reference: max relative error \(String(format: "%.1e", verify))",
            "threads: \(Parallel.threads) (OpenBLAS \(BLAS.threads)); median of \(settings.repeats) runs", "",
            pad("op", 26) + pad("shape (N x I x O)", 28) + lpad("ms", 10) + lpad("GFLOPS", 9) + lpad("of sgemm", 10),
        ]
        for r in rows {
            lines.append(
                pad(r.name, 26) + pad(r.shape, 28) + lpad(String(format: "%.3f", r.seconds * 1e3), 10)
                    + lpad(String(format: "%.1f", r.gflops), 9)
                    + lpad(r.shareOfSgemm.map { String(format: "%.0f%%", $0 * 100) } ?? "", 10))
        }
        return (lines, json)
    }
}
