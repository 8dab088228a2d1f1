import FileIO
import Foundation
import Geometry
import Imaging
import NeuralCore

// Trains the encoder against a trained decoder (frozen). K objects per batch, V views each,
// B = K V images, I the encoder's input side, D code length, Vd = 10 view-code floats, Q rays per
// image for the rendering loss, R = B Q. Under MPI a rank takes Kᵣ of the K objects (Bᵣ = Kᵣ V images).

/// One encoder training run: everything `--resume` needs.
public final class EncoderTrainer {
    public let data: TrainingData
    public let model: NeRFModel
    /// The field the rendering loss runs through: the model's own while it stays frozen, a copy of
    /// it when `decoderLR` trains it too (a loaded model never changes under its other users).
    public let field: any RadianceField
    public let config: EncoderTrainConfig
    public let encoder: PhotoEncoder
    let adam = Adam()
    public var rng: SplitMix64
    public var step = 0
    let grads: [(name: String, tensor: Tensor)]
    /// Row of the model's code table for each training object.
    let codeRows: [Int]
    /// Mean per-dimension variance of the code table: the code loss is relative to it.
    let codeVariance: Float
    /// Each object's grid, from its table code; rebuilt as in decoder training while the decoder moves.
    let occupancy: OccupancyCache
    var renderSteps: [Int: RenderStep] = [:]
    /// Decoder gradients, when the decoder trains too.
    let decoderGrads: ParameterGradients?
    /// The ranks the batch is split over (one process unless mpirun started several).
    public var group = Communicator.single

    public struct Losses {
        public var code: Float = 0, pose: Float = 0, photometric: Float = 0, consistency: Float = 0, light: Float = 0
        /// Mean azimuth error of the batch, degrees.
        public var azimuthError: Double = 0
        /// MSE of renders of the predicted codes at other views (NaN when not rendered this step).
        public var render: Float = .nan
    }

    /// `initial`: trained encoder weights to start from (a fine-tune); its config replaces `encoderConfig`.
    public init(
        data: TrainingData, model: NeRFModel, config: EncoderTrainConfig,
        encoderConfig: EncoderConfig = EncoderConfig(),
        initial: PhotoEncoder? = nil
    ) throws {
        self.data = data
        self.model = model
        self.config = config
        codeRows = try Self.codeRows(data: data, model: model)
        // A fine-tune keeps the starting encoder's shape, so its input size and code length are the ones to check.
        var ec = initial?.config ?? encoderConfig
        guard data.width == data.height else {
            throw ModelError("the encoder takes square views; the data has \(data.width)x\(data.height)")
        }
        if initial != nil, ec.codeDim != model.config.decoder.codeDim {
            throw ModelError(
                "the starting encoder makes \(ec.codeDim)-float codes; the decoder takes \(model.config.decoder.codeDim)"
            )
        }
        ec.codeDim = model.config.decoder.codeDim
        rng = SplitMix64(seed: config.seed)
        var initRNG = rng.split()
        encoder = PhotoEncoder(config: ec, rng: &initRNG)
        if let initial {
            for ((_, dst), (_, src)) in zip(encoder.parameters, initial.parameters) { dst.copy(from: src) }
        }
        grads = encoder.parameters.map { ($0.name, Tensor($0.tensor.shape)) }
        codeVariance = model.codeVariance
        occupancy = OccupancyCache(objects: data.count, settings: config.skipping)
        let trainsDecoder = (config.decoderLR ?? 0) > 0
        field = trainsDecoder ? model.field.copy() : model.field
        decoderGrads = trainsDecoder ? ParameterGradients(like: field.parameters) : nil
    }

    /// Row of the model's code table for each object of the data; an error for an object the
    /// decoder was not trained on.
    static func codeRows(data: TrainingData, model: NeRFModel) throws -> [Int] {
        let index = Dictionary(model.config.objects.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return try data.ids.map { id in
            guard let row = index[id] else {
                throw ModelError(
                    "object \(id) of the data has no code in the model: train the encoder on the decoder's training set"
                )
            }
            return row
        }
    }

    public func lrScale(_ s: Int) -> Float {
        LearningRateSchedule.scale(
            step: s, steps: config.steps, decayFraction: config.decayFraction, finalScale: config.finalLRScale,
            warmup: config.warmupSteps ?? 0)
    }

    public var rendering: Bool { step >= config.renderFromStep }

    /// One step. Every rank draws and augments the whole batch alike (cheap beside the network)
    /// and runs the encoder on its share of the objects, as a batch of its own; each term is a mean
    /// over the batch, so a share's gradients and losses are weighted by its fraction of the batch and
    /// summed over the ranks.
    @discardableResult
    public func trainStep() -> Losses {
        let K0 = min(config.objectsPerBatch, data.count), V = config.viewsPerObject, B0 = K0 * V
        let D = encoder.config.codeDim, Vd = ViewCode.size, I = encoder.config.inputSize
        let Vo = encoder.config.viewDim, L = encoder.config.lightDim  // Vo = Vd + L outputs per image
        var objects: [Int] = [], views: [Int] = []
        while objects.count < K0 {
            let o = rng.nextInt(data.count)
            if !objects.contains(o) { objects.append(o) }
        }
        for o in objects {
            var picked: [Int] = []
            let n = data.viewCount(o)
            while picked.count < min(V, n) {
                let v = rng.nextInt(n)
                if !picked.contains(v) { picked.append(v) }
            }
            while picked.count < V { picked.append(picked[0]) }
            views += picked
        }
        let images = Tensor([B0, 3, I, I])
        var targetsView = [Float](repeating: 0, count: B0 * Vo)
        var poses: [ViewCode] = []
        for b in 0..<B0 {
            let (o, v) = (objects[b / V], views[b])
            let photometric = Profiler.measure("augment") {
                inputPixels(object: o, view: v) {
                    config.augmentation.apply(
                        pixels: $0, width: I, height: I, into: images.data + b * 3 * I * I, rng: &rng)
                }
            }
            let a = Rig.angles(of: data.cameras[o][v].position)
            let truth = ViewCode(
                azimuth: a.azimuth, elevation: a.elevation, gain: photometric.gain, bias: photometric.bias)
            targetsView.withUnsafeMutableBufferPointer {
                truth.encode(into: $0.baseAddress! + b * Vo)
                if L > 0 { data.lights[o][v].encode(into: $0.baseAddress! + b * Vo + Vd) }
            }
            poses.append(truth)
        }
        // This rank's objects: images [first, first + B) of the batch.
        let mine = group.share(of: K0), K = mine.count, B = K * V, first = mine.lowerBound * V
        let share = Float(K) / Float(K0)
        let acts = Profiler.measure("encoder forward") {
            encoder.forward(images: images.data + first * 3 * I * I, B: B)
        }
        var losses = Losses()
        let dIdentity = Tensor([B, D]), dView = Tensor([B, Vo])
        // Identity code regression and consistency, relative to the code table's variance.
        let codeWeight = rendering ? config.codeWeightWhileRendering : config.codeWeight
        for b in 0..<B {
            let row = codeRows[objects[(first + b) / V]]
            for d in 0..<D {
                let e = acts.identity[b * D + d] - model.codes[row * D + d]
                losses.code += e * e / (Float(B * D) * codeVariance)
                dIdentity[b * D + d] += codeWeight * 2 * e / (Float(B * D) * codeVariance)
            }
        }
        if V > 1 {
            for k in 0..<K {
                for v in 1..<V {
                    let a = k * V, b = k * V + v
                    for d in 0..<D {
                        let e = acts.identity[b * D + d] - acts.identity[a * D + d]
                        let scale = Float(K * (V - 1) * D) * codeVariance
                        losses.consistency += e * e / scale
                        dIdentity[b * D + d] += config.consistencyWeight * 2 * e / scale
                        dIdentity[a * D + d] -= config.consistencyWeight * 2 * e / scale
                    }
                }
            }
        }
        for b in 0..<B {
            for k in 0..<Vo {
                let e = acts.view[b * Vo + k] - targetsView[(first + b) * Vo + k]
                let pose = k < 4, light = k >= Vd
                if light {
                    losses.light += e * e / Float(B)
                } else if pose {
                    losses.pose += e * e / Float(B)
                } else {
                    losses.photometric += e * e / Float(B)
                }
                let weight = light ? config.lightWeight : pose ? config.poseWeight : config.photometricWeight
                dView[b * Vo + k] = weight * 2 * e / Float(B)
            }
            let predicted = ViewCode(encoded: acts.view.data + b * Vo)
            losses.azimuthError += ViewCode.azimuthError(predicted.azimuth, poses[first + b].azimuth) / Double(B)
        }
        adam.beginStep()
        if rendering || step % 10 == 0 {
            // During regression the rendering error is only watched (a few rays, every 10 steps).
            let Q = rendering ? config.raysPerImage : 32
            let dCodes = Tensor([B, D])
            losses.render = Profiler.measure("render") {
                renderLoss(
                    codes: acts.identity, objects: (0..<B0).map { objects[$0 / V] }, inputViews: views, Q: Q,
                    images: first..<(first + B), dCodes: rendering ? dCodes : nil)
            }
            if rendering { for k in 0..<(B * D) { dIdentity[k] += config.renderWeight * dCodes[k] } }
        }
        for g in grads { g.tensor.zero() }
        if group.size > 1 {
            // The share's means weighted by its fraction of the batch: their sum is the batch's mean.
            for k in 0..<(B * D) { dIdentity[k] *= share }
            for k in 0..<(B * Vo) { dView[k] *= share }
        }
        Profiler.measure("encoder backward") {
            encoder.backward(
                dIdentity: dIdentity.data, dView: dView.data, acts: acts, images: images.data + first * 3 * I * I,
                grads: grads)
        }
        if group.size > 1 { losses = reduce(losses, share: share, rendered: rendering || step % 10 == 0) }
        if let decoderGrads, rendering {
            let lr = (config.decoderLR ?? 0) * lrScale(step + 1)
            for ((name, p), g) in zip(field.parameters, decoderGrads.tensors) {
                adam.update(name, param: p, grad: g, lr: lr)
            }
        }
        step += 1
        let lr = config.lr * lrScale(step)
        for ((name, p), (_, g)) in zip(encoder.parameters, grads) { adam.update(name, param: p, grad: g, lr: lr) }
        return losses
    }

    /// Sums the ranks' encoder (and training decoder's) gradients and their losses, each weighted by
    /// its share of the batch.
    func reduce(_ l: Losses, share: Float, rendered: Bool) -> Losses {
        var scalars = [l.code, l.pose, l.photometric, l.consistency, l.light, Float(l.azimuthError), l.render].map {
            $0 * share
        }
        if !rendered { scalars[6] = 0 }
        var tensors = grads.map(\.tensor)
        if let decoderGrads, rendering {
            for g in decoderGrads.tensors {
                for k in 0..<g.count { g[k] *= share }
            }
            tensors += decoderGrads.tensors
        }
        Profiler.measure("allreduce") { group.sum(tensors, scalars: &scalars) }
        var out = Losses()
        (out.code, out.pose, out.photometric, out.consistency, out.light) = (
            scalars[0], scalars[1], scalars[2], scalars[3], scalars[4]
        )
        out.azimuthError = Double(scalars[5])
        out.render = rendered ? scalars[6] : .nan
        return out
    }

    /// The view's pixels at the encoder's input size (resampled when the data has another size).
    func inputPixels<T>(object o: Int, view v: Int, _ body: (UnsafePointer<UInt8>) -> T) -> T {
        Self.inputPixels(data: data, side: encoder.config.inputSize, object: o, view: v, body)
    }

    /// A view's pixels (I, I, 3) at side I (resampled when the data has another size).
    static func inputPixels<T>(
        data: TrainingData, side I: Int, object o: Int, view v: Int, _ body: (UnsafePointer<UInt8>) -> T
    ) -> T {
        guard data.width != I || data.height != I else { return body(data.pixels(object: o, view: v)) }
        let px = data.pixels(object: o, view: v)
        var image = RGBAImage(width: data.width, height: data.height)
        for k in 0..<(data.width * data.height) {
            for c in 0..<3 { image.pixels[4 * k + c] = Float(px[3 * k + c]) / 255 }
        }
        return TrainingData.bytes(of: Resample.resize(image, width: I, height: I)).withUnsafeBufferPointer {
            body($0.baseAddress!)
        }
    }

    /// Q random pixels of each image's object (B) in views other than its input view, with their
    /// sample jitter and probe flags drawn: the rays of the encoders' rendering losses.
    static func otherViewRays(
        data: TrainingData, objects: [Int], inputViews: [Int], Q: Int, samples: Int, probeFraction: Float,
        rng: inout SplitMix64
    ) -> RayBatch {
        var rays = RayBatch(rays: objects.count * Q, samples: samples)
        for (b, o) in objects.enumerated() {
            for q in 0..<Q {
                data.drawRay(object: o, excluding: inputViews[b], rng: &rng, slot: b * Q + q, into: &rays)
            }
        }
        rays.drawSampling(rng: &rng, probeFraction: probeFraction)
        return rays
    }

    /// MSE of rendering codes (B, D) at Q random pixels of other views of each image's object;
    /// puts d MSE / d codes into dCodes when given. Empty space is skipped with the grid of the
    /// object's own code (the prediction is near it; probe rays cover the rest). The rays are drawn
    /// for every image of the batch (B0: `objects`, `inputViews`) and `images` (B of them, nil: all)
    /// are rendered, so that every rank's random stream stays the same.
    func renderLoss(
        codes: Tensor, objects allObjects: [Int], inputViews: [Int], Q: Int, images: Range<Int>? = nil,
        dCodes: Tensor?
    ) -> Float {
        let images = images ?? 0..<allObjects.count
        let objects = Array(allObjects[images]), B = objects.count, R = B * Q, D = field.spec.codeDim
        if renderSteps[R] == nil { renderSteps[R] = RenderStep(field: field, objects: B, rays: R) }
        let render = renderSteps[R]!
        let allRays = Self.otherViewRays(
            data: data, objects: allObjects, inputViews: inputViews, Q: Q, samples: field.spec.samplesPerRay,
            probeFraction: config.skipping.probeRayFraction, rng: &rng)
        let rays = B == allObjects.count ? allRays : allRays.slice((images.lowerBound * Q)..<(images.upperBound * Q))
        // A frozen decoder's grids never go stale; a training one's are rebuilt as in decoder training.
        let grids = objects.map { o in
            occupancy.grid(o, step: step, refreshing: decoderGrads != nil, field: field) {
                field.state(of: Array(UnsafeBufferPointer(start: model.codes.data + codeRows[o] * D, count: D)))
            }
        }
        // (Adam is blind to the loss's scale, so the decoder needs no renderWeight.)
        decoderGrads?.zero()
        let values = render.run(
            rays: rays, codes: codes.data, losses: [PhotometricMSE()], grads: decoderGrads, backward: dCodes != nil
        ) { _ in
            grids
        }
        if let dCodes { dCodes.copy(from: render.dCodes) }
        return values[0]
    }

    // MARK: checkpoints

    /// A checkpoint's trainer state (both encoders' trainers write one).
    struct State: Codable {
        var step: Int
        var rng: SplitMix64
        var adamStep: Int
        var train: EncoderTrainConfig
        /// The trained network's shape.
        var encoder: EncoderConfig
        var objects: [String]
        /// Ranks of the run (nil: a checkpoint from before MPI, one rank).
        var ranks: Int?
    }

    /// The model with this encoder attached (and the trained decoder, when it trained).
    public func modelWithEncoder(notes: [String: String] = [:]) -> NeRFModel {
        var config = model.config
        config.encoder = encoder.config
        config.encoderTraining = self.config
        for (k, v) in notes { config.notes["encoder_" + k] = v }
        return NeRFModel(
            config: config, field: field, codes: model.codes, encoder: encoder, attributes: model.attributes)
    }

    public func saveCheckpoint(_ path: String) throws {
        let state = State(
            step: step, rng: rng, adamStep: adam.step, train: config, encoder: encoder.config, objects: data.ids,
            ranks: group.size)
        let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        let extra =
            adam.stateTensors().map { (name: "adam.\($0.0)", tensor: $0.1) }
            + occupancy.tensors(resolution: field.spec.occupancyResolution, prefix: "encoder_trainer")
        try modelWithEncoder().save(to: path, dtype: .f32, extra: extra, metadata: ["encoder_trainer_state": json])
    }

    public func restore(from path: String) throws {
        let (saved, contents) = try NeRFModel.load(path)
        guard let json = contents.metadata["encoder_trainer_state"],
            let state = try? JSONDecoder().decode(State.self, from: Data(json.utf8))
        else {
            throw FileError(path: path, reason: "not an encoder training checkpoint (no trainer state)")
        }
        try ResumeCheck.validate(saved: state.train, current: config, step: state.step, path: path)
        try ResumeCheck.validate(savedRanks: state.ranks, current: group.size, path: path)
        guard state.objects == data.ids else {
            throw FileError(path: path, reason: "checkpoint was trained on other objects")
        }
        guard state.encoder == encoder.config, let enc = saved.encoder else {
            throw FileError(path: path, reason: "checkpoint encoder config differs")
        }
        for ((_, dst), (_, src)) in zip(encoder.parameters, enc.parameters) { dst.copy(from: src) }
        if decoderGrads != nil { field.copyWeights(from: saved.field) }
        adam.restore(step: state.adamStep, tensors: contents.tensors(prefixed: "adam."))
        rng = state.rng
        step = state.step
        try occupancy.restore(
            contents.named,
            resolution: field.spec.occupancyResolution, box: Float(field.spec.box), prefix: "encoder_trainer",
            path: path)
    }
}
