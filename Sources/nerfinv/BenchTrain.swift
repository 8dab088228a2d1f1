import ArgumentParser
import Foundation
import Pipeline

/// `nerfinv bench train`: seconds per training step on in-memory generated cars.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract:
            "Seconds per training step (default 4 objects x 1024 rays) and the decoder's GFLOPS as a share of raw sgemm.",
        discussion: "Example: nerfinv bench train --steps 20 --profile"
    )

    @OptionGroup var options: BenchOptions

    @Option(help: "Objects per batch.")
    var objects: Int = 4

    @Option(help: "Rays per object.")
    var rays: Int = 1024

    @Option(help: "Timed steps (after 3 warm-up steps).")
    var steps: Int = 20

    @Flag(help: "Also print where the time goes.")
    var profile = false

    @Option(
        help:
            "Trained model whose weights and codes the benchmark starts from: empty-space skipping needs a real density field (a fresh decoder's is noise)."
    )
    var model: String = "models/cars.nvm"

    func validate() throws {
        guard objects >= 1, objects <= 64, rays >= 1, rays <= 65536, steps >= 1, steps <= 10000 else {
            throw ValidationError("--objects 1...64, --rays 1...65536, --steps 1...10000")
        }
    }

    func run() throws {
        options.apply()
        options.print(
            try Benchmarks.train(
                model: model, objects: objects, rays: rays, steps: steps, profile: profile, scene: SceneLocator.cars(),
                settings: options.settings))
    }
}
