import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv train-matting`: the network that finds the object in a photo with a background.
struct TrainMatting: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-matting",
        abstract: "Train the matting network (photo -> object mask) on `generate --backgrounds` photos.",
        discussion: """
            Writes the network as a small fp16 file (--out), its checkpoint (<out>.ckpt, --resume), the \
            log and the curve; with --validation, the mean mask IoU on that set's photos at the end.

            Example:
              nerfinv generate --scene scenes/cars.json --out data/cars_bg --objects 400 --views 8 \\
                --resolution 128 --backgrounds --seed 8
              nerfinv generate --scene scenes/cars.json --out data/cars_bg_test --objects 40 --views 4 \\
                --resolution 128 --backgrounds --seed 9
              nerfinv train-matting --data data/cars_bg --validation data/cars_bg_test --out models/matting.nvm
            """
    )

    @Option(help: "Dataset made with `generate --backgrounds`.")
    var data: String

    @Option(help: "Held-out dataset (also with --backgrounds) for the mask IoU at the end.")
    var validation: String?

    @Option(help: "Matting network file to write.")
    var out: String

    @Option(help: "Input side of the network (the photo is resampled to it).")
    var side: Int = 128

    @Option(help: "Views per object to learn from.")
    var viewsPerObject: Int = 8

    @Option(help: "Training steps.")
    var steps: Int?

    @Option(help: "Photos per step.")
    var batch: Int?

    @OptionGroup var training: TrainingRunOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard [64, 128, 256].contains(side) else { throw ValidationError("--side must be 64, 128 or 256") }
        guard (1...1000).contains(viewsPerObject) else {
            throw ValidationError("--views-per-object must be in 1...1000")
        }
    }

    func run() throws {
        var config = try training.preset(MattingTrainConfig())
        if let steps { config.steps = steps }
        if let batch { config.batch = batch }
        if let seed = training.seed { config.seed = seed }
        config = try checked(config)
        var job = MattingTrainingJob(data: data, out: out, config: config)
        job.side = side
        job.viewsPerObject = viewsPerObject
        job.limitObjects = training.limitObjects
        job.validation = validation
        try job.planOutputs()
        training.prepare()
        let o = try job.run(drive: { try training.drive($0, paths: $1, label: $2, output: output) }) { output.note($0) }
        output.report(o.fields, o.summary)
    }
}
