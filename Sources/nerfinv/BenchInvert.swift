import ArgumentParser
import Foundation
import Pipeline

/// `nerfinv bench invert`: encoder latency, refinement step time and whole inversions of
/// held-out cars rendered in memory.
struct BenchInvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invert",
        abstract:
            "Seconds for the encoder alone, one refinement step, and a whole default inversion (held-out cars rendered in memory).",
        discussion: "Example: nerfinv bench invert --model models/cars.nvm --photos 5 --profile"
    )

    @OptionGroup var options: BenchOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Held-out cars to invert (rendered from scenes/cars.json at seed 4242).")
    var photos: Int = 5

    @Flag(help: "Also print a per-op profile of a refinement step and the encoder, against raw sgemm at their shapes.")
    var profile = false

    func validate() throws {
        guard photos >= 1, photos <= 100 else { throw ValidationError("--photos must be in 1...100") }
    }

    func run() throws {
        options.apply()
        options.print(
            try Benchmarks.invert(
                model: try modelOptions.load(), photos: photos, scene: SceneLocator.cars(), profile: profile,
                settings: options.settings))
    }
}
