import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv edit-check`: the semantic directions measured in renders.
struct EditCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit-check",
        abstract: "Measure every attribute direction: edit training codes, render, read length, height and colour.",
        discussion: """
            Each attribute's direction moves the first --objects training codes by each --amounts \
            (standard deviations); a side view of every edit is rendered and the car's length and \
            height (silhouette extents, box units), brightness and hue (mean over its pixels) read \
            off it. The table gives the mean change of each measure, and a verdict per attribute: \
            its own measure monotonic in the amount, the others within tolerance. With --latents it \
            edits inverted photos instead, their layer residuals kept, as `edit` does.

            Example:
              nerfinv edit-check --objects 16 --independent --report edits.md
              nerfinv edit-check --latents inverted/*.latent --report layered_edits.md
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Training codes to edit.")
    var objects: Int = 16

    @Option(
        parsing: .upToNextOption,
        help: "Edit these latent files instead of training codes, each with its layer residuals kept.")
    var latents: [String] = []

    @Option(parsing: .unconditional, help: "Amounts in standard deviations, comma separated.")
    var amountList: String = "-2,-1,1,2"

    var amounts: [Float] {
        amountList.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
    }

    @Flag(help: "Project the other attributes' directions out of each.")
    var independent = false

    @Option(help: "The model's training data, for models that keep no attributes.")
    var data: String?

    @Option(help: "Write the table (Markdown) here too.")
    var report: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...1000).contains(objects) else { throw ValidationError("--objects must be in 1...1000") }
        guard !amounts.isEmpty, amounts.count == amountList.split(separator: ",").count,
            amounts.allSatisfy({ $0.isFinite && abs($0) <= 10 })
        else { throw ValidationError("--amount-list takes numbers within ±10, comma separated (e.g. -2,-1,1,2)") }
    }

    func run() throws {
        var plan = OutputPlan(
            inputs: [modelOptions.model] + latents.flatMap(LatentScene.inputs(ofLatent:)) + [data].compactMap { $0 })
        if let report { try plan.add(file: report) }
        let model = try modelOptions.load()
        let dirs = try LatentEditing.attributeDirections(of: model, data: data)
        let bar = ProgressBar(
            total: dirs.names.count * amounts.count, label: "edit-check", unit: "edits", quiet: output.silent)
        let subjects =
            latents.isEmpty
            ? AttributeEditCheck.trainingSubjects(of: model, objects: objects)
            : try AttributeEditCheck.latentSubjects(latents, model: model)
        let rows = AttributeEditCheck.run(
            model: model, subjects: subjects, directions: dirs, amounts: amounts.sorted(), independent: independent
        ) { done, _ in bar.update(done) }
        let table = AttributeEditCheck.table(rows, directions: dirs)
        if let report { try AtomicFile.write(Data((table + "\n").utf8), to: report) }
        if output.json {
            let json: [[String: Any]] = rows.map {
                [
                    "attribute": $0.attribute, "amount": Double($0.amount), "d_length": $0.dLength,
                    "d_height": $0.dHeight, "d_brightness": $0.dBrightness, "d_hue": $0.dHue,
                ]
            }
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
        } else if !output.silent {
            print(table)
        }
    }
}
