import ArgumentParser
import Foundation
import Pipeline

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
        subcommands: [
            BenchCore.self, BenchTrain.self, BenchRender.self, BenchInvert.self, BenchViewer.self,
            BenchDataParallel.self,
        ]
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

    /// The threads asked for; without --threads, ranks that mpirun started on one machine share its cores.
    func apply(ranksHere: Int = 1) {
        if let threads {
            Compute.use(threads: threads)
        } else if ranksHere > 1 {
            Compute.use(threads: Compute.threads(sharedBy: ranksHere))
        }
    }

    var settings: BenchSettings { BenchSettings(repeats: repeats, minSeconds: minSeconds) }

    /// The report as sentences, or with --json as one JSON object.
    func print(_ report: BenchReport) {
        if json { OutputOptions.printJSONLine(report.fields) } else { report.lines.forEach { Swift.print($0) } }
    }
}
