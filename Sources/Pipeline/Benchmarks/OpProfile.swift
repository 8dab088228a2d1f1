import Foundation
import NeuralCore

/// The per-op profile of a timed loop (`nerfinv bench ... --profile`): each op's milliseconds per
/// step, the GFLOPS of the matrix products it ran, and raw sgemm's time at exactly those shapes
/// measured in the same run, so a line says how far the op is from the machine's dense rate.
struct OpProfile {
    struct Row: Codable {
        /// The op's own name, its parents' before it.
        var path: [String]
        var msPerStep: Double
        var callsPerStep: Double
        /// Matrix-product work per step, and its rate over the op's whole time (nil: none).
        var gflop: Double?
        var gflops: Double?
        /// Raw sgemm at the op's shapes: milliseconds per step, and that time over the op's (1 = as fast).
        var sgemmMsPerStep: Double?
        var shareOfSgemm: Double?
    }
    var title: String
    var rows: [Row]

    /// Raw sgemm seconds per shape, measured once per shape with the profiler off.
    final class SgemmTimes {
        var seconds: [Profiler.GEMM: Double] = [:]
        func time(_ g: Profiler.GEMM) -> Double {
            if let s = seconds[g] { return s }
            let A = Tensor([g.M * g.K]), B = Tensor([g.K * g.N]), C = Tensor([g.M * g.N])
            var rng = SplitMix64(seed: 9)
            A.fillUniform(-1, 1, rng: &rng)
            B.fillUniform(-1, 1, rng: &rng)
            let s = Timing.median(repeats: 3, minSeconds: 0.01) {
                BLAS.sgemm(
                    transA: g.transA, transB: g.transB, M: g.M, N: g.N, K: g.K, A: A.data, lda: g.transA ? g.M : g.K,
                    B: B.data, ldb: g.transB ? g.K : g.N, beta: 0, C: C.data, ldc: g.N)
            }
            seconds[g] = s
            return s
        }
    }

    /// Runs `step` `steps` times with the profiler on, then prices every op's products at raw sgemm.
    static func measure(_ title: String, steps: Int, sgemm: SgemmTimes, _ step: () -> Void) -> OpProfile {
        Profiler.reset()
        Profiler.enabled = true
        for _ in 0..<steps { step() }
        Profiler.enabled = false
        return OpProfile(title: title, entries: Profiler.profile, steps: steps, sgemm: sgemm)
    }

    init(title: String, entries: [Profiler.Entry], steps: Int, sgemm: SgemmTimes) {
        self.title = title
        let n = Double(steps)
        rows = entries.map { e in
            var row = Row(path: e.path, msPerStep: e.seconds / n * 1e3, callsPerStep: Double(e.calls) / n)
            if !e.gemms.isEmpty {
                let raw = e.gemms.reduce(0.0) { $0 + sgemm.time($1.key) * Double($1.value) }
                row.gflop = e.flops / n / 1e9
                row.gflops = e.flops / e.seconds / 1e9
                row.sgemmMsPerStep = raw / n * 1e3
                row.shareOfSgemm = raw / e.seconds
            }
            return row
        }
    }

    /// A table: ops indented under their parents.
    var lines: [String] {
        func pad(_ s: String, _ n: Int) -> String {
            s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
        }
        func lpad(_ s: String, _ n: Int) -> String {
            s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s
        }
        var out = [
            title,
            pad("  op", 56) + lpad("ms/step", 9) + lpad("GFLOP", 8) + lpad("GFLOPS", 8) + lpad("sgemm ms", 10)
                + lpad("of sgemm", 10),
        ]
        for r in rows {
            let name = String(repeating: "  ", count: r.path.count) + r.path.last!
            out.append(
                pad(name, 56) + lpad(String(format: "%.2f", r.msPerStep), 9)
                    + lpad(r.gflop.map { String(format: "%.3f", $0) } ?? "", 8)
                    + lpad(r.gflops.map { String(format: "%.1f", $0) } ?? "", 8)
                    + lpad(r.sgemmMsPerStep.map { String(format: "%.2f", $0) } ?? "", 10)
                    + lpad(r.shareOfSgemm.map { String(format: "%.0f%%", 100 * $0) } ?? "", 10))
        }
        return out
    }

    /// The rows as JSON-ready dictionaries.
    var fields: [[String: Any]] {
        rows.map { r in
            var d: [String: Any] = ["op": r.path.joined(separator: " / "), "ms_per_step": r.msPerStep]
            d["calls_per_step"] = r.callsPerStep
            if let v = r.gflop { d["gflop_per_step"] = v }
            if let v = r.gflops { d["gflops"] = v }
            if let v = r.sgemmMsPerStep { d["raw_sgemm_ms_per_step"] = v }
            if let v = r.shareOfSgemm { d["share_of_raw_sgemm"] = v }
            return d
        }
    }
}
