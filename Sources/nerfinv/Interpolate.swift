import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv interpolate`: in-between latents of two latents, a frame each, and a strip.
struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Latents between two latents (linear in the identity code), a frame of each and a strip.",
        discussion: """
            Writes step_00.latent ... step_NN.latent, step_00.png ... and strip.png into --out; the \
            in-between latents keep the first latent's view. Tuned decoders (.delta files) belong to \
            one code each, so the frames use the model's own decoder; layered latents' residuals are \
            blended linearly (a layer one latent lacks counts as zero there).

            Example:
              nerfinv interpolate a.latent b.latent --steps 8 --out a_to_b/ --azimuth 35 --elevation 20
            """
    )

    @Argument(help: "The two latents.")
    var latents: [String]

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var camera: CameraOptions

    @Option(help: "Steps from the first latent to the second (steps + 1 latents).")
    var steps: Int = 8

    @Option(parsing: .unconditional, help: "Camera azimuth of the frames in degrees.")
    var azimuth: Double = 35

    @Option(parsing: .unconditional, help: "Camera elevation of the frames in degrees.")
    var elevation: Double = 20

    @Option(help: "Output folder (created if missing).")
    var out: String

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard latents.count == 2 else { throw ValidationError("name exactly two latents") }
        guard (1...256).contains(steps) else { throw ValidationError("--steps must be in 1...256") }
        try requireFinite([azimuth, elevation], "--azimuth and --elevation")
    }

    func run() throws {
        var plan = OutputPlan(inputs: latents.flatMap(LatentScene.inputs(ofLatent:)) + [modelOptions.model])
        try plan.add(folder: out)
        let files = LatentEditing.interpolationFiles(steps: steps, in: out)
        for latent in files.latents { try plan.add(file: latent, bringing: [LatentScene.inputs(ofLatent: latent)[1]]) }
        for file in files.others { try plan.add(file: file) }
        let model = try modelOptions.load()
        let a = try LatentFile.read(latents[0], for: model)
        let b = try LatentFile.read(latents[1], for: model)
        let written = try LatentEditing.interpolate(
            a, b, names: (latents[0], latents[1]), steps: steps, model: model, camera: camera.renderCamera,
            azimuth: azimuth, elevation: elevation, to: out)
        output.report(
            ["out": out, "latents": written, "strip": out + "/strip.png"],
            "wrote \(written.count) latents and frames, and strip.png, to \(out)")
    }
}
