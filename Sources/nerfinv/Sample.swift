import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv sample`: new objects from the Gaussian of the code table.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw new objects from a Gaussian fitted to the model's code table: latents and a sheet.",
        discussion: """
            Example:
              nerfinv sample --count 16 --out samples/ --seed 3 --truncation 0.8
            Writes sample_00.latent ... and sheet.png (each sample from the rig's 35°/20° view).
            """
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var camera: CameraOptions

    @Option(help: "Number of objects.")
    var count: Int = 16

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Spread relative to the codes' (below 1: more typical objects).")
    var truncation: Float = 1

    @Option(help: "Output folder (created if missing).")
    var out: String

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...1024).contains(count) else { throw ValidationError("--count must be in 1...1024") }
        guard truncation.isFinite, truncation >= 0, truncation <= 3 else {
            throw ValidationError("--truncation must be in 0...3")
        }
    }

    func run() throws {
        var plan = OutputPlan(inputs: [modelOptions.model])
        try plan.add(folder: out)
        try LatentEditing.sample(
            model: try modelOptions.load(), count: count, seed: seed, truncation: truncation,
            camera: camera.renderCamera, to: out)
        output.report(
            ["out": out, "count": count, "sheet": out + "/sheet.png"], "wrote \(count) latents and sheet.png to \(out)")
    }
}
