import Datasets
import Foundation
import Geometry
import NeuralCore
import TestSupport
import XCTest

@testable import Model

// B objects, N points (an even split), E state floats per object, R plane side, C plane channels.

final class LayeredLatentTests: XCTestCase {
    func random(_ shape: [Int], _ rng: inout SplitMix64, std: Float = 1) -> Tensor {
        let t = Tensor(shape)
        t.fillNormal(std: std, rng: &rng)
        return t
    }

    /// The layered backward against central differences: the codes, every layer's residual, and a
    /// gradient on the state (the mirror loss's way in), on both field kinds.
    func checkLayeredGradients(_ name: String, field: any LayeredGenerator, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let B = 2, P = 7, N = B * P, E = field.stateSize, D = field.spec.codeDim
        let codes = random([B, D], &rng, std: 0.8)
        let points = Tensor([N, 3])
        points.fillUniform(-0.9, 0.9, rng: &rng)
        let residuals = field.latentLayers.map { random([$0.count], &rng, std: 0.3) }
        let batch = field.makeBatch(objects: B, capacity: N)
        if let conditions = batch.conditions { fillViewingConditions(conditions, seed: 5) }
        let pointers = residuals.map { Optional(UnsafePointer($0.data)) }
        // Outputs: density and colour of every point, then every object's state.
        let out = Tensor([N * 4 + B * E])
        checkGradients(
            name, inputs: [codes] + residuals, eps: 5e-4, rtol: 3e-2, atol: 3e-3, samplesPerInput: 10,
            forward: {
                field.setup(batch: batch, codes: codes.data, residuals: pointers)
                field.query(points: points.data, batch: batch)
                for n in 0..<N {
                    out[4 * n] = batch.sigma[n]
                    for c in 0..<3 { out[4 * n + 1 + c] = batch.rgb[3 * n + c] }
                }
                for k in 0..<(B * E) { out[4 * N + k] = batch.state[k] }
                return out
            },
            backward: { d, g in
                let dSigma = Tensor([N]), dRGB = Tensor([N, 3]), dState = Tensor([B, E])
                for n in 0..<N {
                    dSigma[n] = d[4 * n]
                    for c in 0..<3 { dRGB[3 * n + c] = d[4 * n + 1 + c] }
                }
                for k in 0..<(B * E) { dState[k] = d[4 * N + k] }
                field.backward(
                    dSigma: dSigma.data, dRGB: dRGB.data, batch: batch, codes: codes.data, points: points.data,
                    grads: nil, dCodes: g[0].data, dPoints: nil, residuals: pointers,
                    dResiduals: g.dropFirst().map { Optional($0.data) }, dState: dState.data)
            })
    }

    func testLitTriplaneLayerGradients() {
        var rng = SplitMix64(seed: 80)
        let field = LitTriplaneDecoder(config: tinyLitTriplane(stages: [5, 4]), rng: &rng)
        XCTAssertEqual(field.latentLayers.map(\.name), ["features2", "features4", "features8", "planes"])
        checkLayeredGradients("lit triplane layers", field: field, seed: 81)
    }

    func testTriplaneLayerGradients() {
        var rng = SplitMix64(seed: 82)
        let field = TriplaneDecoder(config: tinyTriplane(side: 6), rng: &rng)
        XCTAssertEqual(field.latentLayers.map(\.name), ["planes"])
        checkLayeredGradients("triplane planes layer", field: field, seed: 83)
    }

    /// No residuals is the plain field, bit for bit; a residual changes the planes by itself where
    /// it is added last (the planes layer).
    func testResidualsAddWhereTheyShould() {
        var rng = SplitMix64(seed: 84)
        let field = LitTriplaneDecoder(config: tinyLitTriplane(), rng: &rng)
        let code = random([1, field.spec.codeDim], &rng).array
        let plain = field.state(of: code).array
        let wrapped = LayeredField(base: field)
        let none = Tensor([1, field.stateSize])
        code.withUnsafeBufferPointer { wrapped.setup(state: none.data, codes: $0.baseAddress!, objects: 1) }
        XCTAssertEqual(none.array, plain)
        // Through the protocol, the plain setup is the layered one's (which keeps the activations).
        let batch = field.makeBatch(objects: 1, capacity: 4) as! LitTriplaneDecoder.Batch
        code.withUnsafeBufferPointer { (field as any RadianceField).setup(batch: batch, codes: $0.baseAddress!) }
        XCTAssertNotNil(batch.generator)
        XCTAssertEqual(batch.state.array, plain)
        let planes = field.latentLayers.count - 1
        let r = random([field.latentLayers[planes].count], &rng)
        wrapped.setResidual(r, layer: planes)
        let shifted = Tensor([1, field.stateSize])
        code.withUnsafeBufferPointer { wrapped.setup(state: shifted.data, codes: $0.baseAddress!, objects: 1) }
        for k in 0..<plain.count { XCTAssertEqual(shifted[k], plain[k] + r[k], accuracy: 1e-5) }
    }

    /// A layered phase that holds its code: the reused base planes plus the residual are the
    /// planes a full setup makes, and the residual's gradient without a code gradient (the
    /// generator's backward skipped) is the one with it.
    func testHeldCodeReusesThePlanesAndKeepsTheResidualGradient() {
        var rng = SplitMix64(seed: 89)
        let base = LitTriplaneDecoder(config: tinyLitTriplane(stages: [5, 4]), rng: &rng)
        let B = 1, P = 9, E = base.stateSize, D = base.spec.codeDim
        let code = random([B, D], &rng, std: 0.8)
        let points = Tensor([P, 3])
        points.fillUniform(-0.9, 0.9, rng: &rng)
        let planes = base.latentLayers.count - 1
        let field = LayeredField(base: base)
        field.setResidual(random([base.latentLayers[planes].count], &rng, std: 0.3), layer: planes)
        let dSigma = random([P], &rng), dRGB = random([P, 3], &rng)
        func pass(reuse: Bool, codeGradient: Bool) -> (state: [Float], dResidual: [Float]) {
            field.reusesBasePlanes = reuse
            let batch = field.makeBatch(objects: B, capacity: P)
            fillViewingConditions(batch.conditions!, seed: 6)
            var state: [Float] = []
            for _ in 0..<2 {  // the second setup of the same code is the one the cache serves
                field.gradients[planes]!.zero()
                field.setup(batch: batch, codes: code.data)
                state = batch.state.array
                field.query(points: points.data, batch: batch)
                let dCodes = Tensor([B, D])
                field.backward(
                    dSigma: dSigma.data, dRGB: dRGB.data, batch: batch, codes: code.data, points: points.data,
                    grads: nil, dCodes: codeGradient ? dCodes.data : nil, dPoints: nil)
            }
            return (state, field.gradients[planes]!.array)
        }
        let full = pass(reuse: false, codeGradient: true), held = pass(reuse: true, codeGradient: false)
        XCTAssertEqual(held.state.count, B * E)
        for k in 0..<full.state.count { XCTAssertEqual(held.state[k], full.state[k], accuracy: 1e-5) }
        for k in 0..<full.dResidual.count { XCTAssertEqual(held.dResidual[k], full.dResidual[k], accuracy: 1e-5) }
        XCTAssertGreaterThan(full.dResidual.map(abs).max()!, 0)
        // A feature-map residual can't be served from kept planes: the cache stands aside.
        field.setResidual(random([base.latentLayers[0].count], &rng, std: 0.3), layer: 0)
        let expected = Tensor([B, E])
        field.reusesBasePlanes = false
        field.setup(state: expected.data, codes: code.data, objects: B)
        let served = pass(reuse: true, codeGradient: false).state
        for k in 0..<served.count { XCTAssertEqual(served[k], expected[k], accuracy: 1e-6) }
    }

    func testMirrorIsAnInvolutionAndMirrorsTheField() {
        var rng = SplitMix64(seed: 85)
        let c = tinyTriplane(side: 6)
        let R = c.planeResolution, C = c.planeChannels, G = 3 * R * R * C
        let planes = random([G], &rng), mirrored = Tensor([G]), twice = Tensor([G])
        TriplaneMirror.forward(out: mirrored.data, inp: planes.data, R: R, C: C)
        TriplaneMirror.forward(out: twice.data, inp: mirrored.data, R: R, C: C)
        XCTAssertEqual(twice.array, planes.array)
        XCTAssertNotEqual(mirrored.array, planes.array)
        // The field of the mirrored planes at (x, y, z) is the original's at (x, -y, z).
        let field = TriplaneDecoder(config: c, rng: &rng)
        let N = 20
        let points = Tensor([N, 3]), flipped = Tensor([N, 3])
        points.fillUniform(-0.9, 0.9, rng: &rng)
        for n in 0..<N {
            flipped[3 * n] = points[3 * n]
            flipped[3 * n + 1] = -points[3 * n + 1]
            flipped[3 * n + 2] = points[3 * n + 2]
        }
        func query(_ state: Tensor, _ p: Tensor) -> [Float] {
            let batch = field.makeBatch(objects: 1, capacity: N)
            batch.state.copy(from: state)
            field.query(points: p.data, batch: batch)
            return batch.sigma.array + batch.rgb.array
        }
        let a = query(mirrored, points), b = query(planes, flipped)
        for k in 0..<a.count { XCTAssertEqual(a[k], b[k], accuracy: 1e-4 * max(1, abs(b[k]))) }
    }

    /// `checkGradients` of a scalar term of x: `value(x)`, and `gradient(dX, x)` adding its gradient.
    func checkScalarGradient(
        _ name: String, _ x: Tensor, value: @escaping (UnsafePointer<Float>) -> Float,
        gradient: @escaping (UnsafeMutablePointer<Float>, UnsafePointer<Float>) -> Void
    ) {
        checkGradients(
            name, inputs: [x], forward: { Tensor([1], values: [value(x.data)]) },
            backward: { d, g in
                let own = Tensor(x.shape)
                gradient(own.data, x.data)
                for k in 0..<x.count { g[0][k] += d[0] * own[k] }
            })
    }

    func testMirrorOpsAndLossGradients() {
        var rng = SplitMix64(seed: 86)
        let R = 4, C = 3, G = 3 * R * R * C
        let x = random([G], &rng)
        checkGradients(
            "symmetrize", inputs: [x],
            forward: {
                let out = Tensor([G])
                TriplaneMirror.symmetrize(out: out.data, inp: x.data, R: R, C: C)
                return out
            },
            backward: { d, g in TriplaneMirror.symmetrizeBackward(dInp: g[0].data, dOut: d.data, R: R, C: C) })
        let loss = MirrorLoss(weight: 0.7, scale: 1.3)
        checkScalarGradient(
            "mirror loss", x, value: { loss.forward(planes: $0, R: R, C: C) },
            gradient: { loss.backward(dPlanes: $0, planes: $1, R: R, C: C) })
        // Symmetric planes cost nothing.
        let s = Tensor([G])
        TriplaneMirror.symmetrize(out: s.data, inp: x.data, R: R, C: C)
        XCTAssertEqual(loss.forward(planes: s.data, R: R, C: C), 0, accuracy: 1e-10)
        // The one-pass scaled symmetrize and its backward against their naive twin, the mirror
        // permutation: scale (x + mirror(x)) / 2, on planes large enough to split over threads.
        let (R2, C2, scale) = (16, 5, Float(1.7))
        let big = random([3 * R2 * R2 * C2], &rng), mirrored = Tensor(big.shape), fast = Tensor(big.shape)
        TriplaneMirror.forward(out: mirrored.data, inp: big.data, R: R2, C: C2)
        TriplaneMirror.symmetrize(out: fast.data, inp: big.data, R: R2, C: C2, scale: scale)
        let back = Tensor(big.shape, values: [Float](repeating: 1, count: big.count))
        TriplaneMirror.symmetrizeBackward(dInp: back.data, dOut: big.data, R: R2, C: C2, scale: scale)
        for k in 0..<big.count {
            let naive = scale * 0.5 * (big[k] + mirrored[k])
            XCTAssertEqual(fast[k], naive, accuracy: 1e-6)
            XCTAssertEqual(back[k], 1 + naive, accuracy: 1e-6)
        }
    }

    func testRegulariserGradients() {
        var rng = SplitMix64(seed: 87)
        let reg = LayerRegulariser(magnitude: 0.3, smoothness: 0.9)
        for layout in [
            LatentLayer.Layout.featureMap(channels: 3, height: 4, width: 5), .triplane(side: 4, channels: 2),
        ] {
            let n = LatentLayer(name: "x", layout: layout).count
            let theta = random([n], &rng)
            checkScalarGradient(
                "layer regulariser \(layout)", theta, value: { reg.forward(theta: $0, layout: layout, count: n) },
                gradient: { reg.backward(dTheta: $0, theta: $1, layout: layout, count: n) })
        }
        // The fused value-and-gradient against forward + backward, over several threads' rows.
        for layout in [
            LatentLayer.Layout.featureMap(channels: 8, height: 6, width: 5), .triplane(side: 12, channels: 3),
        ] {
            let n = LatentLayer(name: "x", layout: layout).count
            let theta = random([n], &rng)
            let naive = Tensor([n], values: [Float](repeating: 0.25, count: n)), fused = Tensor(naive.shape)
            fused.copy(from: naive)
            reg.backward(dTheta: naive.data, theta: theta.data, layout: layout, count: n)
            let value = reg.valueAndGradient(dTheta: fused.data, theta: theta.data, layout: layout, count: n)
            XCTAssertEqual(value, reg.forward(theta: theta.data, layout: layout, count: n), accuracy: 1e-5)
            for k in 0..<n { XCTAssertEqual(fused[k], naive[k], accuracy: 1e-6, "\(layout) \(k)") }
        }
        // A constant residual is smooth: only its magnitude costs.
        let flat = Tensor([2 * 4 * 4 * 3], values: [Float](repeating: 0.5, count: 96))
        XCTAssertEqual(
            LayerRegulariser(magnitude: 0, smoothness: 1).forward(
                theta: flat.data, layout: .triplane(side: 4, channels: 2), count: 96), 0)
    }

    /// A symmetric object (a triplane whose planes are their own mirror) and a prior that knows it
    /// only at half strength: from one photo of its side, the layered phase with the mirror prior
    /// also corrects the side the photo does not show; without it (`--no-mirror`) its residual is
    /// not symmetric and the hidden side stays as the prior had it.
    func testMirrorPriorCorrectsTheHiddenSide() throws {
        let c = tinyTriplane(side: 8, samples: 32, densityBias: 0)
        let R = c.planeResolution, C = c.planeChannels, G = 3 * R * R * C
        var rng = SplitMix64(seed: 88)
        let truth = TriplaneDecoder(config: c, rng: &rng)
        let raw = random([G], &rng, std: 1.5)
        TriplaneMirror.symmetrize(out: truth.genB.data, inp: raw.data, R: R, C: C)
        for k in 0..<truth.genW.count { truth.genW[k] *= 0.1 }
        let prior = TriplaneDecoder(config: c, rng: &rng)
        for ((_, dst), (_, src)) in zip(prior.parameters, truth.parameters) { dst.copy(from: src) }
        for k in 0..<G { prior.genB[k] *= 0.5 }
        let zero = [Float](repeating: 0, count: c.codeDim), size = 20
        func render(_ field: any RadianceField, azimuth: Double) -> [Float] {
            let img = FieldRenderer(field: field, code: zero, skipEmptySpace: false)
                .render(camera: Rig.camera(azimuth: azimuth, elevation: 20, width: size, height: size)).image
            return (0..<(size * size * 3)).map { img.pixels[4 * ($0 / 3) + $0 % 3] }
        }
        func mse(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        let photo = render(truth, azimuth: 70), hidden = render(truth, azimuth: -70)
        var results: [(input: Float, hidden: Float, asymmetry: Float)] = []
        for mirror in [true, false] {
            var s = RefineSettings()
            s.steps = 1
            s.raysPerStep = 256
            s.lrCode = 1e-12
            s.refinePose = false
            s.refinePhotometric = false
            s.layers.steps = 120
            s.layers.lr = 5e-2
            s.layers.magnitudeWeight = 0
            s.layers.smoothWeight = 0
            s.layers.patience = 1000
            s.layers.mirror = mirror
            let field = LayeredField(base: prior)
            let inv = Inverter(
                field: field, photo: photo, width: size, height: size, startCode: zero,
                startView: ViewCode(azimuth: 70, elevation: 20), codeVariance: 1, settings: s)
            inv.run()
            let report = try inv.refineLayers()
            XCTAssertEqual(report.layers, ["planes"])
            let r = field.residuals[0]!, m = Tensor([G])
            TriplaneMirror.forward(out: m.data, inp: r.data, R: R, C: C)
            let asymmetry = mse(r.array, m.array) / max(1e-12, mse(r.array, [Float](repeating: 0, count: G)))
            results.append(
                (mse(render(field, azimuth: 70), photo), mse(render(field, azimuth: -70), hidden), asymmetry))
        }
        let before = (input: mse(render(prior, azimuth: 70), photo), hidden: mse(render(prior, azimuth: -70), hidden))
        // Both fit the photo; the mirror's residual is symmetric, the other's is not.
        XCTAssertLessThan(results[0].input, 0.5 * before.input)
        XCTAssertLessThan(results[1].input, 0.5 * before.input)
        XCTAssertLessThan(results[0].asymmetry, 1e-6)
        XCTAssertGreaterThan(results[1].asymmetry, 0.05)
        // The hidden side: the mirror corrects it, no mirror leaves most of the prior's error.
        XCTAssertLessThan(results[0].hidden, 0.5 * before.hidden)
        XCTAssertLessThan(results[0].hidden, 0.7 * results[1].hidden)
    }
}
