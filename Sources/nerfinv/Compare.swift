import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv compare`: several models invert the same photos, side by side in one sheet.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Invert the same photos with several models and put the results side by side in one PNG.",
        discussion: """
            Each row: the photo as the first model saw it, then per model its reconstruction and the \
            object from 0, 90, 180 and 270 degrees (elevation 20, the rig's canonical light).

            Example:
              nerfinv compare scenes/photos/*.png --models models/cars_gen1.nvm models/cars.nvm \\
                --labels "first generation" "second generation" --size 128 --out comparison.png
            """
    )

    @Argument(help: "The photos (PNG).")
    var photos: [String]

    @Option(parsing: .upToNextOption, help: "Model files, one group of columns each.")
    var models: [String]

    @Option(parsing: .upToNextOption, help: "A heading per model (default: the model file names).")
    var labels: [String] = []

    @Option(help: "Side of every cell in pixels.")
    var size: Int = 128

    @Flag(help: "Encoder only (no refinement).")
    var noRefine = false

    @Option(help: "Output PNG.")
    var out: String

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !photos.isEmpty else { throw ValidationError("give at least one photo") }
        guard (1...6).contains(models.count) else { throw ValidationError("--models takes 1 to 6 model files") }
        guard labels.isEmpty || labels.count == models.count else {
            throw ValidationError("--labels needs one heading per model (\(models.count))")
        }
        guard (32...512).contains(size) else { throw ValidationError("--size must be in 32...512") }
        guard out.lowercased().hasSuffix(".png") else { throw ValidationError("--out should name a .png file") }
    }

    func run() throws {
        var plan = OutputPlan(inputs: photos + models)
        try plan.add(file: out)
        let sessions = try models.map { path -> InversionSession in
            let (model, _) = try NeRFModel.load(path)
            guard model.encoder != nil else { throw FileError(path: path, reason: "has no encoder to invert with") }
            return InversionSession(model: model)
        }
        var request = InversionRequest()
        request.refine = !noRefine
        let bar = ProgressBar(total: photos.count, label: "compare", unit: "photos", quiet: output.silent)
        var rows: [ModelComparison.Row] = []
        let rowNames = ModelComparison.rowNames(photos)
        for (k, photo) in photos.enumerated() {
            rows.append(
                try ModelComparison.row(
                    photo: photo, name: rowNames[k], sessions: sessions, request: request, cell: size))
            bar.update(k + 1)
        }
        let names =
            labels.isEmpty ? models.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } : labels
        try ModelComparison.write(rows: rows, labels: names, cell: size, to: out)
        output.report(["out": out, "photos": photos.count, "models": models.count], "wrote \(out)")
    }
}
