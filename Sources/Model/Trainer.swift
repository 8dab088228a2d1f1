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
    /// Evaluate the decoder only where each object's occupancy grid (from its current code) says
    /// there may be density, as inference does; about a third of the samples remain.
    public var skipEmptySpace = true
    /// Steps of plain sampling first: a fresh decoder's density is noise, its grids mean nothing.
    public var skipWarmupSteps = 2000
    /// An object's grid is rebuilt from its code when it is this many steps old (codes and weights
    /// drift slowly once the warm-up is over; a rebuild costs one 33^3 decoder evaluation).
    public var gridRefreshSteps = 2000
    /// Fraction of rays sampled everywhere regardless of the grid, so density outside it still
    /// gets gradients (floaters fade, missing parts can grow).
    public var probeRayFraction = 0.0625
    /// Steps of linear learning-rate ramp from 0 (for a fine-tune; see LearningRateSchedule).
    public var warmupSteps = 0
    /// The model a fine-tune started from (`train --init-model`), nil for a run from scratch.
    public var initialModel: String?
    public init() {}

    /// Missing keys keep their defaults, so configs written before a field existed still load.
    public init(from coder: Decoder) throws {
        let c = try coder.container(keyedBy: CodingKeys.self)
        var d = TrainConfig()
        func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
        }
        try read(.steps, &d.steps); try read(.objectsPerBatch, &d.objectsPerBatch); try read(.raysPerObject, &d.raysPerObject)
        try read(.lrDecoder, &d.lrDecoder); try read(.lrCodes, &d.lrCodes); try read(.codePrior, &d.codePrior)
        try read(.codeInitStd, &d.codeInitStd); try read(.decayFraction, &d.decayFraction); try read(.finalLRScale, &d.finalLRScale)
        try read(.seed, &d.seed); try read(.skipEmptySpace, &d.skipEmptySpace); try read(.skipWarmupSteps, &d.skipWarmupSteps)
        try read(.gridRefreshSteps, &d.gridRefreshSteps); try read(.probeRayFraction, &d.probeRayFraction)
        try read(.warmupSteps, &d.warmupSteps); d.initialModel = try c.decodeIfPresent(String.self, forKey: .initialModel)
        self = d
    }
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
    /// Each object's occupancy grid and the step it was built at (nil before the first build).
    /// Samples the decoder evaluated in the last step (the rest were skipped as empty).
    public var evaluatedSamples: Int { workspace?.selection.M ?? 0 }
    var grids: [OccupancyGrid?]                   // (O)
    var gridSteps: [Int]                          // (O)
    /// Grid resolution: the one inference uses, so training sees the empty space inference skips.
    static let gridResolution = 32

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
        let sigma: Tensor        // (N) density of every sample, 0 where skipped
        let color: Tensor        // (N, 3)
        let keptPoints: Tensor   // (M, 3), M ≤ N: the samples the decoder evaluates
        let dSigmaKept: Tensor   // (M)
        let dColorKept: Tensor   // (M, 3)
        let selection = SampleSelection()
        init(_ c: DecoderConfig, B: Int, R: Int, S: Int) {
            let N = R * S
            acts = TriplaneDecoder.Activations(config: c, B: B, N: N)
            batchCodes = Tensor([B, c.codeDim]); t = Tensor([R, S]); delta = Tensor([R, S]); points = Tensor([N, 3])
            rgb = Tensor([R, 3]); opacity = Tensor([R]); weights = Tensor([R, S]); dRGB = Tensor([R, 3])
            dSigma = Tensor([N]); dColor = Tensor([N, 3]); dCodes = Tensor([B, c.codeDim])
            sigma = Tensor([N]); color = Tensor([N, 3]); keptPoints = Tensor([N, 3]); dSigmaKept = Tensor([N]); dColorKept = Tensor([N, 3])
        }

        /// Forward through the kept samples only; afterwards `sigma`/`color` hold every sample (R, S)
        /// and `acts` the kept ones. planes must already be in `acts.planes`.
        func field(_ decoder: TriplaneDecoder, grids: [OccupancyGrid?], probe: [Bool], R: Int, S: Int) {
            Profiler.measure("select") {
                selection.select(points: points.data, grids: grids, probe: probe, R: R, S: S)
                selection.gather(keptPoints.data, from: points.data, width: 3)
                acts.setCounts(selection.counts)
            }
            Profiler.measure("field") { decoder.field(points: keptPoints.data, acts: acts) }
            Profiler.measure("select") {
                selection.scatter(sigma.data, from: acts.sigma.data, width: 1, N: R * S)
                selection.scatter(color.data, from: acts.rgb.data, width: 3, N: R * S)
            }
        }

        /// Moves `dSigma`/`dColor` (all samples) to the kept ones for the decoder's backward.
        func gatherGradients() {
            Profiler.measure("select") {
                selection.gather(dSigmaKept.data, from: dSigma.data, width: 1)
                selection.gather(dColorKept.data, from: dColor.data, width: 3)
            }
        }

        /// Alpha-composites the samples of `field` into `rgb` and `opacity` (R) over the decoder's
        /// background, keeping the weights for `backward`.
        func composite(_ decoder: TriplaneDecoder, R: Int, S: Int) {
            Profiler.measure("composite") {
                VolumeComposite.forward(rgb: rgb.data, depth: nil, opacity: opacity.data, weights: weights.data, sigma: sigma.data,
                                        color: color.data, delta: delta.data, t: t.data, background: decoder.config.backgroundColour,
                                        R: R, S: S)
            }
        }

        /// From `dRGB` (R, 3) back through compositing and the decoder's kept samples: adds into
        /// grads (decoder weights), dCodes (B, D) and dPoints (M, 3, kept samples) where given.
        func backward(_ decoder: TriplaneDecoder, codes: UnsafePointer<Float>, grads: [(name: String, tensor: Tensor)]?,
                      dCodes: UnsafeMutablePointer<Float>?, dPoints: UnsafeMutablePointer<Float>?, R: Int, S: Int) {
            dSigma.zero(); dColor.zero()
            Profiler.measure("composite backward") {
                VolumeComposite.backward(dSigma: dSigma.data, dColor: dColor.data, dRGB: dRGB.data, dOpacity: nil, weights: weights.data,
                                         sigma: sigma.data, color: color.data, delta: delta.data,
                                         background: decoder.config.backgroundColour, R: R, S: S)
            }
            gatherGradients()
            Profiler.measure("decoder backward") {
                decoder.backward(dSigma: dSigmaKept.data, dRGB: dColorKept.data, acts: acts, codes: codes, points: keptPoints.data,
                                 grads: grads, dCodes: dCodes, dPoints: dPoints)
            }
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
        grids = [OccupancyGrid?](repeating: nil, count: data.ids.count)
        gridSteps = [Int](repeating: -1, count: data.ids.count)
    }

    /// Starts from a trained model's weights and codes (object o takes code o mod O') at step `step`:
    /// for fine-tuning, and for benchmarks that need a realistic density field to skip.
    public func warmStart(from model: NeRFModel, step: Int) {
        for ((_, dst), (_, src)) in zip(decoder.parameters, model.decoder.parameters) { dst.copy(from: src) }
        let O = codes.shape[0], D = codes.shape[1], source = model.codes.shape[0]
        for o in 0..<O { (codes.data + o * D).update(from: model.codes.data + (o % source) * D, count: D) }
        self.step = step
    }

    /// Whether this step skips empty space.
    var skipping: Bool { config.skipEmptySpace && step >= config.skipWarmupSteps }

    /// The grids of a batch's objects (nil = sample everywhere), rebuilding stale ones from the
    /// batch's planes (B, G).
    func batchGrids(_ objects: [Int], planes: UnsafePointer<Float>) -> [OccupancyGrid?] {
        guard skipping else { return [OccupancyGrid?](repeating: nil, count: objects.count) }
        return objects.enumerated().map { b, o in
            if grids[o] == nil || step - gridSteps[o] >= config.gridRefreshSteps {
                grids[o] = OccupancyGrid(decoder: decoder, planes: planes + b * decoder.config.planeCount, resolution: Self.gridResolution)
                gridSteps[o] = step
            }
            return grids[o]
        }
    }

    /// Learning-rate multiplier at a step: the warm-up ramp, 1, then a cosine fall over the last `decayFraction`.
    public func lrScale(_ s: Int) -> Float {
        LearningRateSchedule.scale(step: s, steps: config.steps, decayFraction: config.decayFraction, finalScale: config.finalLRScale,
                                   warmup: config.warmupSteps)
    }

    /// A batch: object indices (B) and, per ray, origin, direction and target colour.
    struct Batch {
        var objects: [Int]
        var origins: [Float]      // (R, 3)
        var directions: [Float]   // (R, 3)
        var targets: [Float]      // (R, 3)
        var jitter: [Float]       // (R, S)
        var probe: [Bool]         // (R) rays that ignore the occupancy grids
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
                          targets: [Float](repeating: 0, count: R * 3), jitter: [Float](repeating: 0, count: R * S),
                          probe: [Bool](repeating: false, count: R))
        for (b, o) in objects.enumerated() {
            let views = data.objects[o]
            for q in 0..<Q {
                TrainingData.drawRay(from: views, width: W, height: H, rng: &rng, slot: b * Q + q, origins: &batch.origins,
                                     directions: &batch.directions, targets: &batch.targets)
            }
        }
        for k in 0..<(R * S) { batch.jitter[k] = rng.nextFloat() }
        let probeFraction = Float(config.probeRayFraction)
        for r in 0..<R { batch.probe[r] = rng.nextFloat() < probeFraction }
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
        let grids = Profiler.measure("grids") { batchGrids(batch.objects, planes: acts.planes.data) }
        w.field(decoder, grids: grids, probe: batch.probe, R: R, S: S)
        w.composite(decoder, R: R, S: S)
        let rgb = w.rgb
        let loss = batch.targets.withUnsafeBufferPointer { MSELoss.forward(pred: rgb.data, target: $0.baseAddress!, N: R * 3) }

        // Backward.
        let dRGB = w.dRGB, dCodes = w.dCodes
        dRGB.zero(); dCodes.zero()
        batch.targets.withUnsafeBufferPointer { MSELoss.backward(dPred: dRGB.data, dLoss: 1, pred: rgb.data, target: $0.baseAddress!, N: R * 3) }
        Profiler.measure("zero grads") { for g in grads { g.tensor.zero() } }
        w.backward(decoder, codes: batchCodes.data, grads: grads, dCodes: dCodes.data, dPoints: nil, R: R, S: S)
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
        let extra = adam.stateTensors().map { (name: "adam.\($0.0)", tensor: $0.1) } + gridTensors()
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
        try restoreGrids(Dictionary(contents.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }), path: path)
    }

    /// Grid cells packed 16 to a float (exact in fp32), so a resumed run skips what the
    /// uninterrupted one would have: (O, ⌈G³/16⌉) bits and (O) build steps, -1 = none.
    static let bitsPerFloat = 16

    func gridTensors() -> [(name: String, tensor: Tensor)] {
        let G = Self.gridResolution, cells = G * G * G, W = (cells + Self.bitsPerFloat - 1) / Self.bitsPerFloat, O = grids.count
        let bits = Tensor([O, W]), steps = Tensor([O])
        for o in 0..<O {
            steps[o] = Float(grids[o] == nil ? -1 : gridSteps[o])
            guard let g = grids[o] else { continue }
            for k in 0..<cells where g.occupied[k] { bits[o * W + k / Self.bitsPerFloat] += Float(1 << (k % Self.bitsPerFloat)) }
        }
        return [("trainer.grid_bits", bits), ("trainer.grid_steps", steps)]
    }

    func restoreGrids(_ tensors: [String: Tensor], path: String) throws {
        let G = Self.gridResolution, cells = G * G * G, W = (cells + Self.bitsPerFloat - 1) / Self.bitsPerFloat, O = grids.count
        grids = [OccupancyGrid?](repeating: nil, count: O)
        gridSteps = [Int](repeating: -1, count: O)
        guard let bits = tensors["trainer.grid_bits"], let steps = tensors["trainer.grid_steps"] else { return }  // older checkpoints
        guard bits.shape == [O, W], steps.shape == [O] else { throw FileError(path: path, reason: "occupancy grids have the wrong shape") }
        for o in 0..<O where steps[o] >= 0 {
            var occupied = [Bool](repeating: false, count: cells)
            for k in 0..<cells { occupied[k] = (Int(bits[o * W + k / Self.bitsPerFloat]) >> (k % Self.bitsPerFloat)) & 1 == 1 }
            grids[o] = OccupancyGrid(resolution: G, box: Float(decoder.config.box), occupied: occupied)
            gridSteps[o] = Int(steps[o])
        }
    }
}
