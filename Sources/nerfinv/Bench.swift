import ArgumentParser
import Foundation
import Model
import NeuralCore

/// `nerfinv bench ...`: the speed figures, measured rather than asserted in tests.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure nerfinv's speed on this machine.",
        discussion: """
            Each benchmark reports medians of repeated runs and sets them against raw sgemm measured \
            in the same run. `make benchmarks` runs all four five times (BENCHMARKS.md).

            Examples:
              nerfinv bench core --repeats 7
              nerfinv bench render --size 128
              nerfinv bench train --profile
              nerfinv bench invert --photos 5 --json
            """,
        subcommands: [BenchCore.self, BenchTrain.self, BenchRender.self, BenchInvert.self]
    )
}

/// Options shared by every benchmark.
struct BenchOptions: ParsableArguments {
    @Option(help: "Timed runs per figure; the median is reported.")
    var repeats: Int = 5

    @Option(help: "Minimum seconds per timed run (short ops are repeated until they last this long).")
    var minSeconds: Double = 0.2

    @Option(help: "Threads for nerfinv's own loops and OpenBLAS (default: all cores).")
    var threads: Int?

    @Flag(help: "Print the figures as JSON instead of a table.")
    var json = false

    func validate() throws {
        guard repeats >= 1, repeats <= 1000 else { throw ValidationError("--repeats must be in 1...1000") }
        guard minSeconds.isFinite, minSeconds > 0, minSeconds <= 60 else {
            throw ValidationError("--min-seconds must be in (0, 60]")
        }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
    }

    func apply() {
        if let threads {
            Parallel.threads = threads
            BLAS.threads = threads
        }
    }
}

/// Raw sgemm throughput at the decoder MLP's widest shape, measured in the same run as the figure it
/// is compared with (the machine's state, other load and OpenBLAS kernel included).
enum RawSgemm {
    /// (N, I) x (O, I)^T -> (N, O) at 65536 x 64 -> 64, the shape of the MLP's hidden layer over a batch of samples.
    static let shape = (N: 65536, I: 64, O: 64)
    static var label: String { "\(shape.N)x\(shape.I)x\(shape.O)" }

    static func gflops(_ options: BenchOptions) -> Double {
        let (N, I, O) = shape
        let A = Tensor([N, I]), W = Tensor([O, I]), C = Tensor([N, O])
        var rng = SplitMix64(seed: 5)
        A.fillUniform(-1, 1, rng: &rng)
        W.fillUniform(-1, 1, rng: &rng)
        let seconds = Timing.median(repeats: options.repeats, minSeconds: options.minSeconds) {
            BLAS.sgemm(
                transA: false, transB: true, M: N, N: O, K: I, A: A.data, lda: I, B: W.data, ldb: I, beta: 0, C: C.data,
                ldc: O)
        }
        return 2 * Double(N * I * O) / seconds / 1e9
    }

}

/// What a benchmark prints: sentences for people, or with --json the same figures as one JSON
/// object (numbers in seconds, GFLOPS and fractions).
final class BenchReport {
    private var lines: [String] = []
    private var fields: [String: Any] = [:]
    let json: Bool
    init(json: Bool) { self.json = json }

    func say(_ line: String) { lines.append(line) }
    func set(_ key: String, _ value: Any) { fields[key] = value }

    func finish() {
        if json { OutputOptions.printJSONLine(fields) } else { lines.forEach { print($0) } }
    }
}
