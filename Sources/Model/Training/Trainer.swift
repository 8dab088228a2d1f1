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
    @discardableResult
    public func trainStep() -> Float {
        let (objects, rays) = Profiler.measure("batch") { drawBatch() }
        let B = objects.count, D = field.spec.codeDim
        if renderStep == nil || renderStep!.R != rays.R || renderStep!.B != B {
            renderStep = RenderStep(field: field, objects: B, rays: rays.R)
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
        var losses: [any LossTerm] = [PhotometricMSE(), CodePrior(weight: config.codePrior)]
        if config.distortionWeight > 0 { losses.append(DistortionLoss(weight: config.distortionWeight)) }
        let values = render.run(rays: rays, codes: batchCodes.data, losses: losses, grads: grads) { states in
            occupancy.grids(for: objects, step: step, field: field, states: states)
        }
        codeGrad.zero()
        for (b, o) in objects.enumerated() {
            (codeGrad.data + o * D).update(from: render.dCodes.data + b * D, count: D)
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
    }

    /// Writes everything needed to resume (fp32, atomically).
    public func saveCheckpoint(_ path: String, modelConfig: ModelConfig) throws {
        let state = State(
            step: step, rng: rng, adamStep: adam.step, train: config, decoder: field.spec, objects: data.ids)
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
