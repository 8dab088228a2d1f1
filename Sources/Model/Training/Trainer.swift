import FileIO
import Foundation
import Geometry
import NeuralCore

// Auto-decoder training (SRN / CodeNeRF style): field weights and one code per object, by Adam
// on random ray batches. B objects per batch, Q rays per object, R = B Q rays, S samples per ray,
// D code length, O training objects.

/// One decoder training run's state: everything `--resume` needs to continue exactly.
public final class Trainer {
    public let data: TrainingData
    public let config: TrainConfig
    public let field: any RadianceField
    public let codes: Tensor  // (O, D)
    let adam = Adam()
    public var rng: SplitMix64
    public var step = 0
    let grads: ParameterGradients
    let codeGrad: Tensor  // (O, D)
    var renderStep: RenderStep?
    /// Each object's occupancy grid and the step it was built at.
    let occupancy: OccupancyCache
    /// The ranks the batch is split over (one process unless mpirun started several).
    public var group = Communicator.single
    /// Seconds the last step spent summing over the ranks (waiting for the slowest included).
    public private(set) var allreduceSeconds: Double = 0
    /// Samples the field evaluated in the last step (the rest were skipped as empty).
    public var evaluatedSamples: Int { renderStep?.evaluatedSamples ?? 0 }

    public init(data: TrainingData, config: TrainConfig, field fieldSpec: FieldSpec) {
        self.data = data
        self.config = config
        rng = SplitMix64(seed: config.seed)
        var initRNG = rng.split()
        field = fieldSpec.makeField(rng: &initRNG)
        codes = Tensor([data.count, fieldSpec.codeDim])
        codes.fillNormal(std: config.codeInitStd, rng: &initRNG)
        grads = ParameterGradients(like: field.parameters)
        codeGrad = Tensor(codes.shape)
        occupancy = OccupancyCache(objects: data.count, settings: config.skipping)
    }

    /// Starts from a trained model's weights and codes (object o takes code o mod O') at step `step`:
    /// for fine-tuning, and for benchmarks that need a realistic density field to skip.
    public func warmStart(from model: NeRFModel, step: Int) {
        field.copyWeights(from: model.field)
        let O = codes.shape[0], D = codes.shape[1], source = model.codes.shape[0]
        for o in 0..<O { (codes.data + o * D).update(from: model.codes.data + (o % source) * D, count: D) }
        self.step = step
    }

    /// Learning-rate multiplier at a step: the warm-up ramp, 1, then a cosine fall over the last `decayFraction`.
    public func lrScale(_ s: Int) -> Float {
        LearningRateSchedule.scale(
            step: s, steps: config.steps, decayFraction: config.decayFraction, finalScale: config.finalLRScale,
            warmup: config.warmupSteps)
    }

    /// A batch: B distinct objects, then Q rays of each, then the sampling draws.
    func drawBatch() -> (objects: [Int], rays: RayBatch) {
        let B = min(config.objectsPerBatch, data.count), Q = config.raysPerObject, S = field.spec.samplesPerRay
        var objects: [Int] = []
        while objects.count < B {
            let o = rng.nextInt(data.count)
            if !objects.contains(o) { objects.append(o) }
        }
        var rays = RayBatch(rays: B * Q, samples: S)
        for (b, o) in objects.enumerated() {
            for q in 0..<Q {
                // No extra draw when the fraction is 0: first-generation runs keep their random stream.
                let inBox = config.boxRayFraction > 0 && rng.nextFloat() < config.boxRayFraction
                data.drawRay(object: o, inBox: inBox, rng: &rng, slot: b * Q + q, into: &rays)
            }
        }
        rays.drawSampling(rng: &rng, probeFraction: config.skipping.probeRayFraction)
        return (objects, rays)
    }

    /// One optimisation step; returns the photometric MSE of the batch (before the update).
    ///
    /// Every rank draws the same batch and renders its share of the objects. The photometric
    /// terms are means over the batch's rays, so a share's are weighted by its fraction of them;
    /// the code prior is a sum over codes and keeps its weight. Summing the field's gradients and
    /// the batch's code gradients over the ranks then gives every rank the one-process gradient.
    @discardableResult
    public func trainStep() -> Float {
        let (objects, rays) = Profiler.measure("batch") { drawBatch() }
        let B = objects.count, D = field.spec.codeDim, Q = config.raysPerObject
        let mine = group.share(of: B)
        let localObjects = Array(objects[mine])
        let localRays = group.size == 1 ? rays : rays.slice((mine.lowerBound * Q)..<(mine.upperBound * Q))
        if renderStep == nil || renderStep!.R != localRays.R || renderStep!.B != mine.count {
            renderStep = RenderStep(field: field, objects: mine.count, rays: localRays.R)
        }
        let render = renderStep!
        let batchCodes = Tensor([B, D])
        for (b, o) in objects.enumerated() { (batchCodes.data + b * D).update(from: codes.data + o * D, count: D) }
        if config.codeNoise > 0 {
            // The gradient w.r.t. a noisy code is the code's own (the noise is additive), as in a
            // variational code table's reparameterisation with a fixed variance.
            var sum: Double = 0
            for k in 0..<codes.count { sum += Double(codes[k] * codes[k]) }
            let std = config.codeNoise * Float((sum / Double(codes.count)).squareRoot())
            for k in 0..<(B * D) { batchCodes[k] += std * rng.nextNormal() }
        }
        Profiler.measure("zero grads") { grads.zero() }
        let share = Float(mine.count) / Float(B)
        var losses: [any LossTerm] = [PhotometricMSE(weight: share), CodePrior(weight: config.codePrior)]
        if config.distortionWeight > 0 { losses.append(DistortionLoss(weight: config.distortionWeight * share)) }
        var values = render.run(
            rays: localRays, codes: batchCodes.data + mine.lowerBound * D, losses: losses, grads: grads
        ) { states in
            occupancy.grids(for: localObjects, step: step, field: field, states: states)
        }
        let batchCodeGrad = Tensor([B, D])  // the batch's rows; this rank's share filled
        (batchCodeGrad.data + mine.lowerBound * D).update(from: render.dCodes.data, count: mine.count * D)
        if group.size > 1 {
            let t0 = Timing.now()
            Profiler.measure("allreduce") { group.sum(grads.tensors + [batchCodeGrad], scalars: &values) }
            allreduceSeconds = Timing.now() - t0
        }
        codeGrad.zero()
        for (b, o) in objects.enumerated() {
            (codeGrad.data + o * D).update(from: batchCodeGrad.data + b * D, count: D)
        }
        step += 1
        Profiler.measure("adam") {
            adam.beginStep()
            let scale = lrScale(step)
            for ((name, p), g) in zip(field.parameters, grads.tensors) {
                adam.update(name, param: p, grad: g, lr: config.lrDecoder * scale)
            }
            adam.update("codes", param: codes, grad: codeGrad, lr: config.lrCodes * scale)
        }
        return values[0]
    }

    // MARK: checkpoints

    struct State: Codable {
        var step: Int
        var rng: SplitMix64
        var adamStep: Int
        var train: TrainConfig
        var decoder: FieldSpec
        var objects: [String]
        /// Ranks of the run (nil: a checkpoint from before MPI, one rank).
        var ranks: Int?
    }

    /// Writes everything needed to resume (fp32, atomically).
    public func saveCheckpoint(_ path: String, modelConfig: ModelConfig) throws {
        let state = State(
            step: step, rng: rng, adamStep: adam.step, train: config, decoder: field.spec, objects: data.ids,
            ranks: group.size)
        let stateJSON = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        let extra =
            adam.stateTensors().map { (name: "adam.\($0.0)", tensor: $0.1) }
            + occupancy.tensors(resolution: field.spec.occupancyResolution, prefix: "trainer")
        try NeRFModel(config: modelConfig, field: field, codes: codes).save(
            to: path, dtype: .f32, extra: extra, metadata: ["trainer_state": stateJSON])
    }

    /// Restores a checkpoint written by `saveCheckpoint` for the same data.
    public func restore(from path: String) throws {
        let (model, contents) = try NeRFModel.load(path)
        guard let json = contents.metadata["trainer_state"],
            let state = try? JSONDecoder().decode(State.self, from: Data(json.utf8))
        else {
            throw FileError(path: path, reason: "not a training checkpoint (no trainer state)")
        }
        guard state.objects == data.ids else {
            throw FileError(
                path: path,
                reason: "checkpoint was trained on other objects (\(state.objects.count) vs \(data.count) in --data)")
        }
        guard state.decoder == field.spec else {
            throw FileError(
                path: path,
                reason:
                    "the checkpoint's field is \(state.decoder), this run's \(field.spec): resume with the run's own --field"
            )
        }
        try ResumeCheck.validate(saved: state.train, current: config, step: state.step, path: path)
        try ResumeCheck.validate(savedRanks: state.ranks, current: group.size, path: path)
        field.copyWeights(from: model.field)
        codes.copy(from: model.codes)
        adam.restore(step: state.adamStep, tensors: contents.tensors(prefixed: "adam."))
        rng = state.rng
        step = state.step
        try occupancy.restore(
            contents.named,
            resolution: field.spec.occupancyResolution, box: Float(field.spec.box), prefix: "trainer", path: path)
    }
}
