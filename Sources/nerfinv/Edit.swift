import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv edit`: a latent moved along a principal or a semantic direction of the code table.
struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move a latent along a principal direction of the code table, or a semantic attribute.",
        discussion: """
            --direction pcN is the N-th principal direction of the training codes (pc1 has the most \
            variance); --amount is in standard deviations of the codes along it.

            --attribute length|height|wheel-size|brightness|hue moves along a linear direction fitted \
            to the codes (ridge regression of the training objects' generator attributes on their codes, \
            as InterFaceGAN fits a boundary); --amount is in standard deviations of the attribute over \
            the training cars. --independent removes the other attributes' directions from it, so their \
            predicted values stay put. The attributes come with the model (or --data, its training set).

            --sheet also writes the latent moved by -A, -A/2, 0, A/2, A (columns) from three sides (rows).

            Examples:
              nerfinv edit car.latent --direction pc1 --amount 2 --out car_pc1.latent --sheet pc1.png
              nerfinv edit car.latent --attribute length --amount 1.5 --independent --out longer.latent
            """
    )

    @Argument(help: "The latent to edit.")
    var latent: String

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var camera: CameraOptions

    @Option(help: "Principal direction: pc1, pc2, ...")
    var direction: String?

    @Option(help: "Semantic attribute: length, height, wheel-size, brightness, hue.")
    var attribute: String?

    @Flag(help: "Keep the other attributes' predicted values unchanged (project their directions out).")
    var independent = false

    @Option(help: "The model's training data, for models that keep no attributes.")
    var data: String?

    @Option(parsing: .unconditional, help: "Standard deviations to move along it.")
    var amount: Float

    @Option(help: "Edited latent to write.")
    var out: String

    @Option(help: "Also write a sheet of the edit at five amounts from three sides.")
    var sheet: String?

    @OptionGroup var output: OutputOptions

    /// What the flags ask to move along.
    var editDirection: EditDirection? {
        if let attribute { return .attribute(attribute, independent: independent) }
        return direction.flatMap(EditDirection.principal(named:))
    }

    func validate() throws {
        guard (direction == nil) != (attribute == nil) else {
            throw ValidationError("name one of --direction pcN or --attribute NAME")
        }
        if let direction, editDirection == nil {
            throw ValidationError("--direction takes pc1, pc2, ... (got '\(direction)')")
        }
        guard amount.isFinite, abs(amount) <= 10 else {
            throw ValidationError("--amount must be within ±10 deviations")
        }
    }

    func run() throws {
        var plan = OutputPlan(inputs: LatentScene.inputs(ofLatent: latent) + [modelOptions.model])
        try plan.add(file: out, bringing: [LatentScene.inputs(ofLatent: out)[1]])
        if let sheet { try plan.add(file: sheet) }
        let o = try LatentEditing.edit(
            latent, model: try modelOptions.load(), along: editDirection!, amount: amount, data: data,
            camera: camera.renderCamera, out: out, sheet: sheet)
        output.report(o.fields, o.summary)
    }
}
