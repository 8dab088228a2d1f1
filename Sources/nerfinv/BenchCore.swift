import ArgumentParser
import Foundation
import NeuralCore
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
        let verify = BLASKernel.verificationError()
        let rows = KernelBenchmark.run(repeats: options.repeats, minSeconds: options.minSeconds)

        if options.json {
            struct Report: Codable {
                var blasCore: String
                var verificationError: Double
                var threads: Int
                var rows: [KernelBenchmark.Row]
            }
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try enc.encode(
                Report(blasCore: BLASKernel.report, verificationError: verify, threads: Parallel.threads, rows: rows))
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("OpenBLAS kernel: \(BLASKernel.report)")
        print("kernel check vs Double reference: max relative error \(String(format: "%.1e", verify))")
        print("threads: \(Parallel.threads) (OpenBLAS \(BLAS.threads)); median of \(options.repeats) runs")
        print("")
        print(pad("op", 26) + pad("shape (N x I x O)", 28) + lpad("ms", 10) + lpad("GFLOPS", 9) + lpad("of sgemm", 10))
        for r in rows {
            print(
                pad(r.name, 26) + pad(r.shape, 28) + lpad(String(format: "%.3f", r.seconds * 1e3), 10)
                    + lpad(String(format: "%.1f", r.gflops), 9)
                    + lpad(r.shareOfSgemm.map { String(format: "%.0f%%", $0 * 100) } ?? "", 10))
        }
    }

    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }
    private func lpad(_ s: String, _ n: Int) -> String {
        s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s
    }
}
