import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv eval-matting`: the matting network's mask IoU on a set with backgrounds, read each way.
struct EvalMatting: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval-matting",
        abstract: "Mean mask IoU of a matting network on a `generate --backgrounds` set.",
        discussion: """
            Scores the network's masks against the true ones four ways: the network alone, averaged with \
            its prediction on the mirrored photo, keeping only the largest region, and both (what `invert` \
            uses).

            Example:
              nerfinv eval-matting --matting models/matting.nvm --data data/cars_bg_test
            """
    )

    @Option(help: "Matting network file.")
    var matting: String

    @Option(help: "Dataset made with `generate --backgrounds`.")
    var data: String

    @Option(help: "Views per object to score.")
    var viewsPerObject: Int = 8

    @Option(help: "Score only the first N objects.")
    var limit: Int?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...1000).contains(viewsPerObject) else {
            throw ValidationError("--views-per-object must be in 1...1000")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let o = try MattingTrainingJob.evaluate(
            matting: matting, data: data, viewsPerObject: viewsPerObject, limit: limit
        ) { output.note($0) }
        output.report(o.fields, o.summary)
    }
}
