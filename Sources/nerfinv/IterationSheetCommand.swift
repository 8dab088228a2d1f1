import ArgumentParser
import FileIO
import Foundation
import Imaging
import Pipeline

/// `nerfinv iteration-sheet`: the iterative encoder's estimates of photos, stage by stage, in one PNG.
struct IterationSheetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iteration-sheet",
        abstract: "Show what the iterative encoder makes of photos at each iteration, in one PNG.",
        discussion: """
            Each row: the photo as the model saw it, then for the one-shot encoder's start, each \
            iteration and the default inversion (iterations + steps), the reconstruction at the \
            estimated view and the object from behind (azimuth + 180°, the canonical light).

            Example:
              nerfinv iteration-sheet a.png b.png c.png d.png --out docs/iterations.png
            """
    )

    @Argument(help: "The photos (PNG).")
    var photos: [String]

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Side of every cell in pixels.")
    var size: Int = 128

    @Option(help: "Output PNG.")
    var out: String

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...16).contains(photos.count) else { throw ValidationError("give 1 to 16 photos") }
        guard (32...512).contains(size) else { throw ValidationError("--size must be in 32...512") }
        guard out.lowercased().hasSuffix(".png") else { throw ValidationError("--out should name a .png file") }
    }

    func run() throws {
        var plan = OutputPlan(inputs: photos + [modelOptions.model])
        try plan.add(file: out)
        let session = InversionSession(model: try modelOptions.load())
        let bar = ProgressBar(total: photos.count, label: "iteration-sheet", unit: "photos", quiet: output.silent)
        let sheet = try IterationSheet.make(session: session, photos: photos, cell: size) { bar.update($0) }
        bar.finish()
        try PNG.write(sheet, to: out)
        output.report(["out": out, "photos": photos.count], "wrote \(out)")
    }
}
