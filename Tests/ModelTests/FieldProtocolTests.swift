import Datasets
import Foundation
import Geometry
import Imaging
import Model
import NeuralCore
import TestSupport
import XCTest

/// A second field kind plugs in by one registration line, trains, saves, loads and renders through
/// the code the triplane uses; the loss terms' backwards match finite differences.
final class FieldProtocolTests: XCTestCase {
    override func setUp() { FieldRegistry.register(VoxelConfig.self) }

    func testVoxelFieldBackwardMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 3)
        let field = VoxelField(config: VoxelConfig(), rng: &rng)
        let B = 2, N = 10
        let codes = random([B, 4], &rng, std: 0.5), points = Tensor([N, 3])
        points.fillUniform(-0.9, 0.9, rng: &rng)
        checkFieldGradients(
            "voxel field", field: field, codes: codes, points: points, objects: B, pointGradients: false, eps: 1e-3,
            rtol: 2e-2, atol: 2e-3, samplesPerInput: 24)
    }

    func testVoxelFieldTrainsSavesLoadsAndRenders() throws {
        // Two "objects": a white and a dark view set of a grey box, 16x16.
        var views: [[TrainingData.View]] = []
        for shade: Float in [0.9, 0.2] {
            var img = RGBAImage(width: 16, height: 16)
            for j in 4..<12 { for i in 4..<12 { for c in 0..<3 { img.pixels[4 * (j * 16 + i) + c] = shade } } }
            views.append(
                [0.0, 90, 180].map {
                    TrainingData.View(image: img, camera: Rig.camera(azimuth: $0, elevation: 20, width: 16, height: 16))
                })
        }
        let data = TrainingData(ids: ["light", "dark"], objects: views, width: 16, height: 16)
        var tc = TrainConfig()
        tc.objectsPerBatch = 2
        tc.raysPerObject = 64
        tc.steps = 60
        tc.skipping.warmupSteps = 20
        let trainer = Trainer(data: data, config: tc, field: FieldSpec(VoxelConfig()))
        let first = (0..<5).map { _ in trainer.trainStep() }.reduce(0, +) / 5
        for _ in 0..<50 { trainer.trainStep() }
        let last = (0..<5).map { _ in trainer.trainStep() }.reduce(0, +) / 5
        XCTAssertLessThan(last, first * 0.7, "the toy field learns through the shared render step")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("voxel-\(UUID().uuidString).nvm").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = ModelConfig(
            decoder: trainer.field.spec, scene: "box", cameraDistance: 3, fovDegrees: 40, resolution: 16,
            objects: data.ids, training: tc)
        try NeRFModel(config: config, field: trainer.field, codes: trainer.codes).save(to: path, dtype: .f32)
        let (loaded, _) = try NeRFModel.load(path)
        XCTAssertEqual(loaded.config.decoder.kind, "voxel")
        XCTAssertTrue(loaded.field is VoxelField)
        let code = Array(UnsafeBufferPointer(start: loaded.codes.data, count: 4))
        let a = FieldRenderer(field: loaded.field, code: code).render(
            camera: Rig.camera(azimuth: 0, elevation: 20, width: 16, height: 16))
        let b = FieldRenderer(field: trainer.field, code: code).render(
            camera: Rig.camera(azimuth: 0, elevation: 20, width: 16, height: 16))
        XCTAssertEqual(a.image.pixels, b.image.pixels, "the loaded field renders what the trained one does")
        XCTAssertTrue(a.image.pixels.allSatisfy(\.isFinite))
    }

    func testModelFilesWithoutKindReadAsTriplaneAndUnknownKindsAreRefused() throws {
        let legacy =
            #"{"codeDim":8,"planeResolution":4,"planeChannels":8,"hidden":8,"samplesPerRay":12,"box":1,"densityBias":-2,"background":[1,1,1]}"#
        let spec = try JSONDecoder().decode(FieldSpec.self, from: Data(legacy.utf8))
        XCTAssertEqual(spec.kind, "triplane")
        XCTAssertEqual(spec.occupancyResolution, 32, "a key the file lacks keeps its default")
        XCTAssertEqual(spec.samplesPerRay, 12)
        let roundTrip = try JSONDecoder().decode(FieldSpec.self, from: JSONEncoder().encode(spec))
        XCTAssertEqual(roundTrip, spec)
        XCTAssertThrowsError(try JSONDecoder().decode(FieldSpec.self, from: Data(#"{"kind":"hash-grid"}"#.utf8))) {
            error in
            XCTAssertTrue("\(error)".contains("hash-grid"), "\(error)")
        }
    }

    /// Loss terms add weight · d term / d input; each is checked against central differences.
    func testLossTermBackwards() {
        var rng = SplitMix64(seed: 9)
        let R = 5, B = 2, D = 3
        let rgb = random([R, 3], &rng, std: 0.3), targets = random([R, 3], &rng, std: 0.3),
            codes = random([B, D], &rng)
        let correction = random([6], &rng, std: 0.1), dCorrection = Tensor([6])
        // One correction per ray: the photos of a joint inversion, each with its own exposure.
        let grouped = random([R, 6], &rng, std: 0.1), dGrouped = Tensor([R, 6])
        let terms: [(String, any LossTerm, [Tensor])] = [
            ("photometric", PhotometricMSE(weight: 0.7), [rgb]),
            (
                "photometric corrected", PhotometricMSE(weight: 1.3, correction: correction, dCorrection: dCorrection),
                [rgb, correction]
            ),
            ("luminance", LuminanceMSE(weight: 0.9), [rgb]),
            (
                "photometric grouped", PhotometricMSE(weight: 0.8, correction: grouped, dCorrection: dGrouped),
                [rgb, grouped]
            ),
            (
                "photometric footprint",
                PhotometricMSE(weight: 1.1, correction: correction, dCorrection: dCorrection, footprint: 5),
                [rgb, correction]
            ),
            ("prior", CodePrior(weight: 0.01), [codes]),
            ("anchor", CodeAnchor(weight: 0.2, anchor: (0..<(B * D)).map { Float($0) * 0.1 }, variance: 0.5), [codes]),
        ]
        for (name, term, inputs) in terms {
            let out = Tensor([1])
            let x = { LossInputs(rgb: rgb.data, targets: targets.data, R: R, codes: codes.data, B: B, D: D) }
            checkGradients(
                name, inputs: inputs,
                forward: {
                    out[0] = term.forward(x())
                    return out
                },
                backward: { d, g in
                    let dRGB = Tensor([R, 3]), dCodes = Tensor([B, D])
                    dCorrection.zero()
                    dGrouped.zero()
                    term.backward(x(), LossGradients(dRGB: dRGB.data, dCodes: dCodes.data))
                    let own: [Tensor] =
                        name == "photometric grouped"
                        ? [dRGB, dGrouped]
                        : name.hasPrefix("photometric") ? [dRGB, dCorrection] : name == "luminance" ? [dRGB] : [dCodes]
                    for (k, grad) in g.enumerated() { for i in 0..<grad.count { grad[i] += d[0] * own[k][i] } }
                })
        }
    }

    /// The semantic term: features of two patches (each group's first P² rays), the photometric
    /// correction applied to the prediction; scattered rays after the patch get no gradient.
    func testFeatureLossBackward() {
        var rng = SplitMix64(seed: 12)
        let G = 2, P = 8, R = G * (P * P + 3)
        let rgb = random([R, 3], &rng, std: 0.3), targets = random([R, 3], &rng, std: 0.3), codes = Tensor([1, 1])
        let features = ConvFeatures(
            weights: [random([4, 3, 4, 4], &rng, std: 0.3), random([5, 4, 4, 4], &rng, std: 0.3)],
            biases: [random([4], &rng, std: 0.1), random([5], &rng, std: 0.1)], leak: 0.2)
        let term = FeatureLoss(
            weight: 0.6, features: features, side: P, groups: G, correction: random([G, 6], &rng, std: 0.1))
        let x = { LossInputs(rgb: rgb.data, targets: targets.data, R: R, codes: codes.data, B: 1, D: 1) }
        let out = Tensor([1])
        checkGradients(
            "semantic term", inputs: [rgb],
            forward: {
                out[0] = term.forward(x())
                return out
            },
            backward: { d, g in
                let dRGB = Tensor([R, 3]), dCodes = Tensor([1, 1])
                term.backward(x(), LossGradients(dRGB: dRGB.data, dCodes: dCodes.data))
                for i in 0..<dRGB.count { g[0][i] += d[0] * dRGB[i] }
                for r in (P * P)..<(P * P + 3) { XCTAssertEqual(dRGB[3 * r], 0, "a scattered ray is no patch pixel") }
            })
        XCTAssertGreaterThan(term.forward(x()), 0)
    }

    func testDistortionTermBackward() {
        var rng = SplitMix64(seed: 10)
        let R = 3, S = 6
        let w = Tensor([R, S]), t = Tensor([R, S]), delta = Tensor([R, S]), out = Tensor([1])
        w.fillUniform(0, 0.3, rng: &rng)
        delta.fillUniform(0.1, 0.2, rng: &rng)
        for r in 0..<R { for i in 0..<S { t[r * S + i] = 1 + 0.2 * Float(i) } }
        let scratch = Tensor([R, 3]), codes = Tensor([1, 1])
        let term = DistortionLoss(weight: 0.5)
        let x = {
            LossInputs(
                rgb: scratch.data, targets: scratch.data, R: R, codes: codes.data, B: 1, D: 1, weights: w.data,
                t: t.data, delta: delta.data, S: S)
        }
        checkGradients(
            "distortion term", inputs: [w],
            forward: {
                out[0] = term.forward(x())
                return out
            },
            backward: { d, g in
                let dW = Tensor([R, S]), dRGB = Tensor([R, 3]), dCodes = Tensor([1, 1])
                term.backward(x(), LossGradients(dRGB: dRGB.data, dCodes: dCodes.data, dWeights: dW.data))
                for i in 0..<dW.count { g[0][i] += d[0] * dW[i] }
            })
    }

    /// d render / d each ray's light, as the inversion reads it from a render step, against finite
    /// differences of the rendered colours.
    func testRenderStepLightGradients() {
        let config = tinyLitTriplane(codeDim: 4, stages: [], samples: 6, densityBias: 1)
        var rng = SplitMix64(seed: 12)
        let field = LitTriplaneDecoder(config: config, rng: &rng)
        let R = 4
        let codes = random([1, config.codeDim], &rng)
        var rays = RayBatch(rays: R, samples: config.samplesPerRay)
        for r in 0..<R {
            let o = SIMD3<Float>(3, 0.3 * Float(r) - 0.4, 0.2)
            let d =
                SIMD3<Float>(-1, 0.05, -0.05)
                / (SIMD3<Float>(-1, 0.05, -0.05) * SIMD3<Float>(-1, 0.05, -0.05)).sum().squareRoot()
            for k in 0..<3 {
                rays.origins[3 * r + k] = o[k]
                rays.directions[3 * r + k] = d[k]
            }
        }
        rays.drawSampling(rng: &rng, probeFraction: 0)
        let step = RenderStep(field: field, objects: 1, rays: R)
        let lights = Tensor([R, ViewLight.count], values: rays.lights)
        struct Probe: LossTerm {
            let name = "probe", weight: Float = 1
            let dOut: Tensor  // (R, 3)
            func forward(_ x: LossInputs) -> Float { 0 }
            func backward(_ x: LossInputs, _ g: LossGradients) { for i in 0..<(x.R * 3) { g.dRGB[i] += dOut[i] } }
        }
        checkGradients(
            "render step light", inputs: [lights], eps: 1e-3,
            forward: {
                rays.lights = lights.array
                step.run(rays: rays, codes: codes.data, losses: [], backward: false) { _ in [nil] }
                return Tensor([R, 3], values: step.rgb.array)
            },
            backward: { d, g in
                rays.lights = lights.array
                step.run(rays: rays, codes: codes.data, losses: [Probe(dOut: d)], lightGradients: true) { _ in [nil] }
                for i in 0..<g[0].count { g[0][i] += step.dLights[i] }
            })
    }
}
