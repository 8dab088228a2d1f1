import Foundation
import Geometry
import Imaging
import NeuralCore
import TestSupport
import XCTest

@testable import Model

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
        let config = tinyTriplane(side: 4)
        var rng = SplitMix64(seed: 8)
        let dec = TriplaneDecoder(config: config, rng: &rng)
        let counts = [5, 0, 9], B = 3, N = 14
        let codes = random([B, config.codeDim], &rng, std: 0.5)
        let points = random([N, 3], &rng, std: 0.5)
        let acts = dec.makeBatch(objects: B, capacity: 20)
        acts.setCounts(counts)
        dec.setup(state: acts.state.data, codes: codes.data, objects: B)
        dec.query(points: points.data, batch: acts)
        var start = 0
        for b in 0..<B where counts[b] > 0 {
            let one = dec.makeBatch(objects: 1, capacity: counts[b])
            dec.setup(state: one.state.data, codes: codes.data + b * config.codeDim, objects: 1)
            dec.query(points: points.data + 3 * start, batch: one)
            for i in 0..<counts[b] {
                XCTAssertEqual(acts.sigma[start + i], one.sigma[i], accuracy: 1e-5 * max(1, one.sigma[i]))
            }
            start += counts[b]
        }
        // And the backward of the uneven split is right (codes only; weights are covered elsewhere).
        let out = Tensor([N])
        checkGradients(
            "uneven decoder", inputs: [codes], eps: 5e-4, rtol: 3e-2, atol: 3e-3,
            forward: {
                dec.setup(state: acts.state.data, codes: codes.data, objects: B)
                dec.query(points: points.data, batch: acts)
                out.copy(from: Tensor([N], values: Array(acts.sigma.array.prefix(N))))
                return out
            },
            backward: { d, g in
                let dC = Tensor([N, 3])
                dec.backward(
                    dSigma: d.data, dRGB: dC.data, batch: acts, codes: codes.data, points: points.data, grads: nil,
                    dCodes: g[0].data, dPoints: nil)
            })
    }

    /// On a field that is exactly empty outside its grid, a skipping step composites the same colours
    /// and gets the same code gradient as evaluating every sample, from under half the samples.
    func testSkippingStepMatchesFullStepOnCylinder() {
        let d = cylinderDecoder()
        let R = 256, S = d.config.samplesPerRay, Dc = d.config.codeDim
        let code = Tensor([1, Dc])
        let grid = FieldRenderer(field: d, code: code.array).grid
        var rng = SplitMix64(seed: 4)
        var results: [(rgb: [Float], dBias: [Float], M: Int)] = []
        let cam = Rig.camera(azimuth: 30, elevation: 20, width: 16, height: 16)
        var origins = [Float](), dirs = [Float]()
        for r in 0..<R {
            let ray = cam.ray(x: Double(r % 16) + 0.5, y: Double(r / 16) + 0.5)
            origins += [Float(ray.origin.x), Float(ray.origin.y), Float(ray.origin.z)]
            dirs += [Float(ray.direction.x), Float(ray.direction.y), Float(ray.direction.z)]
        }
        var rays = RayBatch(rays: R, samples: S)
        rays.origins = origins
        rays.directions = dirs
        for k in 0..<(R * S) { rays.jitter[k] = rng.nextFloat() }
        for k in 0..<(R * 3) { rays.targets[k] = rng.nextFloat() }
        for useGrid in [false, true] {
            let step = RenderStep(field: d, objects: 1, rays: R)
            let grads = ParameterGradients(like: d.parameters)
            step.run(rays: rays, codes: code.data, losses: [PhotometricMSE()], grads: grads) { _ in
                [useGrid ? grid : nil]
            }
            results.append((step.rgb.array, grads[TriplaneDecoder.Slot.b3.rawValue].array, step.evaluatedSamples))
        }
        XCTAssertLessThan(results[1].M, results[0].M / 2)
        for i in 0..<(3 * R) { XCTAssertEqual(results[0].rgb[i], results[1].rgb[i], accuracy: 1e-3) }
        for i in 0..<4 {
            XCTAssertEqual(results[0].dBias[i], results[1].dBias[i], accuracy: 1e-3 * max(1, abs(results[0].dBias[i])))
        }
    }

    /// Checkpoints carry the occupancy grids, so a resumed run skips exactly what it would have.
    func testCheckpointRestoresGrids() throws {
        let dc = tinyTriplane(hidden: 8, densityBias: 1)  // dense enough to occupy cells
        let cam = Rig.camera(azimuth: 10, elevation: 20, width: 8, height: 8)
        let view = TrainingData.View(image: RGBAImage(width: 8, height: 8), camera: cam)
        let data = TrainingData(ids: ["a", "b", "c"], objects: [[view], [view], [view]], width: 8, height: 8)
        var tc = TrainConfig()
        tc.objectsPerBatch = 2
        tc.raysPerObject = 16
        tc.skipping.warmupSteps = 0
        let trainer = Trainer(data: data, config: tc, field: FieldSpec(dc))
        trainer.trainStep()
        XCTAssertEqual(trainer.occupancy.grids.compactMap { $0 }.count, 2)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("grids-\(UUID().uuidString).ckpt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let mc = ModelConfig(
            decoder: FieldSpec(dc), scene: "cars", cameraDistance: 3, fovDegrees: 40, resolution: 8, objects: data.ids,
            training: tc)
        try trainer.saveCheckpoint(path, modelConfig: mc)
        let resumed = Trainer(data: data, config: tc, field: FieldSpec(dc))
        try resumed.restore(from: path)
        for o in 0..<3 {
            XCTAssertEqual(resumed.occupancy.grids[o]?.occupied, trainer.occupancy.grids[o]?.occupied, "object \(o)")
            XCTAssertEqual(resumed.occupancy.builtAt[o], trainer.occupancy.builtAt[o])
        }
        XCTAssertEqual(resumed.trainStep(), trainer.trainStep())
    }
}
