import ArgumentParser
import Foundation
import Pipeline

/// `nerfinv bench render`: seconds per frame of a trained model, with and without empty-space skipping.
struct BenchRender: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract:
            "Seconds per rendered frame (default 128x128) of a trained model's codes, with and without empty-space skipping.",
        discussion: "Example: nerfinv bench render --model models/cars.nvm --size 128 --profile"
    )

    @OptionGroup var options: BenchOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Frame size in pixels.")
    var size: Int = 128

    @Option(help: "How many training codes to render (the first N of the model's table).")
    var codes: Int = 4

    @Flag(
        help: "Also print a per-op profile of the per-code setup and of a frame, against raw sgemm at the same shapes.")
    var profile = false

    func validate() throws {
        guard size >= 8, size <= 2048, codes >= 1, codes <= 1000 else {
            throw ValidationError("--size 8...2048, --codes 1...1000")
        }
    }

    func run() throws {
        options.apply()
        options.print(
            Benchmarks.render(
                model: try modelOptions.load(), size: size, codes: codes, profile: profile,
                settings: options.settings))
    }
}
