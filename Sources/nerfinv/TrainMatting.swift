import ArgumentParser
import FileIO
import Foundation
import Model
import NeuralCore
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
        if let steps, !(1...1_000_000).contains(steps) { throw ValidationError("--steps must be in 1...1000000") }
        if let batch, !(1...256).contains(batch) { throw ValidationError("--batch must be in 1...256") }
    }

    func run() throws {
        var plan = OutputPlan(inputs: [data] + [validation].compactMap { $0 })
        let stem = out.hasSuffix(".nvm") ? String(out.dropLast(4)) : out
        for f in [out, stem + ".matting_log.csv", stem + ".matting_curve.png"] { try plan.add(file: f) }
        training.prepare()
        var config = try training.preset(MattingTrainConfig())
        if let steps { config.steps = steps }
        if let batch { config.batch = batch }
        if let seed = training.seed { config.seed = seed }
        var net = MattingConfig()
        net.inputSize = side
        let set = try MattingData.load(
            root: data, side: side, viewsPerObject: viewsPerObject, limit: training.limitObjects)
        output.note("\(set.count) photos from \(data)")
        var rng = SplitMix64(seed: config.seed)
        let trainer = MattingTrainer(network: MattingNetwork(config: net, rng: &rng), data: set, config: config)
        let run = MattingTrainingRun(trainer: trainer)
        let paths = TrainingDriver.Paths(
            checkpoint: out + ".ckpt", log: stem + ".matting_log.csv", curve: stem + ".matting_curve.png")
        let outcome = try training.drive(run, paths: paths, label: "matting", output: output)
        var notes = [
            "steps": "\(trainer.step)", "train_seconds": String(format: "%.0f", outcome.seconds),
            "photos": "\(set.count)", "data": data,
        ]
        var iou: Double? = nil
        if let validation {
            let held = try MattingData.load(root: validation, side: side, viewsPerObject: viewsPerObject)
            iou = MattingTrainer.meanIoU(trainer.network, on: held)
            notes["validation"] = validation
            notes["validation_mean_iou"] = String(format: "%.4f", iou!)
        }
        try MattingFile.save(trainer.network, to: out, notes: notes)
        var fields: [String: Any] = ["model": out, "steps": trainer.step, "log": paths.log, "curve": paths.curve]
        if let iou { fields["validation_mean_iou"] = iou }
        output.report(
            fields,
            "wrote \(out) (\(trainer.step) steps)"
                + (iou.map { String(format: "; mask IoU on %@: %.4f", validation!, $0) } ?? ""))
    }
}
