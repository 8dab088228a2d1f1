import FileIO
import Foundation
import Geometry
import Imaging
import NeuralCore

// Trains the iterative encoder against a trained decoder (frozen) and its one-shot encoder (the
// start of every iteration chain). B objects per batch, one view each; T iterations; I the input
// side; D code length; V + L view-head floats; Q rays per image for the rendering loss.

/// One iterative-encoder training run: everything `--resume` needs. Each step draws B views, starts
/// from the one-shot encoder's estimate of each, and runs T iterations: render the estimate at its
/// own view, feed (photo, render) to the network, move the estimate by its outputs, and score the
/// moved estimate (the object's table code, the true pose, photometric code and light, and renders
/// of the moved code at other views). Gradients of the T iterations add up; none flows from one
/// iteration into another.
public final class IterativeEncoderTrainer {
    public let data: TrainingData
    public let model: NeRFModel
    public let config: EncoderTrainConfig
    public let iterative: IterativeEncoder
    let oneShot: PhotoEncoder
    let adam = Adam()
    public var rng: SplitMix64
    public var step = 0
    let grads: [(name: String, tensor: Tensor)]
    /// Row of the model's code table for each training object.
    let codeRows: [Int]
    let codeVariance: Float
    /// Each object's grid, from its table code: the estimate is rendered with it (no lattice query
    /// per estimate), and the rendering loss skips empty space with it.
    let occupancy: OccupancyCache
    var renderSteps: [Int: RenderStep] = [:]
    /// With a residual head: its map onto the planes, and one object's render through a field that
    /// carries a residual (a layered field's residual is shared by its batch, so each object of
    /// the batch is rendered on its own).
    public let residualMap: PlaneResidualMap?
    private lazy var layered: (field: LayeredField, step: RenderStep)? = residualMap.map { map in
        let generator = model.field as! any LayeredGenerator  // `PlaneResidualMap` checked it
        let field = map.field(generator, residual: [Float](repeating: 0, count: map.count))
        return (field, RenderStep(field: field, objects: 1, rays: config.raysPerImage))
    }
    /// The ranks the batch is split over (one process unless mpirun started several).
    public var group = Communicator.single

    public struct Losses {
        public var code: Float = 0, pose: Float = 0, photometric: Float = 0, light: Float = 0
        /// Mean azimuth error of the batch before the first iteration and after each, degrees (T + 1).
        public var azimuthError: [Double] = []
        /// MSE of renders at other views of the start code and after each iteration (T + 1).
        public var render: [Float] = []
        /// Mean square of the residual head's outputs (0 without one).
        public var residual: Float = 0
    }

    public var iterations: Int { config.iterations ?? 1 }

    /// `initial`: iterative weights to start from (a fine-tune); nil: `IterativeEncoder.network`
    /// for the model's one-shot encoder (zero heads).
    public init(data: TrainingData, model: NeRFModel, config: EncoderTrainConfig, initial: PhotoEncoder? = nil) throws {
        self.data = data
        self.model = model
        self.config = config
        oneShot = try model.requireEncoder()
        codeRows = try EncoderTrainer.codeRows(data: data, model: model)
        guard data.width == oneShot.config.inputSize, data.height == oneShot.config.inputSize else {
            throw ModelError(
                "the iterative encoder takes views at its encoder's side, \(oneShot.config.inputSize); the data has \(data.width)x\(data.height)"
            )
        }
        rng = SplitMix64(seed: config.seed)
        var initRNG = rng.split()
        var head: (side: Int, channels: Int, scale: Float)? = nil
        if let side = config.residualSide, side > 0 {
            guard let generator = model.field as? any LayeredGenerator,
                case .triplane(_, let C) = generator.latentLayers.last?.layout
            else { throw ModelError("--residual-side needs a field with planes; this one is \(model.field.spec.kind)") }
            head = (side, C, generator.layerScales(code: model.meanCode).last ?? 1)
        }
        let net = IterativeEncoder.network(for: oneShot, rng: &initRNG, residual: head)
        if let initial {
            // A start without a residual head gives the rest of the network; the head starts as new.
            var shape = net.config
            if initial.config.residualSide == 0 {
                (shape.residualSide, shape.residualChannels, shape.residualHidden, shape.residualScale) = (0, 0, 0, 0)
            }
            guard initial.config == shape else {
                throw ModelError("the starting iterative encoder's shape differs from this model's encoder")
            }
            let own = Dictionary(uniqueKeysWithValues: net.parameters.map { ($0.name, $0.tensor) })
            for (name, src) in initial.parameters { own[name]!.copy(from: src) }
        }
        iterative = IterativeEncoder(network: net, oneShot: oneShot)
        grads = net.parameters.map { ($0.name, Tensor($0.tensor.shape)) }
        codeVariance = model.codeVariance
        occupancy = OccupancyCache(objects: data.count, settings: config.skipping)
        residualMap = try PlaneResidualMap(config: net.config, field: model.field)
    }

    public func lrScale(_ s: Int) -> Float {
        LearningRateSchedule.scale(
            step: s, steps: config.steps, decayFraction: config.decayFraction, finalScale: config.finalLRScale,
            warmup: config.warmupSteps ?? 0)
    }

    /// Object o's grid (from its table code).
    func grid(_ o: Int) -> OccupancyGrid? {
        let D = model.config.decoder.codeDim
        return occupancy.grid(o, step: step, refreshing: false, field: model.field) {
            model.field.state(of: Array(UnsafeBufferPointer(start: model.codes.data + codeRows[o] * D, count: D)))
        }
    }

    /// One step. Under MPI every rank draws and augments the whole batch alike and runs the
    /// iterations on its share of the views as a batch of its own; each term is a mean over the
    /// batch, so a share's gradients and losses are weighted by its fraction and summed over the ranks.
    @discardableResult
    public func trainStep() -> Losses {
        let B0 = min(config.objectsPerBatch, data.count), T = iterations, I = iterative.inputSize
        let D = model.config.decoder.codeDim, L = iterative.network.config.lightDim, Vo = ViewCode.size + L
        let field = model.field
        var allObjects: [Int] = []
        while allObjects.count < B0 {
            let o = rng.nextInt(data.count)
            if !allObjects.contains(o) { allObjects.append(o) }
        }
        let allViews = allObjects.map { rng.nextInt(data.viewCount($0)) }
        // The augmented photos (B, I, I, 3) and what the truth is for each.
        var photos: [[Float]] = [], truths: [[Float]] = [], trueAzimuths: [Double] = []
        let chw = Tensor([3, I, I])
        for (o, v) in zip(allObjects, allViews) {
            let photometric = EncoderTrainer.inputPixels(data: data, side: I, object: o, view: v) {
                config.augmentation.apply(pixels: $0, width: I, height: I, into: chw.data, rng: &rng)
            }
            var hwc = [Float](repeating: 0, count: I * I * 3)
            for c in 0..<3 { for k in 0..<(I * I) { hwc[3 * k + c] = chw[c * I * I + k] } }
            photos.append(hwc)
            let a = Rig.angles(of: data.cameras[o][v].position)
            trueAzimuths.append(a.azimuth)
            let truth = ViewCode(
                azimuth: a.azimuth, elevation: a.elevation, gain: photometric.gain, bias: photometric.bias)
            truths.append(IterativeEncoder.encoded(view: truth, light: data.lights[o][v], lightDim: L))
        }
        // This rank's views of the batch.
        let mine = group.share(of: B0), B = mine.count, share = Float(B) / Float(B0)
        let objects = Array(allObjects[mine]), views = Array(allViews[mine])
        photos = Array(photos[mine])
        truths = Array(truths[mine])
        trueAzimuths = Array(trueAzimuths[mine])
        let F = oneShot.config.features
        var photoFeatures: [[Float]] = []  // (B, F) the one-shot encoder's features of each photo
        var estimates: [LatentEstimate] = Profiler.measure("one-shot start") {
            photos.map { photo in
                let s = Inversion.encodeWithFeatures(oneShot, photo: photo, width: I, height: I)
                photoFeatures.append(s.features)
                return LatentEstimate(code: s.code, view: s.view, light: s.light)
            }
        }
        let context = Tensor([B, F])  // (B, F) each photo's features minus its render's
        var losses = Losses()
        func azimuthError() -> Double {
            zip(estimates, trueAzimuths).reduce(0) { $0 + ViewCode.azimuthError($1.0.view.azimuth, $1.1) } / Double(B)
        }
        losses.azimuthError.append(azimuthError())
        for g in grads { g.tensor.zero() }
        let input = Tensor([B, 6, I, I])
        for t in 0..<T {
            for b in 0..<B {
                let render = Profiler.measure("render estimate") {
                    IterativeEncoder.render(
                        field: field, estimate: estimates[b], side: I, distance: model.config.cameraDistance,
                        fov: model.config.fovDegrees, grid: grid(objects[b]), map: residualMap)
                }
                let difference = Profiler.measure("one-shot features of the render") {
                    iterative.context(photoFeatures: photoFeatures[b], render: render)
                }
                for f in 0..<F { context[b * F + f] = difference[f] }
                photos[b].withUnsafeBufferPointer { p in
                    render.withUnsafeBufferPointer { r in
                        IterativeEncoder.packInput(
                            photo: p.baseAddress!, render: r.baseAddress!, side: I, into: input.data + b * 6 * I * I)
                    }
                }
            }
            let acts = Profiler.measure("encoder forward") {
                iterative.network.forward(images: input.data, B: B, context: context.data)
            }
            let K = acts.residual.count / B
            let moved = (0..<B).map { b in
                IterativeEncoder.update(
                    estimates[b], identity: acts.identity.data + b * D, view: acts.view.data + b * Vo, lightDim: L,
                    residual: acts.residual.data + b * K, map: residualMap)
            }
            // The moved estimate's terms; an update's gradient is its moved value's (they differ by a constant).
            let dIdentity = Tensor([B, D]), dView = Tensor([B, Vo])
            let codes = Tensor([B, D])
            let last = t == T - 1
            for b in 0..<B {
                let row = codeRows[objects[b]]
                for d in 0..<D {
                    codes[b * D + d] = moved[b].code[d]
                    let e = moved[b].code[d] - model.codes[row * D + d]
                    if last { losses.code += e * e / (Float(B * D) * codeVariance) }
                    dIdentity[b * D + d] = config.codeWeightWhileRendering * 2 * e / (Float(B * D * T) * codeVariance)
                }
                // Scored on the head's raw update (previous layout + output), as the one-shot
                // encoder's raw outputs are: unnormalised sin/cos pairs and light directions included.
                let before = IterativeEncoder.encoded(view: estimates[b].view, light: estimates[b].light, lightDim: L)
                for k in 0..<Vo {
                    let raw = before[k] + acts.view[b * Vo + k]
                    let e = raw - truths[b][k]
                    let light = k >= ViewCode.size, pose = k < 4
                    if last {
                        if light {
                            losses.light += e * e / Float(B)
                        } else if pose {
                            losses.pose += e * e / Float(B)
                        } else {
                            losses.photometric += e * e / Float(B)
                        }
                    }
                    let weight = light ? config.lightWeight : pose ? config.poseWeight : config.photometricWeight
                    dView[b * Vo + k] = weight * 2 * e / Float(B * T)
                }
            }
            if t == 0 {
                losses.render.append(
                    renderLoss(
                        codes: Tensor([B, D], values: estimates.flatMap(\.code)), objects: allObjects,
                        inputViews: allViews, images: mine, dCodes: nil))
            }
            let dCodes = Tensor([B, D])
            let dResidual = Tensor([B * K])  // (B, K)
            losses.render.append(
                Profiler.measure("render loss") {
                    guard let map = residualMap else {
                        return renderLoss(
                            codes: codes, objects: allObjects, inputViews: allViews, images: mine, dCodes: dCodes)
                    }
                    return layeredRenderLoss(
                        codes: codes, residuals: moved.map { $0.residual! }, objects: allObjects, inputViews: allViews,
                        images: mine, dCodes: dCodes, dResidual: dResidual, map: map)
                })
            for k in 0..<(B * D) { dIdentity[k] += config.renderWeight * dCodes[k] / Float(T) }
            // The head's outputs: the rendering loss's gradient, plus the size term w mean(θ²).
            let w = config.residualWeight ?? 0
            for k in 0..<(B * K) {
                let theta = acts.residual[k]
                if last { losses.residual += theta * theta / Float(B * K) }
                dResidual[k] = config.renderWeight * dResidual[k] / Float(T) + w * 2 * theta / Float(B * K * T)
            }
            if group.size > 1 {
                for k in 0..<(B * D) { dIdentity[k] *= share }
                for k in 0..<(B * Vo) { dView[k] *= share }
                for k in 0..<(B * K) { dResidual[k] *= share }
            }
            Profiler.measure("encoder backward") {
                iterative.network.backward(
                    dIdentity: dIdentity.data, dView: dView.data, dResidual: K > 0 ? dResidual.data : nil, acts: acts,
                    images: input.data, grads: grads)
            }
            estimates = moved
            losses.azimuthError.append(azimuthError())
        }
        if group.size > 1 { losses = reduce(losses, share: share) }
        adam.beginStep()
        step += 1
        let lr = config.lr * lrScale(step)
        let residualLR = lr * (config.residualLRScale ?? 1)
        for ((name, p), (_, g)) in zip(iterative.network.parameters, grads) {
            adam.update(name, param: p, grad: g, lr: name.hasPrefix(IterativeEncoder.prefix + ".res") ? residualLR : lr)
        }
        return losses
    }

    /// The ranks' gradients and losses summed, each weighted by its share of the batch.
    func reduce(_ l: Losses, share: Float) -> Losses {
        var scalars = [l.code, l.pose, l.photometric, l.light, l.residual] + l.azimuthError.map(Float.init) + l.render
        for k in scalars.indices { scalars[k] *= share }
        Profiler.measure("allreduce") { group.sum(grads.map(\.tensor), scalars: &scalars) }
        var out = Losses()
        (out.code, out.pose, out.photometric, out.light) = (scalars[0], scalars[1], scalars[2], scalars[3])
        out.residual = scalars[4]
        let A = l.azimuthError.count
        out.azimuthError = scalars[5..<(5 + A)].map(Double.init)
        out.render = Array(scalars[(5 + A)...])
        return out
    }

    /// MSE of rendering codes (B, D) at `raysPerImage` random pixels of other views of each
    /// image's object; d MSE / d codes into dCodes when given. The rays are drawn for every image
    /// of the batch (`objects`, `inputViews`) and `images` of them (nil: all) are rendered, so that
    /// every rank's random stream stays the same.
    func renderLoss(
        codes: Tensor, objects allObjects: [Int], inputViews: [Int], images: Range<Int>? = nil, dCodes: Tensor?
    ) -> Float {
        let images = images ?? 0..<allObjects.count
        let objects = Array(allObjects[images])
        let B = objects.count, Q = config.raysPerImage, R = B * Q
        if renderSteps[R] == nil { renderSteps[R] = RenderStep(field: model.field, objects: B, rays: R) }
        let render = renderSteps[R]!
        let allRays = EncoderTrainer.otherViewRays(
            data: data, objects: allObjects, inputViews: inputViews, Q: Q, samples: model.field.spec.samplesPerRay,
            probeFraction: config.skipping.probeRayFraction, rng: &rng)
        let rays =
            B == allObjects.count ? allRays : allRays.slice((images.lowerBound * Q)..<(images.upperBound * Q))
        let grids = objects.map { grid($0) }
        let values = render.run(
            rays: rays, codes: codes.data, losses: [PhotometricMSE()], grads: nil, backward: dCodes != nil
        ) { _ in grids }
        if let dCodes { dCodes.copy(from: render.dCodes) }
        return values[0]
    }

    /// `renderLoss` with each image's planes residual (E) too: the images are rendered one at a
    /// time through a layered field, and d MSE / d residual is mapped back onto the head's output
    /// (B, K) in dResidual. The same rays as `renderLoss` draws; the same value (a mean over images
    /// of equal ray counts).
    func layeredRenderLoss(
        codes: Tensor, residuals: [[Float]], objects allObjects: [Int], inputViews: [Int], images: Range<Int>,
        dCodes: Tensor, dResidual: Tensor, map: PlaneResidualMap
    ) -> Float {
        let (field, render) = layered!
        let Q = config.raysPerImage, D = model.config.decoder.codeDim, B = images.count, K = map.coarseCount
        let allRays = EncoderTrainer.otherViewRays(
            data: data, objects: allObjects, inputViews: inputViews, Q: Q, samples: model.field.spec.samplesPerRay,
            probeFraction: config.skipping.probeRayFraction, rng: &rng)
        let planes = field.residuals[map.layerIndex]!, dPlanes = field.gradients[map.layerIndex]!
        var total: Float = 0
        for b in 0..<B {
            let image = images.lowerBound + b, object = allObjects[image]
            residuals[b].withUnsafeBufferPointer { planes.data.update(from: $0.baseAddress!, count: map.count) }
            dPlanes.zero()
            let rays = allRays.slice((image * Q)..<((image + 1) * Q))
            let values = render.run(
                rays: rays, codes: codes.data + b * D, losses: [PhotometricMSE()], grads: nil, backward: true
            ) { _ in [grid(object)] }
            total += values[0] / Float(B)
            // Each image's MSE is over its own rays; the batch's is their mean.
            for d in 0..<D { dCodes[b * D + d] = render.dCodes[d] / Float(B) }
            for k in 0..<map.count { dPlanes[k] /= Float(B) }
            map.backward(dTheta: dResidual.data + b * K, dPlanes: dPlanes.data)
        }
        return total
    }

    // MARK: checkpoints

    /// The model with this iterative encoder attached (and how it was trained).
    public func modelWithIterative(notes: [String: String] = [:]) -> NeRFModel {
        model.with(iterative: iterative, training: config, notes: notes.mapKeys { "iterative_" + $0 })
    }

    public func saveCheckpoint(_ path: String) throws {
        let state = EncoderTrainer.State(
            step: step, rng: rng, adamStep: adam.step, train: config, encoder: iterative.network.config,
            objects: data.ids, ranks: group.size)
        let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        let extra = adam.stateTensors().map { (name: "adam.\($0.0)", tensor: $0.1) }
        try modelWithIterative().save(to: path, dtype: .f32, extra: extra, metadata: ["iterative_trainer_state": json])
    }

    public func restore(from path: String) throws {
        let (saved, contents) = try NeRFModel.load(path)
        guard let json = contents.metadata["iterative_trainer_state"],
            let state = try? JSONDecoder().decode(EncoderTrainer.State.self, from: Data(json.utf8))
        else {
            throw FileError(path: path, reason: "not an iterative-encoder training checkpoint (no trainer state)")
        }
        try ResumeCheck.validate(saved: state.train, current: config, step: state.step, path: path)
        try ResumeCheck.validate(savedRanks: state.ranks, current: group.size, path: path)
        guard state.objects == data.ids else {
            throw FileError(path: path, reason: "checkpoint was trained on other objects")
        }
        guard state.encoder == iterative.network.config, let net = saved.iterativeEncoder else {
            throw FileError(path: path, reason: "checkpoint's iterative encoder config differs")
        }
        for ((_, dst), (_, src)) in zip(iterative.network.parameters, net.network.parameters) { dst.copy(from: src) }
        adam.restore(step: state.adamStep, tensors: contents.tensors(prefixed: "adam."))
        rng = state.rng
        step = state.step
    }
}

extension Dictionary where Key == String {
    /// The same values under keys `transform` makes.
    func mapKeys(_ transform: (String) -> String) -> [String: Value] {
        Dictionary(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
