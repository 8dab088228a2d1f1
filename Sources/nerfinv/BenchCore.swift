import ArgumentParser
import Foundation
import Pipeline

/// `nerfinv bench core`: sgemm and the dense ops at the decoder's and encoder's shapes.
struct BenchCore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "core",
        abstract: "GFLOPS of raw sgemm, Linear+ReLU and Conv2d (forward+backward), each as a share of raw sgemm.",
        discussion: "Example: nerfinv bench core --repeats 7"
    )

    @OptionGroup var options: BenchOptions

    func run() throws {
        options.apply()
        let (lines, json) = try Benchmarks.core(settings: options.settings)
        print(options.json ? json : lines.joined(separator: "\n"))
    }
}
