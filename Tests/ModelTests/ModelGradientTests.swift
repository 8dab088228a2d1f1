import Model
import NeuralCore
import TestSupport
import XCTest

final class ModelGradientTests: XCTestCase {
    func testVolumeCompositeBackward() {
        var rng = SplitMix64(seed: 60)
        let (R, S) = (5, 7)
        let sigma = Tensor([R, S]), color = Tensor([R, S, 3]), delta = Tensor([R, S]), t = Tensor([R, S])
        sigma.fillUniform(0, 3, rng: &rng)
        color.fillUniform(0, 1, rng: &rng)
        delta.fillUniform(0.05, 0.3, rng: &rng)
        let rgb = Tensor([R, 3]), opacity = Tensor([R]), weights = Tensor([R, S])
        let bg = SIMD3<Float>(1, 0.9, 0.8)
        let out = Tensor([R, 4])
        let dOpacityWeight = Tensor([R])
        checkGradients(
            "VolumeComposite", inputs: [sigma, color],
            forward: {
                VolumeComposite.forward(
                    rgb: rgb.data, depth: nil, opacity: opacity.data, weights: weights.data, sigma: sigma.data,
                    color: color.data, delta: delta.data, t: t.data, background: bg, R: R, S: S)
                for r in 0..<R {
                    for c in 0..<3 { out[r * 4 + c] = rgb[r * 3 + c] }
                    out[r * 4 + 3] = opacity[r]
                }
                return out
            },
            backward: { d, g in
                let dRGB = Tensor([R, 3])
                for r in 0..<R {
                    for c in 0..<3 { dRGB[r * 3 + c] = d[r * 4 + c] }
                    dOpacityWeight[r] = d[r * 4 + 3]
                }
                VolumeComposite.backward(
                    dSigma: g[0].data, dColor: g[1].data, dRGB: dRGB.data, dOpacity: dOpacityWeight.data,
                    weights: weights.data,
                    sigma: sigma.data, color: color.data, delta: delta.data, background: bg, R: R, S: S)
            })
    }

    func testFieldHeadBackward() {
        var rng = SplitMix64(seed: 61)
        let N = 20
        let raw = random([N, 4], &rng, std: 2)
        var kept = (sigma: Tensor([N]), rgb: Tensor([N, 3]))
        checkDensityColourGradients(
            "FieldHead", inputs: [raw], N: N,
            forward: { sigma, rgb in
                FieldHead.forward(sigma: sigma.data, rgb: rgb.data, raw: raw.data, bias: -1, N: N)
                kept = (sigma, rgb)
            },
            backward: { dS, dC, g in
                FieldHead.backward(
                    dRaw: g[0].data, dSigma: dS.data, dRGB: dC.data, raw: raw.data, sigma: kept.sigma.data,
                    rgb: kept.rgb.data, bias: -1, N: N)
            })
    }

    /// The weights' own gradient path (a loss on the ray weights, as the distortion term adds).
    func testVolumeCompositeBackwardThroughWeights() {
        var rng = SplitMix64(seed: 64)
        let (R, S) = (4, 6)
        let sigma = Tensor([R, S]), color = Tensor([R, S, 3]), delta = Tensor([R, S]), t = Tensor([R, S])
        sigma.fillUniform(0, 3, rng: &rng)
        color.fillUniform(0, 1, rng: &rng)
        delta.fillUniform(0.05, 0.3, rng: &rng)
        let rgb = Tensor([R, 3]), opacity = Tensor([R]), weights = Tensor([R, S])
        let bg = SIMD3<Float>(1, 1, 1)
        checkGradients(
            "VolumeComposite weights", inputs: [sigma],
            forward: {
                VolumeComposite.forward(
                    rgb: rgb.data, depth: nil, opacity: opacity.data, weights: weights.data, sigma: sigma.data,
                    color: color.data, delta: delta.data, t: t.data, background: bg, R: R, S: S)
                return weights
            },
            backward: { d, g in
                let dColor = Tensor([R, S, 3]), dRGB = Tensor([R, 3])
                VolumeComposite.backward(
                    dSigma: g[0].data, dColor: dColor.data, dRGB: dRGB.data, dOpacity: nil, dWeights: d.data,
                    weights: weights.data, sigma: sigma.data, color: color.data, delta: delta.data, background: bg,
                    R: R, S: S)
            })
    }

    func testRayDistortionBackwardAndNaiveTwin() {
        var rng = SplitMix64(seed: 65)
        let (R, S) = (5, 9)
        let w = Tensor([R, S]), t = Tensor([R, S]), delta = Tensor([R, S]), loss = Tensor([R])
        w.fillUniform(0, 0.3, rng: &rng)
        delta.fillUniform(0.05, 0.2, rng: &rng)
        for r in 0..<R {
            var depth: Float = 1
            for i in 0..<S {
                t[r * S + i] = depth
                depth += delta[r * S + i]
            }
        }
        RayDistortion.forward(loss: loss.data, weights: w.data, t: t.data, delta: delta.data, R: R, S: S)
        for r in 0..<R {
            var naive = 0.0
            for i in 0..<S {
                for j in 0..<S {
                    naive += Double(w[r * S + i] * w[r * S + j]) * Double(abs(t[r * S + i] - t[r * S + j]))
                }
                naive += Double(w[r * S + i] * w[r * S + i] * delta[r * S + i]) / 3
            }
            XCTAssertEqual(Double(loss[r]), naive, accuracy: 1e-5 + 1e-5 * naive)
        }
        checkGradients(
            "RayDistortion", inputs: [w],
            forward: {
                RayDistortion.forward(loss: loss.data, weights: w.data, t: t.data, delta: delta.data, R: R, S: S)
                return loss
            },
            backward: { d, g in
                RayDistortion.backward(
                    dWeights: g[0].data, dLoss: d.data, weights: w.data, t: t.data, delta: delta.data, R: R, S: S)
            })
    }

    func testLitColourHeadBackward() {
        var rng = SplitMix64(seed: 66)
        let N = 16, K = LitColourHead.rawCount, V = ViewingConditions.count
        let raw = random([N, K], &rng, std: 1.5), conditions = Tensor([N, V])
        fillViewingConditions(conditions, seed: 67)
        var sigmaKept = Tensor([N])
        checkDensityColourGradients(
            "LitColourHead", inputs: [raw, conditions], N: N, eps: 5e-4,
            forward: { sigma, rgb in
                LitColourHead.forward(
                    sigma: sigma.data, rgb: rgb.data, raw: raw.data, conditions: conditions.data, densityBias: -1, N: N)
                sigmaKept = sigma
            },
            backward: { dS, dC, g in
                LitColourHead.backward(
                    dRaw: g[0].data, dConditions: g[1].data, dSigma: dS.data, dRGB: dC.data, raw: raw.data,
                    conditions: conditions.data, sigma: sigmaKept.data, densityBias: -1, N: N)
            })
    }

    func testLitTriplaneBackwardCodesWeightsAndPoints() {
        let config = tinyLitTriplane()
        var rng = SplitMix64(seed: 68)
        for kernel in [Linear.Kernel.fused, .blas] {
            let dec = LitTriplaneDecoder(config: config, rng: &rng)
            dec.kernel = kernel
            let B = 2, P = 7, N = B * P
            let codes = random([B, config.codeDim], &rng, std: 0.8)
            let points = Tensor([N, 3])
            points.fillUniform(-0.9, 0.9, rng: &rng)
            checkFieldGradients(
                "lit triplane \(kernel)", field: dec, codes: codes, points: points, objects: B, pointGradients: true,
                samplesPerInput: 10)
        }
    }

    /// The backward that reuses the activations `setup(batch:codes:)` kept gives the gradients of
    /// the one that recomputes them, and a later setup with other codes is not mistaken for them.
    func testLitTriplaneKeptActivationsMatchRecomputed() {
        let config = tinyLitTriplane()
        var rng = SplitMix64(seed: 69)
        let dec = LitTriplaneDecoder(config: config, rng: &rng)
        let B = 2, N = 10
        let codes = random([B, config.codeDim], &rng), other = random([B, config.codeDim], &rng)
        let points = Tensor([N, 3])
        points.fillUniform(-0.9, 0.9, rng: &rng)
        let dSigma = random([N], &rng), dRGB = random([N, 3], &rng)
        func gradients(kept: Bool) -> [Float] {
            let batch = dec.makeBatch(objects: B, capacity: N)
            fillViewingConditions(batch.conditions!, seed: 3)
            if kept {
                dec.setup(batch: batch, codes: other.data)  // stale activations of other codes first
                dec.setup(batch: batch, codes: codes.data)
            } else {
                dec.setup(state: batch.state.data, codes: codes.data, objects: B)
            }
            dec.query(points: points.data, batch: batch)
            let grads = ParameterGradients(like: dec.parameters), dCodes = Tensor([B, config.codeDim])
            dec.backward(
                dSigma: dSigma.data, dRGB: dRGB.data, batch: batch, codes: codes.data, points: points.data,
                grads: grads, dCodes: dCodes.data, dPoints: nil)
            return dCodes.array + grads.tensors.flatMap(\.array)
        }
        XCTAssertEqual(gradients(kept: true), gradients(kept: false))
    }

    func testFusedMLPMatchesLayerByLayerAndItsGradients() throws {
        try XCTSkipUnless(Linear.fusedAvailable, "no AVX2: the fused MLP is not used")
        var rng = SplitMix64(seed: 62)
        let N = 300, C = 16, H = 24
        let x = random([N, C], &rng), w1 = random([H, C], &rng, std: 0.4), b1 = random([H], &rng),
            w2 = random([H, H], &rng, std: 0.3)
        let b2 = random([H], &rng), w3 = random([4, H], &rng, std: 0.3), b3 = random([4], &rng)
        let layers = [
            MLPLayer(weight: w1.data, bias: b1.data, inputs: C, outputs: H),
            MLPLayer(weight: w2.data, bias: b2.data, inputs: H, outputs: H),
            MLPLayer(weight: w3.data, bias: b3.data, inputs: H, outputs: 4),
        ]
        XCTAssertTrue(FusedMLP.supports(layers))
        let fused = Tensor([N, 4]), h1 = Tensor([N, H]), h2 = Tensor([N, H]), ref = Tensor([N, 4])
        FusedMLP.forward(out: fused.data, inp: x.data, layers: layers, N: N)
        Linear.forward(out: h1.data, inp: x.data, weight: w1.data, bias: b1.data, N: N, I: C, O: H, relu: true)
        Linear.forward(out: h2.data, inp: h1.data, weight: w2.data, bias: b2.data, N: N, I: H, O: H, relu: true)
        Linear.forward(out: ref.data, inp: h2.data, weight: w3.data, bias: b3.data, N: N, I: H, O: 4)
        for i in 0..<(N * 4) { XCTAssertEqual(fused[i], ref[i], accuracy: 1e-4) }
        // Backward against the layer-by-layer path, exactly (no finite differences, so no ReLU kinks).
        let dy = random([N, 4], &rng)
        let fusedGrads = [
            Tensor([N, C]), Tensor([H, C]), Tensor([H]), Tensor([H, H]), Tensor([H]), Tensor([4, H]), Tensor([4]),
        ]
        FusedMLP.backward(
            dInp: fusedGrads[0].data, dWeights: [fusedGrads[1].data, fusedGrads[3].data, fusedGrads[5].data],
            dBiases: [fusedGrads[2].data, fusedGrads[4].data, fusedGrads[6].data], dOut: dy.data, inp: x.data,
            layers: layers, N: N)
        let refGrads = fusedGrads.map { Tensor($0.shape) }
        let dh2 = Tensor([N, H]), dh1 = Tensor([N, H])
        Linear.backward(
            dInp: dh2.data, dWeight: refGrads[5].data, dBias: refGrads[6].data, dOut: dy.data, inp: h2.data,
            weight: w3.data, N: N, I: H, O: 4)
        Linear.backward(
            dInp: dh1.data, dWeight: refGrads[3].data, dBias: refGrads[4].data, dOut: dh2.data, inp: h1.data,
            weight: w2.data,
            N: N, I: H, O: H, relu: true, out: h2.data)
        Linear.backward(
            dInp: refGrads[0].data, dWeight: refGrads[1].data, dBias: refGrads[2].data, dOut: dh1.data, inp: x.data,
            weight: w1.data,
            N: N, I: C, O: H, relu: true, out: h1.data)
        for (k, (a, b)) in zip(fusedGrads, refGrads).enumerated() {
            for i in 0..<a.count {
                XCTAssertEqual(a[i], b[i], accuracy: 2e-3 * max(1, abs(b[i])), "gradient \(k) element \(i)")
            }
        }
        // Input gradients alone (a frozen decoder) are the same, and no weight gradient is touched.
        let dxOnly = Tensor([N, C]), untouched = [Tensor([H, C]), Tensor([H, H]), Tensor([4, H])],
            untouchedB = [Tensor([H]), Tensor([H]), Tensor([4])]
        FusedMLP.backward(
            dInp: dxOnly.data, dWeights: untouched.map(\.data), dBiases: untouchedB.map(\.data), dOut: dy.data,
            inp: x.data,
            layers: layers, N: N, weightGradients: false)
        XCTAssertEqual(dxOnly.array, fusedGrads[0].array)
        XCTAssertTrue((untouched + untouchedB).allSatisfy { $0.array.allSatisfy { $0 == 0 } })
        // And against finite differences, on inputs kept away from the ReLU kinks by small perturbations.
        checkGradients(
            "FusedMLP", inputs: [w3, b3], eps: 1e-4, samplesPerInput: 30,
            forward: {
                FusedMLP.forward(out: fused.data, inp: x.data, layers: layers, N: N)
                return fused
            },
            backward: { d, g in
                let dx = Tensor([N, C]), dw1 = Tensor([H, C]), db1 = Tensor([H]), dw2 = Tensor([H, H]),
                    db2 = Tensor([H])
                FusedMLP.backward(
                    dInp: dx.data, dWeights: [dw1.data, dw2.data, g[0].data], dBiases: [db1.data, db2.data, g[1].data],
                    dOut: d.data, inp: x.data, layers: layers, N: N)
            })
    }

    func testDecoderBackwardCodesWeightsAndPoints() {
        let config = tinyTriplane(side: 4)
        var rng = SplitMix64(seed: 63)
        for kernel in [Linear.Kernel.fused, .blas] {
            let dec = TriplaneDecoder(config: config, rng: &rng)
            dec.kernel = kernel
            let B = 2, P = 9, N = B * P
            let codes = random([B, config.codeDim], &rng, std: 0.5)
            let points = Tensor([N, 3])
            points.fillUniform(-0.9, 0.9, rng: &rng)
            checkFieldGradients(
                "decoder \(kernel)", field: dec, codes: codes, points: points, objects: B, pointGradients: true)
        }
    }
}

final class PoseGradientTests: XCTestCase {
    /// The chain from sample points back to ray origins and directions (the camera pose), with
    /// sample depths held fixed. Point gradients themselves are checked in the decoder test above.
    func testRaySamplingBackward() {
        let R = 4, S = 5, N = R * S
        let origins = Tensor([R, 3]), dirs = Tensor([R, 3])
        for r in 0..<R {
            origins[3 * r] = 3
            origins[3 * r + 1] = 0.3 * Float(r) - 0.4
            origins[3 * r + 2] = 0.2
            dirs[3 * r] = -1
            dirs[3 * r + 1] = 0.05 * Float(r) - 0.1
            dirs[3 * r + 2] = -0.03
        }
        let t = Tensor([R, S]), delta = Tensor([R, S]), points = Tensor([N, 3])
        RaySampling.samples(
            t: t.data, delta: delta.data, points: points.data, origins: origins.data, directions: dirs.data,
            jitter: nil, box: 1, R: R, S: S)
        XCTAssertTrue(t.isFinite)
        XCTAssertGreaterThan(t[0], 1.5)  // the cube starts 2 units in front of x = 3
        checkGradients(
            "ray sampling", inputs: [origins, dirs],
            forward: {
                for r in 0..<R {
                    for i in 0..<S {
                        for c in 0..<3 {
                            points[3 * (r * S + i) + c] = origins[3 * r + c] + t[r * S + i] * dirs[3 * r + c]
                        }
                    }
                }
                return points
            },
            backward: { d, g in
                RaySampling.backward(
                    dOrigins: g[0].data, dDirections: g[1].data, dPoints: d.data, t: t.data, R: R, S: S)
            })
    }
}

final class VolumePropertyTests: XCTestCase {
    func composite(sigma: [Float], color: [Float], delta: Float = 0.1, bg: SIMD3<Float> = SIMD3(1, 1, 1)) -> (
        rgb: [Float], opacity: Float, weights: [Float]
    ) {
        let S = sigma.count
        let s = Tensor([1, S], values: sigma), c = Tensor([1, S, 3], values: color), d = Tensor([1, S]),
            t = Tensor([1, S])
        d.fill(delta)
        for i in 0..<S { t[i] = Float(i) * delta }
        let rgb = Tensor([1, 3]), o = Tensor([1]), w = Tensor([1, S])
        VolumeComposite.forward(
            rgb: rgb.data, depth: nil, opacity: o.data, weights: w.data, sigma: s.data, color: c.data, delta: d.data,
            t: t.data, background: bg, R: 1, S: S)
        return (rgb.array, o[0], w.array)
    }

    func testConstantColourInThatColourOut() {
        var rng = SplitMix64(seed: 64)
        for _ in 0..<20 {
            let S = 32
            let sigma = (0..<S).map { _ in 50 * rng.nextFloat() }  // dense enough to be opaque
            let col: [Float] = [0.2, 0.5, 0.7]
            let r = composite(sigma: sigma, color: (0..<S).flatMap { _ in col }, bg: SIMD3(0.2, 0.5, 0.7))
            // any opacity: colour = background = constant
            for c in 0..<3 { XCTAssertEqual(r.rgb[c], col[c], accuracy: 1e-5) }
            let r2 = composite(sigma: sigma, color: (0..<S).flatMap { _ in col }, bg: SIMD3(1, 1, 1))
            for c in 0..<3 { XCTAssertEqual(r2.rgb[c], col[c] * r2.opacity + (1 - r2.opacity), accuracy: 1e-5) }
        }
    }

    func testZeroDensityGivesBackgroundAndWeightsSumToAtMostOne() {
        let r = composite(
            sigma: [Float](repeating: 0, count: 16), color: [Float](repeating: 0.3, count: 48), bg: SIMD3(1, 1, 1))
        XCTAssertEqual(r.rgb, [1, 1, 1])
        XCTAssertEqual(r.opacity, 0)
        var rng = SplitMix64(seed: 65)
        for _ in 0..<50 {
            let sigma = (0..<24).map { _ in 1000 * rng.nextFloat() * rng.nextFloat() }
            let w = composite(sigma: sigma, color: [Float](repeating: 0.5, count: 72)).weights
            XCTAssertTrue(w.allSatisfy { $0 >= 0 })
            XCTAssertLessThanOrEqual(w.reduce(0, +), 1 + 1e-5)
        }
    }
}

final class EncoderTests: XCTestCase {
    /// Inference (the oneDNN chain, fused LeakyReLU, reordered weights) gives `forward`'s codes: in
    /// fp32 to rounding, in bf16 to its 8-bit mantissa; and after the weights change, the new ones.
    func testInferenceMatchesForwardAndFollowsWeightChanges() {
        var config = EncoderConfig()
        config.inputSize = 32
        config.channels = [16, 32, 32]
        config.features = 16
        config.codeDim = 8
        var rng = SplitMix64(seed: 81)
        let enc = PhotoEncoder(config: config, rng: &rng)
        let B = 2
        let images = Tensor([B, 3, 32, 32])
        images.fillUniform(0, 1, rng: &rng)
        func gap(_ precision: ConvChain.Precision) -> Float {
            PhotoEncoder.inferencePrecision = precision
            let fast = enc.infer(images: images.data, B: B), slow = enc.forward(images: images.data, B: B)
            var worst: Float = 0, scale: Float = 0
            for i in 0..<fast.identity.count {
                worst = max(worst, abs(fast.identity[i] - slow.identity[i]))
                scale = max(scale, abs(slow.identity[i]))
            }
            for i in 0..<fast.view.count { worst = max(worst, abs(fast.view[i] - slow.view[i])) }
            return worst / max(scale, 1e-3)
        }
        let saved = PhotoEncoder.inferencePrecision
        defer { PhotoEncoder.inferencePrecision = saved }
        XCTAssertLessThan(gap(.fp32), 1e-4)
        XCTAssertLessThan(gap(.bf16), 5e-2)
        // A changed weight (as Adam changes it) must reach inference: the chain is rebuilt.
        let w = enc.parameters.first { $0.name == "encoder.conv1.w" }!.tensor
        for i in 0..<w.count { w.data[i] *= -1.5 }
        w.modified()
        XCTAssertLessThan(gap(.fp32), 1e-4)
    }

    func testEncoderBackward() {
        var config = EncoderConfig()
        config.inputSize = 16
        config.channels = [4, 6]
        config.features = 8
        config.codeDim = 5
        config.lightDim = 5  // the lit field's encoder: its view head is 5 wider
        var rng = SplitMix64(seed: 80)
        let enc = PhotoEncoder(config: config, rng: &rng)
        let B = 2
        let images = Tensor([B, 3, 16, 16])
        images.fillUniform(0, 1, rng: &rng)
        let out = Tensor([B, config.codeDim + config.viewDim])
        let params = enc.parameters.map(\.tensor)
        checkGradients(
            "encoder", inputs: params, eps: 1e-3, rtol: 3e-2, atol: 3e-3, samplesPerInput: 10,
            forward: {
                let a = enc.forward(images: images.data, B: B)
                for b in 0..<B {
                    for d in 0..<config.codeDim {
                        out[b * (config.codeDim + config.viewDim) + d] = a.identity[b * config.codeDim + d]
                    }
                    for v in 0..<config.viewDim {
                        out[b * (config.codeDim + config.viewDim) + config.codeDim + v] = a.view[b * config.viewDim + v]
                    }
                }
                return out
            },
            backward: { d, g in
                let a = enc.forward(images: images.data, B: B)
                let dId = Tensor([B, config.codeDim]), dView = Tensor([B, config.viewDim])
                for b in 0..<B {
                    for k in 0..<config.codeDim {
                        dId[b * config.codeDim + k] = d[b * (config.codeDim + config.viewDim) + k]
                    }
                    for v in 0..<config.viewDim {
                        dView[b * config.viewDim + v] = d[b * (config.codeDim + config.viewDim) + config.codeDim + v]
                    }
                }
                enc.backward(
                    dIdentity: dId.data, dView: dView.data, acts: a, images: images.data,
                    grads: zip(enc.parameters, g).map { (name: $0.name, tensor: $1) })
            })
    }
}
