import Foundation
import Geometry
import ImageIO
@testable import Model
import NeuralCore
import TestSupport
import XCTest

final class SampleSelectionTests: XCTestCase {
    /// Kept = probe rays' samples + samples in occupied cells, grouped by object; gather and
    /// scatter move values between the layouts without mixing them up.
    func testKeepsOccupiedAndProbeSamplesInOrder() {
        let G = 4, B = 2, Q = 3, S = 5, R = B * Q, N = R * S
        var cells = [Bool](repeating: false, count: G * G * G)
        for x in 0..<(G / 2) { for y in 0..<G { for z in 0..<G { cells[(x * G + y) * G + z] = true } } }  // x < 0 half
        let half = OccupancyGrid(resolution: G, box: 1, occupied: cells)
        var rng = SplitMix64(seed: 3)
        let points = Tensor([N, 3])
        points.fillUniform(-0.99, 0.99, rng: &rng)
        let probe = (0..<R).map { $0 == 4 }
        let sel = SampleSelection()
        sel.select(points: points.data, grids: [half, nil], probe: probe, R: R, S: S)
        var expected: [Int32] = []
        for n in 0..<N {
            let r = n / S
            if r >= Q || probe[r] || points[3 * n] < 0 { expected.append(Int32(n)) }
        }
        XCTAssertEqual(sel.kept, expected)
        XCTAssertEqual(sel.counts, [expected.filter { $0 < Q * S }.count, expected.filter { $0 >= Q * S }.count])
        let compact = Tensor([N, 3]), back = Tensor([N, 3])
        sel.gather(compact.data, from: points.data, width: 3)
        sel.scatter(back.data, from: compact.data, width: 3, N: N)
        for n in 0..<N {
            let isKept = expected.contains(Int32(n))
            for c in 0..<3 { XCTAssertEqual(back[3 * n + c], isKept ? points[3 * n + c] : 0) }
        }
    }

    /// Objects owning uneven (even empty) runs of points give what per-object calls give.
    func testUnevenObjectSplitMatchesPerObjectCalls() {
        var config = DecoderConfig()
        config.codeDim = 8; config.planeResolution = 4; config.planeChannels = 8; config.hidden = 16
        var rng = SplitMix64(seed: 8)
        let dec = TriplaneDecoder(config: config, rng: &rng)
        let counts = [5, 0, 9], B = 3, N = 14
        let codes = random([B, config.codeDim], &rng, std: 0.5)
        let points = random([N, 3], &rng, std: 0.5)
        let acts = TriplaneDecoder.Activations(config: config, B: B, N: 20)
        acts.setCounts(counts)
        dec.generate(planes: acts.planes.data, codes: codes.data, B: B)
        dec.field(points: points.data, acts: acts)
        var start = 0
        for b in 0..<B where counts[b] > 0 {
            let one = TriplaneDecoder.Activations(config: config, B: 1, N: counts[b])
            dec.generate(planes: one.planes.data, codes: codes.data + b * config.codeDim, B: 1)
            dec.field(points: points.data + 3 * start, acts: one)
            for i in 0..<counts[b] { XCTAssertEqual(acts.sigma[start + i], one.sigma[i], accuracy: 1e-5 * max(1, one.sigma[i])) }
            start += counts[b]
        }
        // And the backward of the uneven split is right (codes only; weights are covered elsewhere).
        let out = Tensor([N])
        checkGradients("uneven decoder", inputs: [codes], eps: 5e-4, rtol: 3e-2, atol: 3e-3, forward: {
            dec.generate(planes: acts.planes.data, codes: codes.data, B: B)
            dec.field(points: points.data, acts: acts)
            out.copy(from: Tensor([N], values: Array(acts.sigma.array.prefix(N))))
            return out
        }, backward: { d, g in
            let dC = Tensor([N, 3])
            dec.backward(dSigma: d.data, dRGB: dC.data, acts: acts, codes: codes.data, points: points.data, grads: nil,
                         dCodes: g[0].data, dPoints: nil)
        })
    }

    /// On a field that is exactly empty outside its grid, a skipping step composites the same colours
    /// and gets the same code gradient as evaluating every sample, from under half the samples.
    func testSkippingStepMatchesFullStepOnCylinder() {
        let d = cylinderDecoder()
        let R = 256, S = 48, Dc = d.config.codeDim
        let code = Tensor([1, Dc])
        let grid = FieldRenderer(decoder: d, code: code.array).grid
        var rng = SplitMix64(seed: 4)
        var results: [(rgb: [Float], dBias: [Float], M: Int)] = []
        let cam = Rig.camera(azimuth: 30, elevation: 20, width: 16, height: 16)
        var origins = [Float](), dirs = [Float]()
        for r in 0..<R {
            let ray = cam.ray(x: Double(r % 16) + 0.5, y: Double(r / 16) + 0.5)
            origins += [Float(ray.origin.x), Float(ray.origin.y), Float(ray.origin.z)]
            dirs += [Float(ray.direction.x), Float(ray.direction.y), Float(ray.direction.z)]
        }
        let jitter = (0..<(R * S)).map { _ in rng.nextFloat() }
        let target = (0..<(R * 3)).map { _ in rng.nextFloat() }
        for useGrid in [false, true] {
            let w = Trainer.Workspace(d.config, B: 1, R: R, S: S)
            RaySampling.samples(t: w.t.data, delta: w.delta.data, points: w.points.data, origins: origins, directions: dirs, jitter: jitter,
                                box: Float(d.config.box), R: R, S: S)
            d.generate(planes: w.acts.planes.data, codes: code.data, B: 1)
            w.field(d, grids: [useGrid ? grid : nil], probe: [Bool](repeating: false, count: R), R: R, S: S)
            let bg = SIMD3<Float>(1, 1, 1)
            VolumeComposite.forward(rgb: w.rgb.data, depth: nil, opacity: w.opacity.data, weights: w.weights.data, sigma: w.sigma.data,
                                    color: w.color.data, delta: w.delta.data, t: w.t.data, background: bg, R: R, S: S)
            w.dRGB.zero(); w.dSigma.zero(); w.dColor.zero(); w.dCodes.zero()
            MSELoss.backward(dPred: w.dRGB.data, dLoss: 1, pred: w.rgb.data, target: target, N: 3 * R)
            VolumeComposite.backward(dSigma: w.dSigma.data, dColor: w.dColor.data, dRGB: w.dRGB.data, dOpacity: nil, weights: w.weights.data,
                                     sigma: w.sigma.data, color: w.color.data, delta: w.delta.data, background: bg, R: R, S: S)
            w.gatherGradients()
            let grads = d.zerosLikeParameters()
            d.backward(dSigma: w.dSigmaKept.data, dRGB: w.dColorKept.data, acts: w.acts, codes: code.data, points: w.keptPoints.data,
                       grads: grads, dCodes: w.dCodes.data, dPoints: nil)
            results.append((w.rgb.array, grads.first { $0.name == "decoder.mlp3.b" }!.tensor.array, w.selection.M))
        }
        XCTAssertLessThan(results[1].M, results[0].M / 2)
        for i in 0..<(3 * R) { XCTAssertEqual(results[0].rgb[i], results[1].rgb[i], accuracy: 1e-3) }
        for i in 0..<4 { XCTAssertEqual(results[0].dBias[i], results[1].dBias[i], accuracy: 1e-3 * max(1, abs(results[0].dBias[i]))) }
    }

    /// Checkpoints carry the occupancy grids, so a resumed run skips exactly what it would have.
    func testCheckpointRestoresGrids() throws {
        var dc = DecoderConfig()
        dc.codeDim = 8; dc.planeResolution = 8; dc.planeChannels = 8; dc.hidden = 8; dc.densityBias = 1  // dense enough to occupy cells
        let cam = Rig.camera(azimuth: 10, elevation: 20, width: 8, height: 8)
        let view = TrainingData.View(image: RGBAImage(width: 8, height: 8), camera: cam)
        let data = TrainingData(ids: ["a", "b", "c"], objects: [[view], [view], [view]], width: 8, height: 8)
        var tc = TrainConfig()
        tc.objectsPerBatch = 2; tc.raysPerObject = 16; tc.skipWarmupSteps = 0
        let trainer = Trainer(data: data, config: tc, decoderConfig: dc)
        trainer.trainStep()
        XCTAssertEqual(trainer.grids.compactMap { $0 }.count, 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("grids-\(UUID().uuidString).ckpt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let mc = ModelConfig(decoder: dc, scene: "cars", cameraDistance: 3, fovDegrees: 40, resolution: 8, objects: data.ids, training: tc)
        try trainer.saveCheckpoint(path, modelConfig: mc)
        let resumed = Trainer(data: data, config: tc, decoderConfig: dc)
        try resumed.restore(from: path)
        for o in 0..<3 {
            XCTAssertEqual(resumed.grids[o]?.occupied, trainer.grids[o]?.occupied, "object \(o)")
            XCTAssertEqual(resumed.gridSteps[o], trainer.gridSteps[o])
        }
        XCTAssertEqual(resumed.trainStep(), trainer.trainStep())
    }
}
