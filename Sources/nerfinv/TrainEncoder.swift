import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv train-encoder`: the encoder from one view to identity and view codes, against a
/// trained decoder.
struct TrainEncoder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-encoder",
        abstract: "Train the encoder (one view -> identity code + view code) against a trained decoder.",
        discussion: """
            First regresses the decoder's per-object codes, the true poses and the photometric \
            augmentation applied to each input; then (from --render-from) also renders the predicted \
            code at other views of the object and back-propagates the photometric error. The decoder \
            stays frozen unless --decoder-lr trains a copy of it.

            Examples:
              nerfinv train-encoder --data data/cars_train --steps 16000
              nerfinv train-encoder --data data/cars_train --steps 16000 --resume
              # fine-tune the shipped encoder with the rendering loss throughout
              nerfinv train-encoder --data data/cars_train --config configs/encoder_retune.json \\
                --init-encoder models/cars.nvm --out data/ft/cars.nvm
              # the iterative encoder, on the shipped model's decoder and encoder
              nerfinv train-encoder --data data/cars_train --iterative --out data/it/cars.nvm
              # data-parallel over Open MPI (--iterative too; rank 0 writes)
              mpirun -np 2 nerfinv train-encoder --data data/cars_train --steps 16000

            Writes the model with its encoder to --out (default: --model), <name>.encoder.ckpt (fp32, \
            every few minutes and on Ctrl-C), <name>.encoder_log.csv and <name>.encoder_curve.png. \
            --resume with the same settings continues the same run.
            """
    )

    @Option(help: "Training set the decoder was trained on (SRN layout).")
    var data: String

    @Option(help: "Trained decoder model; its per-object codes are the regression targets.")
    var model: String = "models/cars.nvm"

    @Option(help: "Model file to write (default: --model, replaced atomically).")
    var out: String?

    @Option(help: "Total optimisation steps of the run (default 16000).")
    var steps: Int?

    @Option(help: "Step from which the rendering loss joins the regression (default: half of the steps).")
    var renderFrom: Int?

    @Option(help: "Start from the encoder of this model file (a fine-tune, fresh optimiser) instead of random weights.")
    var initEncoder: String?

    @Option(help: "Peak Adam learning rate (default 1e-3).")
    var lr: Float?

    @Option(
        help:
            "Also train (a copy of) the decoder, at this learning rate, while the rendering loss runs (default: frozen)."
    )
    var decoderLR: Float?

    @Flag(
        help:
            "Train the iterative encoder (photo + render of the current estimate -> updates) on the model's one-shot encoder; its preset is 3 iterations, 3000 steps."
    )
    var iterative = false

    @Option(
        help:
            "With --iterative: a layered-residual head too, predicting the planes' residual at this coarse side (8 for the shipped model; 0: none)."
    )
    var residualSide: Int?

    @OptionGroup var training: TrainingRunOptions
    @OptionGroup var output: OutputOptions

    var outPath: String { out ?? model }

    func validate() throws {
        guard outPath.hasSuffix(".nvm") else { throw ValidationError("--out should name a .nvm model file") }
    }

    /// Defaults, then the preset, then the flags.
    func config() throws -> EncoderTrainConfig {
        var c = try training.preset(iterative ? .iterative : EncoderTrainConfig())
        if let steps { c.steps = steps }
        // The rendering loss joins halfway unless the preset or --render-from says when (the
        // iterative encoder renders from the start).
        c.renderFromStep = renderFrom ?? (training.config == nil && !iterative ? c.steps / 2 : c.renderFromStep)
        if let seed = training.seed { c.seed = seed }
        if let lr { c.lr = lr }
        if let warmup = training.warmup, warmup > 0 {
            c.warmupSteps = warmup
        } else if iterative && training.config == nil {
            c.warmupSteps = min(c.warmupSteps ?? 0, c.steps / 10)  // the preset's 100, or a tenth of a short run
        }
        if let decoderLR { c.decoderLR = decoderLR }
        if let residualSide { c.residualSide = residualSide }
        return try checked(c)
    }

    func run() throws {
        var job = EncoderTrainingJob(data: data, model: model, out: outPath, config: try config())
        job.initEncoder = initEncoder
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
