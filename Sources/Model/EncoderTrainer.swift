import Foundation
import Geometry
import NeuralCore
// Trains the encoder against a trained decoder (frozen). K objects per batch, V views each,
// B = K V images, D code length, Q rays per image for the rendering loss, R = B Q, S samples.

/// Hyper-parameters of encoder training (saved with the model).
public struct EncoderTrainConfig: Codable, Sendable, Equatable {
    public var steps = 12000
    public var objectsPerBatch = 8
    /// Views of each object per batch: pairs feed the identity-consistency term.
    public var viewsPerObject = 2
    public var lr: Float = 1e-3
    public var decayFraction = 0.4
    public var finalLRScale: Float = 0.05
    /// Weights of the regression terms: identity code (MSE over the code table's per-dimension
    /// variance), pose (sin/cos MSE), photometric gain/bias (MSE).
    public var codeWeight: Float = 1
    public var poseWeight: Float = 1
    public var photometricWeight: Float = 1
    /// Pulls the codes of two views of one object together (same normalisation as the code term).
    public var consistencyWeight: Float = 0.1
    /// From this step on, the predicted code is also rendered at other views of the object and
    /// the photometric error back-propagated into the encoder.
    public var renderFromStep = 6000
    /// Render MSE (~1e-3 at 30 dB) is scaled so its gradient competes with the normalised code loss.
    public var renderWeight: Float = 30
    /// The code regression's weight once rendering runs: the auto-decoder's code is one good code,
    /// the rendering loss says what matters.
    public var codeWeightWhileRendering: Float = 0.1
    public var raysPerImage = 256
    public var augmentation = ViewAugmentation()
    public var seed: UInt64 = 1
    /// Linear learning-rate ramp over the first steps: a run that starts from trained weights with a
    /// fresh Adam would otherwise take full-size steps on moments estimated from a handful of batches.
    /// (Optional so that model files written before it still decode.)
    public var warmupSteps: Int?
    /// Model file whose encoder started this run (a fine-tune); nil for a run from random weights.
    public var initialEncoder: String?
    /// Learning rate of the decoder while the rendering loss runs (nil or 0: decoder frozen). With
    /// it, encoder and decoder are trained together: the decoder learns to render the codes the
    /// encoder predicts from one view at the object's other views.
    public var decoderLR: Float?
    public init() {}
}

/// One encoder training run: everything `--resume` needs.
public final class EncoderTrainer {
    public let data: TrainingData
    public let model: NeRFModel
    public let config: EncoderTrainConfig
    public let encoder: Encoder
    public let adam = Adam()
    public var rng: SplitMix64
    public var step = 0
    let grads: [(name: String, tensor: Tensor)]
    /// Row of the model's code table for each training object.
    let codeRows: [Int]
    /// Mean per-dimension variance of the code table: the code loss is relative to it.
    let codeVariance: Float
    var grids: [OccupancyGrid?]
    var workspace: Trainer.Workspace?
    /// Decoder gradients, when the decoder trains too.
    let decoderGrads: [(name: String, tensor: Tensor)]?

    public struct Losses {
        public var code: Float = 0, pose: Float = 0, photometric: Float = 0, consistency: Float = 0
        /// Mean azimuth error of the batch, degrees.
        public var azimuthError: Double = 0
        /// MSE of renders of the predicted codes at other views (NaN when not rendered this step).
        public var render: Float = .nan
    }

    /// `initial`: trained encoder weights to start from (a fine-tune); its config replaces `encoderConfig`.
    public init(data: TrainingData, model: NeRFModel, config: EncoderTrainConfig, encoderConfig: EncoderConfig = EncoderConfig(),
                initial: Encoder? = nil) throws {
        self.data = data; self.model = model; self.config = config
        let index = Dictionary(model.config.objects.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        codeRows = try data.ids.map { id in
            guard let row = index[id] else { throw ModelError("object \(id) of the data has no code in the model: train the encoder on the decoder's training set") }
            return row
        }
        // A fine-tune keeps the starting encoder's shape, so its input size and code length are the ones to check.
        var ec = initial?.config ?? encoderConfig
        guard data.width == ec.inputSize, data.height == ec.inputSize else {
            throw ModelError("the encoder takes \(ec.inputSize)x\(ec.inputSize) views; the data has \(data.width)x\(data.height)")
        }
        if initial != nil, ec.codeDim != model.config.decoder.codeDim {
            throw ModelError("the starting encoder makes \(ec.codeDim)-float codes; the decoder takes \(model.config.decoder.codeDim)")
        }
        ec.codeDim = model.config.decoder.codeDim
        rng = SplitMix64(seed: config.seed)
        var initRNG = rng.split()
        encoder = Encoder(config: ec, rng: &initRNG)
        if let initial { for ((_, dst), (_, src)) in zip(encoder.parameters, initial.parameters) { dst.copy(from: src) } }
        grads = encoder.parameters.map { ($0.name, Tensor($0.tensor.shape)) }
        codeVariance = model.codeVariance
        grids = [OccupancyGrid?](repeating: nil, count: data.ids.count)
        decoderGrads = (config.decoderLR ?? 0) > 0 ? model.decoder.zerosLikeParameters() : nil
    }

    public func lrScale(_ s: Int) -> Float {
        LearningRateSchedule.scale(step: s, steps: config.steps, decayFraction: config.decayFraction, finalScale: config.finalLRScale,
                                   warmup: config.warmupSteps ?? 0)
    }

    public var rendering: Bool { step >= config.renderFromStep }

    @discardableResult
    public func trainStep() -> Losses {
        let K = min(config.objectsPerBatch, data.ids.count), V = config.viewsPerObject, B = K * V
        let D = encoder.config.codeDim, Vd = ViewCode.size, S = encoder.config.inputSize
        var objects: [Int] = [], views: [Int] = []
        while objects.count < K {
            let o = rng.nextInt(data.ids.count)
            if !objects.contains(o) { objects.append(o) }
        }
        for o in objects {
            var picked: [Int] = []
            let n = data.objects[o].count
            while picked.count < min(V, n) { let v = rng.nextInt(n); if !picked.contains(v) { picked.append(v) } }
            while picked.count < V { picked.append(picked[0]) }
            views += picked
        }
        let images = Tensor([B, 3, S, S])
        var targetsView = [Float](repeating: 0, count: B * Vd)
        var poses: [ViewCode] = []
        for b in 0..<B {
            let view = data.objects[objects[b / V]][views[b]]
            let photometric = Profiler.measure("augment") {
                config.augmentation.apply(pixels: view.pixels, width: data.width, height: data.height, into: images.data + b * 3 * S * S, rng: &rng)
            }
            let a = Rig.angles(of: view.camera.position)
            let truth = ViewCode(azimuth: a.azimuth, elevation: a.elevation, gain: photometric.gain, bias: photometric.bias)
            targetsView.withUnsafeMutableBufferPointer { truth.encode(into: $0.baseAddress! + b * Vd) }
            poses.append(truth)
        }
        let acts = Profiler.measure("encoder forward") { encoder.forward(images: images.data, B: B) }
        var losses = Losses()
        let dIdentity = Tensor([B, D]), dView = Tensor([B, Vd])
        // Identity code regression and consistency, relative to the code table's variance.
        let codeWeight = rendering ? config.codeWeightWhileRendering : config.codeWeight
        for b in 0..<B {
            let row = codeRows[objects[b / V]]
            for d in 0..<D {
                let e = acts.identity[b * D + d] - model.codes[row * D + d]
                losses.code += e * e / (Float(B * D) * codeVariance)
                dIdentity[b * D + d] += codeWeight * 2 * e / (Float(B * D) * codeVariance)
            }
        }
        if V > 1 {
            for k in 0..<K { for v in 1..<V {
                let a = k * V, b = k * V + v
                for d in 0..<D {
                    let e = acts.identity[b * D + d] - acts.identity[a * D + d]
                    let scale = Float(K * (V - 1) * D) * codeVariance
                    losses.consistency += e * e / scale
                    dIdentity[b * D + d] += config.consistencyWeight * 2 * e / scale
                    dIdentity[a * D + d] -= config.consistencyWeight * 2 * e / scale
                }
            } }
        }
        for b in 0..<B {
            for k in 0..<Vd {
                let e = acts.view[b * Vd + k] - targetsView[b * Vd + k]
                let pose = k < 4
                if pose { losses.pose += e * e / Float(B) } else { losses.photometric += e * e / Float(B) }
                dView[b * Vd + k] = (pose ? config.poseWeight : config.photometricWeight) * 2 * e / Float(B)
            }
            let predicted = ViewCode(encoded: acts.view.data + b * Vd)
            losses.azimuthError += ViewCode.azimuthError(predicted.azimuth, poses[b].azimuth) / Double(B)
        }
        adam.beginStep()
        if rendering || step % 10 == 0 {
            // During regression the rendering error is only watched (a few rays, every 10 steps).
            let Q = rendering ? config.raysPerImage : 32
            let dCodes = Tensor([B, D])
            losses.render = Profiler.measure("render") {
                renderLoss(codes: acts.identity, objects: (0..<B).map { objects[$0 / V] }, inputViews: views, Q: Q, dCodes: rendering ? dCodes : nil)
            }
            if rendering { for k in 0..<(B * D) { dIdentity[k] += config.renderWeight * dCodes[k] } }
        }
        for g in grads { g.tensor.zero() }
        if let decoderGrads, rendering {
            let lr = (config.decoderLR ?? 0) * lrScale(step + 1)
            for ((name, p), (_, g)) in zip(model.decoder.parameters, decoderGrads) { adam.update(name, param: p, grad: g, lr: lr) }
        }
        Profiler.measure("encoder backward") {
            encoder.backward(dIdentity: dIdentity.data, dView: dView.data, acts: acts, images: images.data, grads: grads)
        }
        step += 1
        let lr = config.lr * lrScale(step)
        for ((name, p), (_, g)) in zip(encoder.parameters, grads) { adam.update(name, param: p, grad: g, lr: lr) }
        return losses
    }

    /// MSE of rendering codes (B, D) at Q random pixels of other views of each image's object;
    /// adds d MSE / d codes into dCodes when given. Empty space is skipped with the grid of the
    /// object's own code (the prediction is near it; probe rays cover the rest).
    func renderLoss(codes: Tensor, objects: [Int], inputViews: [Int], Q: Int, dCodes: Tensor?) -> Float {
        let B = objects.count, R = B * Q, S = model.decoder.config.samplesPerRay, decoder = model.decoder
        if workspace == nil || workspace!.acts.capacity != R * S || workspace!.acts.B != B {
            workspace = Trainer.Workspace(decoder.config, B: B, R: R, S: S)
        }
        let w = workspace!
        var origins = [Float](repeating: 0, count: 3 * R), dirs = [Float](repeating: 0, count: 3 * R), target = [Float](repeating: 0, count: 3 * R)
        for b in 0..<B {
            let all = data.objects[objects[b]]
            let others = all.count > 1 ? all.enumerated().filter { $0.offset != inputViews[b] }.map(\.element) : all
            for q in 0..<Q {
                TrainingData.drawRay(from: others, width: data.width, height: data.height, rng: &rng, slot: b * Q + q,
                                     origins: &origins, directions: &dirs, targets: &target)
            }
        }
        let jitter = (0..<(R * S)).map { _ in rng.nextFloat() }
        let probe = (0..<R).map { _ in rng.nextFloat() < 0.0625 }
        RaySampling.samples(t: w.t.data, delta: w.delta.data, points: w.points.data, origins: origins, directions: dirs, jitter: jitter,
                            box: Float(decoder.config.box), R: R, S: S)
        let batchGrids: [OccupancyGrid?] = objects.map { o in
            if grids[o] == nil {
                let planes = Tensor([1, decoder.config.planeCount])
                decoder.generate(planes: planes.data, codes: model.codes.data + codeRows[o] * decoder.config.codeDim, B: 1)
                grids[o] = OccupancyGrid(decoder: decoder, planes: planes, resolution: Trainer.gridResolution)
            }
            return grids[o]
        }
        decoder.generate(planes: w.acts.planes.data, codes: codes.data, B: B)
        w.field(decoder, grids: batchGrids, probe: probe, R: R, S: S)
        w.composite(decoder, R: R, S: S)
        let loss = MSELoss.forward(pred: w.rgb.data, target: target, N: 3 * R)
        guard let dCodes else { return loss }
        w.dRGB.zero()
        MSELoss.backward(dPred: w.dRGB.data, dLoss: 1, pred: w.rgb.data, target: target, N: 3 * R)
        // (Adam is blind to the loss's scale, so the decoder needs no renderWeight.)
        if let decoderGrads { for g in decoderGrads { g.tensor.zero() } }
        w.backward(decoder, codes: codes.data, grads: decoderGrads, dCodes: dCodes.data, dPoints: nil, R: R, S: S)
        return loss
    }

    // MARK: checkpoints

    struct State: Codable {
        var step: Int
        var rng: SplitMix64
        var adamStep: Int
        var train: EncoderTrainConfig
        var encoder: EncoderConfig
        var objects: [String]
    }

    /// The model with this encoder attached.
    public func modelWithEncoder(notes: [String: String] = [:]) -> NeRFModel {
        var config = model.config
        config.encoder = encoder.config
        config.encoderTraining = self.config
        for (k, v) in notes { config.notes["encoder_" + k] = v }
        return NeRFModel(config: config, decoder: model.decoder, codes: model.codes, encoder: encoder)
    }

    public func saveCheckpoint(_ path: String) throws {
        let state = State(step: step, rng: rng, adamStep: adam.step, train: config, encoder: encoder.config, objects: data.ids)
        let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        let extra = adam.stateTensors().map { (name: "adam.\($0.0)", tensor: $0.1) }
        try modelWithEncoder().save(to: path, dtype: .f32, extra: extra, metadata: ["encoder_trainer_state": json])
    }

    public func restore(from path: String) throws {
        let (saved, contents) = try NeRFModel.load(path)
        guard let json = contents.metadata["encoder_trainer_state"], let state = try? JSONDecoder().decode(State.self, from: Data(json.utf8)) else {
            throw FileError(path: path, reason: "not an encoder training checkpoint (no trainer state)")
        }
        guard state.objects == data.ids else { throw FileError(path: path, reason: "checkpoint was trained on other objects") }
        guard state.encoder == encoder.config, let enc = saved.encoder else { throw FileError(path: path, reason: "checkpoint encoder config differs") }
        for ((_, dst), (_, src)) in zip(encoder.parameters, enc.parameters) { dst.copy(from: src) }
        if decoderGrads != nil {
            for ((_, dst), (_, src)) in zip(model.decoder.parameters, saved.decoder.parameters) { dst.copy(from: src) }
        }
        var moments: [String: Tensor] = [:]
        for (name, t) in contents.tensors where name.hasPrefix("adam.") { moments[String(name.dropFirst(5))] = t }
        adam.restore(step: state.adamStep, tensors: moments)
        rng = state.rng
        step = state.step
    }
}
