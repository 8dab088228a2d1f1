import Datasets
import FileIO
import Foundation
import Imaging
import Model
import NeuralCore

/// Runs one `TrainingRun` under the driver (checkpoints, log, curve, stop signals): the
/// application's part, which owns the progress display and what an interrupt means.
public typealias TrainingDrive = (any TrainingRun, TrainingDriver.Paths, _ label: String) throws ->
    TrainingDriver.Outcome

/// What a training job wrote, for `--json` and for a sentence.
public struct TrainingJobOutcome {
    public var fields: [String: Any]
    public var summary: String
}

extension TrainingJobOutcome {
    /// A model written after `steps` steps, with its last logged PSNR under `psnr.key`.
    static func model(
        _ out: String, steps: Int, psnr: (key: String, log: TrainingLog), paths: TrainingDriver.Paths, what: String = ""
    ) -> TrainingJobOutcome {
        TrainingJobOutcome(
            fields: [
                "model": out, "steps": steps, psnr.key: psnr.log.rows.last?.psnr ?? 0, "log": paths.log,
                "curve": paths.curve,
            ],
            summary: "wrote \(out)\(what) (\(steps) steps); log \(paths.log), curve \(paths.curve)")
    }
}

/// `nerfinv train` as a library call: a decoder and one code per training object.
public struct DecoderTrainingJob {
    public var data: String
    /// The model file to write (`.nvm`); its checkpoint, log and curve sit beside it.
    public var out: String
    public var config: TrainConfig
    /// A trained model to continue from (same training objects, fresh optimiser).
    public var initModel: String?
    /// The field of a new model: a kind ("lit-triplane") or a JSON config file; nil: a triplane.
    public var field: String?
    public var limitObjects: Int?
    /// Files the run reads besides the data and the models (a preset), kept from being outputs.
    public var otherInputs: [String] = []

    public init(data: String, out: String, config: TrainConfig) {
        self.data = data
        self.out = out
        self.config = config
    }

    var stem: String { String(out.dropLast(4)) }
    var paths: TrainingDriver.Paths {
        .init(checkpoint: out + ".ckpt", log: stem + ".train_log.csv", curve: stem + ".train_curve.png")
    }

    /// The field of a new model: a kind's defaults, or a config file.
    func fieldSpec() throws -> FieldSpec {
        guard let field else { return FieldSpec(TriplaneConfig()) }
        return field.hasSuffix(".json") ? try Preset.load(FieldSpec.self, from: field) : try FieldSpec.named(field)
    }

    /// Checks the memory a step plans and every output, loads the data, trains and writes the model.
    /// Under mpirun the ranks split each batch's objects; rank 0 writes the files.
    public func run(drive: TrainingDrive, note: (String) -> Void) throws -> TrainingJobOutcome {
        var config = config
        let group = try Communicator.world()
        let initial = try initModel.map { try NeRFModel.load($0).model }
        let spec = try initial?.config.decoder ?? fieldSpec()
        // The step's buffers against the budget, before any data is loaded.
        try MemoryBudget.check(
            RenderStep.plannedBytes(
                spec: spec, objects: config.objectsPerBatch, rays: config.objectsPerBatch * config.raysPerObject,
                stateFloats: spec.config.stateFloats),
            for:
                "a training step of \(config.objectsPerBatch) objects x \(config.raysPerObject) rays x \(spec.samplesPerRay) samples"
        )
        // Checked before hours of training: the model, checkpoint, log and curve can all be written.
        var plan = OutputPlan(inputs: [data] + [initModel, field].compactMap { $0 } + otherInputs)
        for file in [out, paths.checkpoint, paths.log, paths.curve] { try plan.add(file: file) }
        note("loading \(data)...")
        let dataset = try TrainingData.load(root: data, limit: limitObjects)
        try DataParallel.check(
            batch: min(config.objectsPerBatch, dataset.count), objects: "--objects-per-batch", group: group)
        if let initModel, let model = initial {
            guard model.config.objects == dataset.ids else {
                throw FileError(
                    path: initModel,
                    reason: "was trained on other objects (\(model.config.objects.count) vs \(dataset.count) in --data)"
                )
            }
            config.initialModel = initModel
            // A trained density field is meaningful from the first step: skip empty space at once.
            config.skipping.warmupSteps = 0
        }
        let trainer = Trainer(data: dataset, config: config, field: spec)
        trainer.group = group
        if let initial { trainer.warmStart(from: initial, step: 0) }
        let manifest = DatasetManifest.read(data)
        let run = DecoderTrainingRun(trainer: trainer) { notes in
            ModelConfig(
                decoder: trainer.field.spec, scene: manifest?.scene ?? "unknown",
                cameraDistance: dataset.cameraDistance,
                fovDegrees: dataset.fovDegrees, resolution: dataset.width, objects: dataset.ids,
                training: trainer.config, notes: notes)
        }
        let outcome = try drive(run, paths, "train")
        // The generator's attributes of the training objects travel with the codes (edit --attribute).
        let attributes = try ObjectAttributeTable.load(dataRoot: data, ids: dataset.ids)
        if group.isRoot {
            try run.model(seconds: outcome.seconds, log: outcome.log).with(attributes: attributes).save(to: out)
        }
        return .model(out, steps: trainer.step, psnr: ("final_batch_psnr_db", outcome.log), paths: paths)
    }
}

/// `nerfinv train-encoder` as a library call: a photo encoder against a trained decoder.
public struct EncoderTrainingJob {
    public var data: String
    /// The trained decoder model, whose codes are the targets.
    public var model: String
    /// The model file to write with its encoder (the decoder model's own path replaces it).
    public var out: String
    public var config: EncoderTrainConfig
    /// A model whose encoder starts the run (a fine-tune).
    public var initEncoder: String?
    public var limitObjects: Int?
    /// Files the run reads besides the data and the models (a preset), kept from being outputs.
    public var otherInputs: [String] = []

    public init(data: String, model: String, out: String, config: EncoderTrainConfig) {
        self.data = data
        self.model = model
        self.out = out
        self.config = config
    }

    var stem: String { String(out.dropLast(4)) }
    /// An iterative encoder's run (`config.iterations` set) keeps its own checkpoint, log and curve.
    var paths: TrainingDriver.Paths {
        let kind = config.iterations == nil ? "encoder" : "iterative"
        return .init(
            checkpoint: stem + ".\(kind).ckpt", log: stem + ".\(kind)_log.csv", curve: stem + ".\(kind)_curve.png")
    }

    public func run(drive: TrainingDrive, note: (String) -> Void) throws -> TrainingJobOutcome {
        var config = config
        let group = try Communicator.world()
        // The model may be replaced by its own output (--out defaults to --model); the data and
        // presets may not be written, and everything is checked before training.
        var plan = OutputPlan(inputs: [data] + [initEncoder].compactMap { $0 } + otherInputs)
        for file in [out, paths.checkpoint, paths.log, paths.curve] { try plan.add(file: file) }
        let (decoderModel, _) = try NeRFModel.load(model)
        let images = config.objectsPerBatch * config.viewsPerObject
        try MemoryBudget.check(
            RenderStep.plannedBytes(
                spec: decoderModel.config.decoder, objects: images, rays: images * config.raysPerImage,
                stateFloats: decoderModel.config.decoder.config.stateFloats),
            for: "an encoder step rendering \(images) images x \(config.raysPerImage) rays")
        note("loading \(data)...")
        let dataset = try TrainingData.load(root: data, limit: limitObjects)
        try DataParallel.check(
            batch: min(config.objectsPerBatch, dataset.count), objects: "the preset's objectsPerBatch", group: group)
        if config.iterations != nil {
            return try runIterative(
                decoderModel: decoderModel, dataset: dataset, config: config, group: group, drive: drive)
        }
        var initial: PhotoEncoder?
        if let initEncoder {
            let (source, _) = try NeRFModel.load(initEncoder)
            guard let enc = source.encoder else { throw ModelError("\(initEncoder) has no encoder to start from") }
            initial = enc
            config.initialEncoder = initEncoder
        }
        let trainer: EncoderTrainer
        do {
            trainer = try EncoderTrainer(
                data: dataset, model: decoderModel, config: config,
                encoderConfig: .forResolution(dataset.width, lit: decoderModel.field.conditionSize > 0),
                initial: initial)
        } catch {
            throw ModelError("\(model) and \(data): \(error)")
        }
        trainer.group = group
        let run = EncoderTrainingRun(trainer: trainer)
        let outcome = try drive(run, paths, "encoder")
        if group.isRoot { try run.model(seconds: outcome.seconds, log: outcome.log).save(to: out) }
        return .model(
            out, steps: trainer.step, psnr: ("final_render_psnr_db", outcome.log), paths: paths,
            what: " with its encoder")
    }

    /// The iterative encoder against the model's decoder and one-shot encoder; `initEncoder`
    /// names a model whose iterative encoder starts the run.
    func runIterative(
        decoderModel: NeRFModel, dataset: TrainingData, config: EncoderTrainConfig, group: Communicator,
        drive: TrainingDrive
    ) throws -> TrainingJobOutcome {
        var config = config
        var initial: PhotoEncoder?
        if let initEncoder {
            let (source, _) = try NeRFModel.load(initEncoder)
            guard let it = source.iterativeEncoder else {
                throw ModelError("\(initEncoder) has no iterative encoder to start from")
            }
            initial = it.network
            config.initialEncoder = initEncoder
        }
        let trainer: IterativeEncoderTrainer
        do {
            trainer = try IterativeEncoderTrainer(
                data: dataset, model: decoderModel, config: config, initial: initial)
        } catch {
            throw ModelError("\(model) and \(data): \(error)")
        }
        trainer.group = group
        let run = IterativeEncoderTrainingRun(trainer: trainer)
        let outcome = try drive(run, paths, "iterative")
        if group.isRoot { try run.model(seconds: outcome.seconds, log: outcome.log).save(to: out) }
        return .model(
            out, steps: trainer.step, psnr: ("final_render_psnr_db", outcome.log), paths: paths,
            what: " with its iterative encoder")
    }
}

/// `nerfinv train-matting` as a library call: the matting network on photos with backgrounds.
public struct MattingTrainingJob {
    public var data: String
    public var out: String
    public var config: MattingTrainConfig
    /// Side of the network's input, and photos per object.
    public var side = 128
    public var viewsPerObject = 8
    public var limitObjects: Int?
    /// A held-out set scored at the end (mean mask IoU).
    public var validation: String?

    public init(data: String, out: String, config: MattingTrainConfig) {
        self.data = data
        self.out = out
        self.config = config
    }

    var stem: String { out.hasSuffix(".nvm") ? String(out.dropLast(4)) : out }
    var paths: TrainingDriver.Paths {
        .init(checkpoint: out + ".ckpt", log: stem + ".matting_log.csv", curve: stem + ".matting_curve.png")
    }

    /// The outputs, checked before any work.
    public func planOutputs() throws {
        var plan = OutputPlan(inputs: [data] + [validation].compactMap { $0 })
        for f in [out, paths.log, paths.curve] { try plan.add(file: f) }
    }

    public func run(drive: TrainingDrive, note: (String) -> Void) throws -> TrainingJobOutcome {
        var net = MattingConfig()
        net.inputSize = side
        let set = try MattingData.load(root: data, side: side, viewsPerObject: viewsPerObject, limit: limitObjects)
        note("\(set.count) photos from \(data)")
        var rng = SplitMix64(seed: config.seed)
        let trainer = MattingTrainer(network: MattingNetwork(config: net, rng: &rng), data: set, config: config)
        let run = MattingTrainingRun(trainer: trainer)
        let outcome = try drive(run, paths, "matting")
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
        return TrainingJobOutcome(
            fields: fields,
            summary: "wrote \(out) (\(trainer.step) steps)"
                + (iou.map { String(format: "; mask IoU on %@: %.4f", validation!, $0) } ?? ""))
    }

    /// Mean mask IoU of the network in `matting` on the photos of `data`, read four ways (alone,
    /// mirrored, largest region, both), as `eval-matting` reports it.
    public static func evaluate(matting: String, data: String, viewsPerObject: Int, limit: Int?, note: (String) -> Void)
        throws -> TrainingJobOutcome
    {
        let (network, _) = try MattingFile.load(matting)
        let set = try MattingData.load(
            root: data, side: network.config.inputSize, viewsPerObject: viewsPerObject, limit: limit)
        note("\(set.count) photos from \(data)")
        var fields: [String: Any] = ["photos": set.count]
        var lines: [String] = []
        for (key, mirrored, largest) in [
            ("network", false, false), ("mirrored", true, false), ("largest_region", false, true),
            ("mirrored_largest_region", true, true),
        ] {
            let iou = MattingTrainer.meanIoU(
                network, on: set, reading: .init(mirrored: mirrored, largestRegion: largest))
            fields[key] = iou
            lines.append(String(format: "  %-24@ %.4f", key as NSString, iou))
        }
        return TrainingJobOutcome(
            fields: fields,
            summary: "mean mask IoU on \(set.count) photos of \(data):\n" + lines.joined(separator: "\n"))
    }
}
