import Datasets
import Foundation
import Geometry
import Imaging
import NeuralCore
import TestSupport
import XCTest

@testable import Model

// B images, I input side, D code length.

/// The iterative encoder: its six-channel network's gradients, the warm start that changes
/// nothing, the update in the encoder's layout, and its training run (learning, resuming, saving).
final class IterativeEncoderTests: XCTestCase {
    func oneShotConfig(side: Int = 16) -> EncoderConfig {
        var c = EncoderConfig()
        c.inputSize = side
        c.channels = [8, 8]
        c.features = 16
        c.codeDim = 8
        return c
    }

    /// Photo and render channels, heads reading a context beside the trunk's features, and the
    /// layered-residual head (a hidden layer, then the coarse planes): every
    /// weight's gradient against central differences (the checker's Double accumulation). The
    /// LeakyReLU's slope is 1 here, so no finite difference straddles a kink among the thousands of
    /// pre-activations a first-layer weight moves (the kinks are `testEncoderBackward`'s); what is
    /// checked is where each gradient goes.
    func testSixChannelEncoderWithContextBackward() {
        var config = oneShotConfig()
        config.inputChannels = 6
        config.lightDim = 5
        config.contextDim = 7
        (config.residualSide, config.residualChannels, config.residualHidden, config.residualScale) = (2, 3, 4, 0.5)
        config.leak = 1
        var rng = SplitMix64(seed: 90)
        let enc = PhotoEncoder(config: config, rng: &rng, prefix: IterativeEncoder.prefix)
        XCTAssertTrue(enc.parameters.allSatisfy { $0.name.hasPrefix("iterative.") })
        XCTAssertEqual(enc.parameters.reduce(0) { $0 + $1.tensor.count }, config.parameterCount)
        let B = 2, D = config.codeDim, V = config.viewDim, K = config.residualCount
        XCTAssertEqual(K, 36)
        let images = Tensor([B, 6, 16, 16])
        images.fillUniform(0, 1, rng: &rng)
        let context = Tensor([B, 7])
        context.fillUniform(-1, 1, rng: &rng)
        let O = D + V + K
        let out = Tensor([B, O])
        func split(_ a: PhotoEncoder.Activations) {
            for b in 0..<B {
                for d in 0..<D { out[b * O + d] = a.identity[b * D + d] }
                for v in 0..<V { out[b * O + D + v] = a.view[b * V + v] }
                for k in 0..<K { out[b * O + D + V + k] = a.residual[b * K + k] }
            }
        }
        checkGradients(
            "six-channel encoder", inputs: enc.parameters.map(\.tensor), eps: 1e-3, rtol: 3e-2, atol: 3e-3,
            samplesPerInput: 10,
            forward: {
                split(enc.forward(images: images.data, B: B, context: context.data))
                return out
            },
            backward: { d, g in
                let a = enc.forward(images: images.data, B: B, context: context.data)
                let dId = Tensor([B, D]), dView = Tensor([B, V]), dRes = Tensor([B, K])
                for b in 0..<B {
                    for k in 0..<D { dId[b * D + k] = d[b * O + k] }
                    for v in 0..<V { dView[b * V + v] = d[b * O + D + v] }
                    for k in 0..<K { dRes[b * K + k] = d[b * O + D + V + k] }
                }
                enc.backward(
                    dIdentity: dId.data, dView: dView.data, dResidual: dRes.data, acts: a, images: images.data,
                    grads: zip(enc.parameters, g).map { (name: $0.name, tensor: $1) })
            })
    }

    /// A fresh network's heads are zero: every update is zero, and iterations return their start.
    /// Its heads read the one-shot encoder's features of photo and render; inference gives the
    /// training forward's values.
    func testFreshNetworkChangesNothing() {
        var rng = SplitMix64(seed: 91)
        let oneShot = PhotoEncoder(config: oneShotConfig(), rng: &rng)
        let net = IterativeEncoder.network(for: oneShot, rng: &rng)
        XCTAssertEqual(net.config.contextDim, oneShot.config.features)
        XCTAssertEqual(net.config.channels, [16, 32])
        let iterative = IterativeEncoder(network: net, oneShot: oneShot)
        let field = TriplaneDecoder(config: tinyTriplane(samples: 8), rng: &rng)
        let start = LatentEstimate(
            code: (0..<8).map { Float($0) * 0.1 }, view: ViewCode(azimuth: 30, elevation: 20), light: .canonical)
        let photo = (0..<(16 * 16 * 3)).map { Float($0 % 7) / 7 }
        let photoFeatures = Inversion.encodeWithFeatures(oneShot, photo: photo, width: 16, height: 16).features
        XCTAssertEqual(photoFeatures.count, oneShot.config.features)
        var seen = 0
        let end = iterative.run(
            field: field, photo: photo, photoFeatures: photoFeatures, start: start, iterations: 2, distance: 3,
            fov: 40
        ) {
            t, _, render in
            seen = t
            XCTAssertEqual(render.count, 16 * 16 * 3)
        }
        XCTAssertEqual(seen, 2)
        XCTAssertEqual(end.code, start.code)
        XCTAssertEqual(end.view.azimuth, 30, accuracy: 1e-4)
        XCTAssertEqual(end.view.elevation, 20, accuracy: 1e-4)
        // With trained (here: random) heads, inference and the training forward agree.
        for (name, t) in net.parameters where name.contains(".id.") || name.contains(".view.") {
            t.fillUniform(-0.1, 0.1, rng: &rng)
        }
        let images = Tensor([1, 6, 16, 16])
        images.fillUniform(0, 1, rng: &rng)
        let saved = PhotoEncoder.inferencePrecision
        defer { PhotoEncoder.inferencePrecision = saved }
        PhotoEncoder.inferencePrecision = .fp32
        let context = iterative.context(photoFeatures: photoFeatures, render: photo)
        XCTAssertTrue(context.allSatisfy { abs($0) < 1e-3 }, "a photo differs from itself in nothing")
        let fast = context.withUnsafeBufferPointer { net.infer(images: images.data, B: 1, context: $0.baseAddress!) }
        let slow = context.withUnsafeBufferPointer { net.forward(images: images.data, B: 1, context: $0.baseAddress!) }
        for k in 0..<8 { XCTAssertEqual(fast.identity[k], slow.identity[k], accuracy: 1e-4) }
        XCTAssertTrue(fast.identity.array.contains { $0 != 0 })
    }

    /// Updates add in the encoder's layout: sin/cos pairs turn the angle, gain and bias add, and the
    /// elevation stays on the rig's band.
    func testUpdateMovesTheEstimateInTheEncoderLayout() {
        let e = LatentEstimate(code: [1, 2], view: ViewCode(azimuth: 0, elevation: 0), light: .canonical)
        var view = [Float](repeating: 0, count: ViewCode.size)
        view[0] = 1  // sin az 0 -> 1 beside cos az 1: 45°
        view[4] = 0.1  // gain red 1 -> 1.1
        view[9] = -0.05
        let moved = IterativeEncoder.update(e, identity: [0.5, -1], view: view, lightDim: 0)
        XCTAssertEqual(moved.code, [1.5, 1])
        XCTAssertEqual(moved.view.azimuth, 45, accuracy: 1e-6)
        XCTAssertEqual(moved.view.gain.x, 1.1, accuracy: 1e-6)
        XCTAssertEqual(moved.view.bias.z, -0.05, accuracy: 1e-6)
        var up = [Float](repeating: 0, count: ViewCode.size)
        up[2] = 10  // elevation towards 90°: held at the band's 80°
        XCTAssertEqual(IterativeEncoder.update(e, identity: [0, 0], view: up, lightDim: 0).view.elevation, 80)
    }

    /// The residual map θ -> s Up(Sym(θ)): its backward against central differences, a symmetric
    /// result, and the refusal of planes it does not divide.
    func testPlaneResidualMap() throws {
        var rng = SplitMix64(seed: 92)
        let field = TriplaneDecoder(config: tinyTriplane(side: 8), rng: &rng)
        var config = oneShotConfig()
        config.inputChannels = 6
        (config.residualSide, config.residualChannels, config.residualHidden, config.residualScale) = (2, 8, 4, 0.7)
        let map = try XCTUnwrap(try PlaneResidualMap(config: config, field: field))
        XCTAssertEqual(map.coarseCount, 96)
        XCTAssertEqual(map.count, 3 * 64 * 8)
        let theta = random([map.coarseCount], &rng), planes = Tensor([map.count])
        checkGradients(
            "PlaneResidualMap", inputs: [theta],
            forward: {
                planes.zero()
                map.add(into: planes.data, theta: theta.data)
                return planes
            },
            backward: { d, g in map.backward(dTheta: g[0].data, dPlanes: d.data) })
        let mirrored = Tensor([map.count])
        TriplaneMirror.symmetrize(out: mirrored.data, inp: planes.data, R: 8, C: 8)
        for k in 0..<map.count { XCTAssertEqual(mirrored[k], planes[k], accuracy: 1e-5) }
        XCTAssertTrue(planes.array.contains { abs($0) > 0.05 })
        config.residualSide = 3
        XCTAssertThrowsError(try PlaneResidualMap(config: config, field: field)) {
            XCTAssertTrue("\($0)".contains("3² planes"), "\($0)")
        }
        var none = config
        none.residualSide = 0
        XCTAssertNil(try PlaneResidualMap(config: none, field: field))
    }

    /// With `--residual-side`, training moves the residual head, starting from an encoder without
    /// one keeps that encoder's weights, the model file carries the head, and `invert --fast`
    /// returns the planes' residual as a layered latent whose field renders differently.
    func testResidualHeadTrainsAndInverts() throws {
        let (data, model) = smallSetup()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("iterres-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = try IterativeEncoderTrainer(data: data, model: model, config: smallConfig())
        plain.trainStep()
        var config = smallConfig()
        config.residualSide = 4
        let a = try IterativeEncoderTrainer(data: data, model: model, config: config, initial: plain.iterative.network)
        let weight = { (t: IterativeEncoderTrainer, name: String) in
            t.iterative.network.parameters.first { $0.name == name }!.tensor.array
        }
        XCTAssertEqual(weight(a, "iterative.id.w"), weight(plain, "iterative.id.w"), "the start's weights")
        XCTAssertTrue(weight(a, "iterative.res2.w").allSatisfy { $0 == 0 }, "the new head starts at zero")
        let first = a.trainStep()
        XCTAssertEqual(first.residual, 0, "a zero head outputs nothing in its first step")
        a.trainStep()
        XCTAssertTrue(weight(a, "iterative.res2.w").contains { $0 != 0 }, "the residual head learns")
        XCTAssertGreaterThan(a.trainStep().residual, 0)
        try a.modelWithIterative().save(to: dir + "/m.nvm")
        let (loaded, _) = try NeRFModel.load(dir + "/m.nvm")
        let it = try XCTUnwrap(loaded.iterativeEncoder)
        XCTAssertEqual(it.network.config.residualSide, 4)
        XCTAssertEqual(it.network.parameters.count, plain.iterative.network.parameters.count + 4)
        let photo = (0..<(16 * 16 * 3)).map { Float($0 % 5) / 5 }
        let fast = try Inversion.run(model: loaded, photo: photo, width: 16, height: 16, mode: .fast)
        let layers = try XCTUnwrap(fast.layers, "the head's residual is a layered latent")
        XCTAssertEqual(layers.residuals.map(\.name), ["planes"])
        XCTAssertEqual(layers.residuals[0].values.count, 3 * 8 * 8 * 8)
        XCTAssertTrue(layers.residuals[0].values.contains { $0 != 0 })
        let layered = try LayeredField.with(layers.residuals, on: loaded.field)
        let camera = Rig.camera(azimuth: 30, elevation: 20, width: 16, height: 16)
        let withResidual = FieldRenderer(field: layered, code: fast.code).render(camera: camera).image.pixels
        let without = FieldRenderer(field: loaded.field, code: fast.code).render(camera: camera).image.pixels
        XCTAssertNotEqual(withResidual, without)
        // Told to, the refinement starts its layered phase from the prediction, and keeps it when the
        // phase adds nothing; by default it starts from zero.
        var settings = loaded.refineDefaults
        XCTAssertFalse(settings.layers.startFromPrediction)
        settings.layers.startFromPrediction = true
        settings.steps = 2
        settings.layers.steps = 1
        settings.layers.minimumGain = 100  // nothing the phase finds is kept
        let refined = try Inversion.run(
            model: loaded, photo: photo, width: 16, height: 16, mode: .refine, settings: settings)
        XCTAssertEqual(refined.layers?.accepted, false)
        let kept = try XCTUnwrap(refined.layers?.residuals.first?.values)
        let drift = zip(kept, layers.residuals[0].values).map { abs($0 - $1) }.max() ?? 1
        XCTAssertLessThan(drift, 1e-5, "the prediction stays (up to rounding: θ = r / s, then s S(θ))")
        settings.layers.startFromPrediction = false
        let fromZero = try Inversion.run(
            model: loaded, photo: photo, width: 16, height: 16, mode: .refine, settings: settings)
        XCTAssertEqual(fromZero.layers?.residuals.isEmpty, true, "a phase from zero that adds nothing keeps nothing")
    }

    /// A small model with a one-shot encoder, and a two-object data set at its side.
    func smallSetup() -> (TrainingData, NeRFModel) {
        let dc = tinyTriplane(hidden: 8, samples: 8, densityBias: 1)
        var img = RGBAImage(width: 16, height: 16)
        for k in 0..<(16 * 16) where (k / 16 + k % 16) % 5 < 2 { img.pixels[4 * k + 1] = 0.3 }
        let views = [0.0, 90.0, 180.0].map {
            TrainingData.View(image: img, camera: Rig.camera(azimuth: $0, elevation: 20, width: 16, height: 16))
        }
        let data = TrainingData(ids: ["a", "b"], objects: [views, views], width: 16, height: 16)
        var rng = SplitMix64(seed: 3)
        var config = ModelConfig(
            decoder: FieldSpec(dc), scene: "cars", cameraDistance: 3, fovDegrees: 40, resolution: 16,
            objects: ["a", "b"], training: nil)
        config.encoder = oneShotConfig()
        let model = NeRFModel(
            config: config, field: TriplaneDecoder(config: dc, rng: &rng), codes: random([2, 8], &rng, std: 0.3),
            encoder: PhotoEncoder(config: oneShotConfig(), rng: &rng))
        return (data, model)
    }

    func smallConfig() -> EncoderTrainConfig {
        var tc = EncoderTrainConfig.iterative
        tc.objectsPerBatch = 2
        tc.raysPerImage = 8
        tc.steps = 10
        tc.warmupSteps = 0
        tc.iterations = 2
        tc.lr = 1e-2
        return tc
    }

    /// Training moves the heads off zero, a checkpoint resumes the same run, and the model file
    /// carries the iterative encoder (its own weight names) beside the one-shot one.
    func testTrainerLearnsResumesAndSaves() throws {
        let (data, model) = smallSetup()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("iter-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try IterativeEncoderTrainer(data: data, model: model, config: smallConfig())
        var first = a.trainStep()
        XCTAssertEqual(first.render.count, 3, "the start's renders and each iteration's")
        XCTAssertEqual(first.azimuthError.count, 3)
        first = a.trainStep()
        let head = a.iterative.network.parameters.first { $0.name == "iterative.id.w" }!.tensor
        XCTAssertTrue(head.array.contains { $0 != 0 }, "the identity head learns")
        try a.saveCheckpoint(dir + "/run.ckpt")
        let b = try IterativeEncoderTrainer(data: data, model: model, config: smallConfig())
        try b.restore(from: dir + "/run.ckpt")
        for _ in 0..<2 {
            let la = a.trainStep(), lb = b.trainStep()
            XCTAssertEqual(la.code, lb.code)
            XCTAssertEqual(la.render, lb.render)
        }
        var other = smallConfig()
        other.iterations = 3
        let c = try IterativeEncoderTrainer(data: data, model: model, config: other)
        XCTAssertThrowsError(try c.restore(from: dir + "/run.ckpt"), "other settings are another run")
        try a.modelWithIterative().save(to: dir + "/m.nvm")
        let (loaded, _) = try NeRFModel.load(dir + "/m.nvm")
        let it = try XCTUnwrap(loaded.iterativeEncoder)
        XCTAssertEqual(it.network.config.inputChannels, 6)
        XCTAssertNotNil(loaded.encoder)
        XCTAssertEqual(loaded.refineDefaults.encoderIterations, 3, "a model with one runs its iterations")
        XCTAssertEqual(model.refineDefaults.encoderIterations, 0)
        for ((_, x), (_, y)) in zip(it.network.parameters, a.iterative.network.parameters) {
            for k in 0..<x.count { XCTAssertEqual(x[k], Float(Float16(y[k]))) }
        }
        // The fast inversion runs the iterations and no step.
        let photo = (0..<(16 * 16 * 3)).map { Float($0 % 5) / 5 }
        let fast = try Inversion.run(model: loaded, photo: photo, width: 16, height: 16, mode: .fast)
        XCTAssertTrue(fast.finalMSE.isNaN, "no optimisation")
        // The encoder mode stays the one-shot encoder's estimate, iterative encoder or not.
        let oneShot = try Inversion.run(model: loaded, photo: photo, width: 16, height: 16, mode: .encoder)
        XCTAssertEqual(oneShot.code, Inversion.encode(loaded.encoder!, photo: photo, width: 16, height: 16).code)
        XCTAssertNotEqual(oneShot.code, fast.code, "the iterations moved the code")
        XCTAssertThrowsError(try Inversion.run(model: model, photo: photo, width: 16, height: 16, mode: .fast)) {
            XCTAssertTrue("\($0)".contains("no iterative encoder"), "\($0)")
        }
    }
}
