import Foundation
import Geometry
import NeuralCore
// Auto-decoder training (SRN / CodeNeRF style): decoder weights and one code per object, by Adam
// on random ray batches. B objects per batch, Q rays per object, R = B Q rays, S samples per ray,
// N = R S points, D code length, O training objects.

/// Hyper-parameters of a training run (saved in checkpoints and in the model file).
public struct TrainConfig: Codable, Sendable, Equatable {
    public var steps = 20000
    public var objectsPerBatch = 8
    public var raysPerObject = 512
    public var lrDecoder: Float = 5e-3
    public var lrCodes: Float = 1e-2
    /// Weight of the L2 prior on codes: keeps the code table near N(0, I/λ) and the latent space compact.
    public var codePrior: Float = 1e-4
    public var codeInitStd: Float = 0.01
    /// Learning rates fall (cosine) over this last fraction of the run, to `finalLRScale` of their value.
    public var decayFraction: Double = 0.4
    public var finalLRScale: Float = 0.05
    public var seed: UInt64 = 1
    public init() {}
}

/// One training run's state: everything `--resume` needs to continue exactly.
public final class Trainer {
    public let data: TrainingData
    public let config: TrainConfig
    public let decoder: TriplaneDecoder
    public let codes: Tensor                      // (O, D)
    public let adam = Adam()
    public var rng: SplitMix64
    public var step = 0
    let grads: [(name: String, tensor: Tensor)]
    let codeGrad: Tensor                          // (O, D)
    var workspace: Workspace?

    /// Buffers of one step, allocated once: fresh 100 MB allocations every step cost more in page
    /// faults than the step's arithmetic.
    final class Workspace {
        let acts: TriplaneDecoder.Activations
        let batchCodes: Tensor   // (B, D)
        let t: Tensor            // (R, S)
        let delta: Tensor        // (R, S)
        let points: Tensor       // (N, 3)
        let rgb: Tensor          // (R, 3)
        let opacity: Tensor      // (R)
        let weights: Tensor      // (R, S)
        let dRGB: Tensor         // (R, 3)
        let dSigma: Tensor       // (N)
        let dColor: Tensor       // (N, 3)
        let dCodes: Tensor       // (B, D)
        init(_ c: DecoderConfig, B: Int, R: Int, S: Int) {
            let N = R * S
            acts = TriplaneDecoder.Activations(config: c, B: B, N: N)
            batchCodes = Tensor([B, c.codeDim]); t = Tensor([R, S]); delta = Tensor([R, S]); points = Tensor([N, 3])
            rgb = Tensor([R, 3]); opacity = Tensor([R]); weights = Tensor([R, S]); dRGB = Tensor([R, 3])
            dSigma = Tensor([N]); dColor = Tensor([N, 3]); dCodes = Tensor([B, c.codeDim])
        }
    }

    public init(data: TrainingData, config: TrainConfig, decoderConfig: DecoderConfig) {
        self.data = data
        self.config = config
        rng = SplitMix64(seed: config.seed)
        var initRNG = rng.split()
        decoder = TriplaneDecoder(config: decoderConfig, rng: &initRNG)
        codes = Tensor([data.ids.count, decoderConfig.codeDim])
        codes.fillNormal(std: config.codeInitStd, rng: &initRNG)
        grads = decoder.zerosLikeParameters()
        codeGrad = Tensor(codes.shape)
    }

    /// Learning-rate multiplier at a step: 1, then a cosine fall over the last `decayFraction`.
    public func lrScale(_ s: Int) -> Float {
        let start = Double(config.steps) * (1 - config.decayFraction)
        guard Double(s) > start, config.decayFraction > 0 else { return 1 }
        let x = min(1, (Double(s) - start) / (Double(config.steps) - start))
        return config.finalLRScale + (1 - config.finalLRScale) * Float(0.5 * (1 + cos(Double.pi * x)))
    }

    /// A batch: object indices (B) and, per ray, origin, direction and target colour.
    struct Batch {
        var objects: [Int]
        var origins: [Float]      // (R, 3)
        var directions: [Float]   // (R, 3)
        var targets: [Float]      // (R, 3)
        var jitter: [Float]       // (R, S)
    }

    func drawBatch() -> Batch {
        let B = min(config.objectsPerBatch, data.ids.count), Q = config.raysPerObject, S = decoder.config.samplesPerRay
        var objects: [Int] = []
        while objects.count < B {
            let o = rng.nextInt(data.ids.count)
            if !objects.contains(o) { objects.append(o) }
        }
        let R = B * Q, W = data.width, H = data.height
        var batch = Batch(objects: objects, origins: [Float](repeating: 0, count: R * 3), directions: [Float](repeating: 0, count: R * 3),
                          targets: [Float](repeating: 0, count: R * 3), jitter: [Float](repeating: 0, count: R * S))
        for (b, o) in objects.enumerated() {
            let views = data.objects[o]
            for q in 0..<Q {
                TrainingData.drawRay(from: views, width: W, height: H, rng: &rng, slot: b * Q + q, origins: &batch.origins,
                                     directions: &batch.directions, targets: &batch.targets)
            }
        }
        for k in 0..<(R * S) { batch.jitter[k] = rng.nextFloat() }
        return batch
    }

    /// One optimisation step; returns the photometric MSE of the batch (before the update).
    @discardableResult
    public func trainStep() -> Float {
        let batch = Profiler.measure("batch") { drawBatch() }
        let B = batch.objects.count, Q = config.raysPerObject, R = B * Q, S = decoder.config.samplesPerRay, N = R * S
        let D = decoder.config.codeDim
        if workspace == nil || workspace!.acts.N != N || workspace!.acts.B != B { workspace = Workspace(decoder.config, B: B, R: R, S: S) }
        let w = workspace!
        let acts = w.acts, batchCodes = w.batchCodes, t = w.t, delta = w.delta, points = w.points
        for (b, o) in batch.objects.enumerated() { (batchCodes.data + b * D).update(from: codes.data + o * D, count: D) }
        Profiler.measure("sample") {
        batch.origins.withUnsafeBufferPointer { o in
            batch.directions.withUnsafeBufferPointer { d in
                batch.jitter.withUnsafeBufferPointer { j in
                    RaySampling.samples(t: t.data, delta: delta.data, points: points.data, origins: o.baseAddress!, directions: d.baseAddress!,
                                        jitter: j.baseAddress!, box: Float(decoder.config.box), R: R, S: S)
                }
            }
        }
        }
        Profiler.measure("generate") { decoder.generate(planes: acts.planes.data, codes: batchCodes.data, B: B) }
        Profiler.measure("field") { decoder.field(points: points.data, acts: acts) }
        let rgb = w.rgb, opacity = w.opacity, weights = w.weights
        let bg = SIMD3(decoder.config.background[0], decoder.config.background[1], decoder.config.background[2])
        Profiler.measure("composite") {
        VolumeComposite.forward(rgb: rgb.data, depth: nil, opacity: opacity.data, weights: weights.data, sigma: acts.sigma.data,
                                color: acts.rgb.data, delta: delta.data, t: t.data, background: bg, R: R, S: S)
        }
        let loss = batch.targets.withUnsafeBufferPointer { MSELoss.forward(pred: rgb.data, target: $0.baseAddress!, N: R * 3) }

        // Backward.
        let dRGB = w.dRGB, dSigma = w.dSigma, dColor = w.dColor, dCodes = w.dCodes
        dRGB.zero(); dSigma.zero(); dColor.zero(); dCodes.zero()
        batch.targets.withUnsafeBufferPointer { MSELoss.backward(dPred: dRGB.data, dLoss: 1, pred: rgb.data, target: $0.baseAddress!, N: R * 3) }
        Profiler.measure("composite backward") {
        VolumeComposite.backward(dSigma: dSigma.data, dColor: dColor.data, dRGB: dRGB.data, dOpacity: nil, weights: weights.data,
                                 sigma: acts.sigma.data, color: acts.rgb.data, delta: delta.data, background: bg, R: R, S: S)
        }
        Profiler.measure("zero grads") { for g in grads { g.tensor.zero() } }
        Profiler.measure("decoder backward") {
            decoder.backward(dSigma: dSigma.data, dRGB: dColor.data, acts: acts, codes: batchCodes.data, points: points.data,
                             grads: grads, dCodes: dCodes.data, dPoints: nil)
        }
        codeGrad.zero()
        for (b, o) in batch.objects.enumerated() {
            for d in 0..<D { codeGrad[o * D + d] = dCodes[b * D + d] + 2 * config.codePrior * codes[o * D + d] }
        }
        step += 1
        Profiler.measure("adam") {
        adam.beginStep()
        let scale = lrScale(step)
        for ((name, p), (_, g)) in zip(decoder.parameters, grads) { adam.update(name, param: p, grad: g, lr: config.lrDecoder * scale) }
        adam.update("codes", param: codes, grad: codeGrad, lr: config.lrCodes * scale)
        }
        return loss
    }

    // MARK: checkpoints

    struct State: Codable {
        var step: Int
        var rng: SplitMix64
        var adamStep: Int
        var train: TrainConfig
        var decoder: DecoderConfig
        var objects: [String]
    }

    /// Writes everything needed to resume (fp32, atomically).
    public func saveCheckpoint(_ path: String, modelConfig: ModelConfig) throws {
        let state = State(step: step, rng: rng, adamStep: adam.step, train: config, decoder: decoder.config, objects: data.ids)
        let stateJSON = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        let extra = adam.stateTensors().map { (name: "adam.\($0.0)", tensor: $0.1) }
        try NeRFModel(config: modelConfig, decoder: decoder, codes: codes).save(to: path, dtype: .f32, extra: extra,
                                                                             metadata: ["trainer_state": stateJSON])
    }

    /// Restores a checkpoint written by `saveCheckpoint` for the same data.
    public func restore(from path: String) throws {
        let (model, contents) = try NeRFModel.load(path)
        guard let json = contents.metadata["trainer_state"], let state = try? JSONDecoder().decode(State.self, from: Data(json.utf8)) else {
            throw FileError(path: path, reason: "not a training checkpoint (no trainer state)")
        }
        guard state.objects == data.ids else {
            throw FileError(path: path, reason: "checkpoint was trained on other objects (\(state.objects.count) vs \(data.ids.count) in --data)")
        }
        guard state.decoder == decoder.config else { throw FileError(path: path, reason: "checkpoint decoder config differs") }
        for ((_, dst), (_, src)) in zip(decoder.parameters, model.decoder.parameters) { dst.copy(from: src) }
        codes.copy(from: model.codes)
        var moments: [String: Tensor] = [:]
        for (name, t) in contents.tensors where name.hasPrefix("adam.") { moments[String(name.dropFirst(5))] = t }
        adam.restore(step: state.adamStep, tensors: moments)
        rng = state.rng
        step = state.step
    }
}
