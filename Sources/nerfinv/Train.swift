import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv train`: auto-decoder training of the field and a code per object.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the decoder and one identity code per training object on a multi-view dataset.",
        discussion: """
            Examples:
              nerfinv train --data data/cars_train --out models/cars.nvm --steps 20000
              nerfinv train --data data/cars_train --out models/cars.nvm --resume
              nerfinv train --data data/cars_train --config configs/train_continue.json \\
                --init-model models/cars.nvm --out data/long/cars.nvm
              # data-parallel over Open MPI (rank 0 writes; --resume with the same -np)
              mpirun -np 4 nerfinv train --data data/cars_train --out models/cars.nvm

            Writes <name>.nvm (fp16 model), <name>.nvm.ckpt (fp32 checkpoint with optimiser state, \
            every few minutes and on Ctrl-C), <name>.train_log.csv and <name>.train_curve.png. \
            --resume continues the same run exactly. Settings: the defaults, then --config, then flags.
            """
    )

    @Option(help: "Training set folder (SRN layout, from `nerfinv generate`).")
    var data: String

    @Option(help: "Model file to write.")
    var out: String

    @Option(help: "Total optimisation steps of the run (default 20000).")
    var steps: Int?

    @OptionGroup var training: TrainingRunOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Objects per batch (default 8).")
    var objectsPerBatch: Int?

    @Option(help: "Rays per object per batch (default 512).")
    var raysPerObject: Int?

    @Option(
        help:
            "Start from this trained model's decoder and codes (same training objects) with a fresh optimiser: a longer or lower-rate continuation."
    )
    var initModel: String?

    @Option(
        help: ArgumentHelp(
            "Field kind of a new model: 'triplane' (first generation, the default), 'lit-triplane' (second), or a JSON file of a field config with its \"kind\".",
            valueName: "kind|file"))
    var field: String?

    @Option(help: "Peak Adam learning rate of the decoder weights (default 5e-3).")
    var lrDecoder: Float?

    @Option(help: "Peak Adam learning rate of the identity codes (default 1e-2).")
    var lrCodes: Float?

    func validate() throws {
        guard out.hasSuffix(".nvm") else { throw ValidationError("--out should name a .nvm model file") }
        if field != nil && initModel != nil {
            throw ValidationError("--field and --init-model conflict: a continuation keeps its model's field")
        }
        if let initModel, initModel == out {
            throw ValidationError("--init-model and --out must differ (the model is overwritten at the end)")
        }
    }

    /// Defaults, then the preset, then the flags.
    func config() throws -> TrainConfig {
        var c = try training.preset(TrainConfig())
        if let steps { c.steps = steps }
        if let objectsPerBatch { c.objectsPerBatch = objectsPerBatch }
        if let raysPerObject { c.raysPerObject = raysPerObject }
        if let seed = training.seed { c.seed = seed }
        if let warmup = training.warmup { c.warmupSteps = warmup }
        if let lrDecoder { c.lrDecoder = lrDecoder }
        if let lrCodes { c.lrCodes = lrCodes }
        return try checked(c)
    }

    func run() throws {
        var job = DecoderTrainingJob(data: data, out: out, config: try config())
        job.initModel = initModel
        job.field = field
        job.limitObjects = training.limitObjects
        job.otherInputs = [training.config].compactMap { $0 }
        try training.launch(output: output) { output in
            let o = try job.run(drive: { try training.drive($0, paths: $1, label: $2, output: output) }) {
                output.note($0)
            }
            output.report(o.fields, o.summary)
        }
    }
}
