import NeuralCore
import TestSupport
import XCTest

/// One line (or so) per op: every backward against central finite differences.
final class OpGradientTests: XCTestCase {
    func testLinear() {
        var rng = SplitMix64(seed: 1)
        let (N, I, O) = (7, 5, 4)
        let x = random([N, I], &rng), w = random([O, I], &rng), b = random([O], &rng), y = Tensor([N, O])
        checkGradients(
            "Linear", inputs: [x, w, b],
            forward: {
                Linear.forward(out: y.data, inp: x.data, weight: w.data, bias: b.data, N: N, I: I, O: O)
                return y
            },
            backward: { d, g in
                Linear.backward(
                    dInp: g[0].data, dWeight: g[1].data, dBias: g[2].data, dOut: d.data, inp: x.data, weight: w.data,
                    N: N, I: I, O: O)
            })
    }

    func testChannelConcat() {
        var rng = SplitMix64(seed: 81)
        let (B, C1, C2, P) = (2, 3, 2, 5)
        let a = random([B, C1, P], &rng), b = random([B, C2, P], &rng), y = Tensor([B, C1 + C2, P])
        checkGradients(
            "ChannelConcat", inputs: [a, b],
            forward: {
                ChannelConcat.forward(out: y.data, a: a.data, b: b.data, B: B, C1: C1, C2: C2, P: P)
                return y
            },
            backward: { d, g in
                ChannelConcat.backward(dA: g[0].data, dB: g[1].data, dOut: d.data, B: B, C1: C1, C2: C2, P: P)
            })
        ChannelConcat.forward(out: y.data, a: a.data, b: b.data, B: B, C1: C1, C2: C2, P: P)
        XCTAssertEqual(y[(1 * (C1 + C2) + C1 + 1) * P + 4], b[(1 * C2 + 1) * P + 4])
    }

    func testBCEWithLogits() {
        var rng = SplitMix64(seed: 82)
        let N = 9
        let x = random([N], &rng, std: 2), t = Tensor([N]), out = Tensor([1])
        for i in 0..<N { t[i] = i % 3 == 0 ? 1 : (i % 3 == 1 ? 0 : 0.3) }
        checkGradients(
            "BCEWithLogits", inputs: [x],
            forward: {
                out[0] = BCEWithLogits.forward(logits: x.data, targets: t.data, N: N)
                return out
            },
            backward: { d, g in
                BCEWithLogits.backward(dLogits: g[0].data, dLoss: d[0], logits: x.data, targets: t.data, N: N)
            })
        // Large logits: finite, and near zero loss when right.
        let big = Tensor([2], values: [80, -80]), right = Tensor([2], values: [1, 0])
        XCTAssertEqual(BCEWithLogits.forward(logits: big.data, targets: right.data, N: 2), 0, accuracy: 1e-6)
    }

    func testUpsample2x() {
        var rng = SplitMix64(seed: 80)
        let (B, C, H, W) = (2, 3, 3, 4)
        let x = random([B, C, H, W], &rng), y = Tensor([B, C, 2 * H, 2 * W])
        checkGradients(
            "Upsample2x", inputs: [x],
            forward: {
                Upsample2x.forward(out: y.data, inp: x.data, B: B, C: C, H: H, W: W)
                return y
            },
            backward: { d, g in Upsample2x.backward(dInp: g[0].data, dOut: d.data, B: B, C: C, H: H, W: W) })
        XCTAssertEqual(y[((1 * C + 2) * 2 * H + 5) * 2 * W + 7], x[((1 * C + 2) * H + 2) * W + 3])
    }

    func testPlaneUpsample() {
        var rng = SplitMix64(seed: 82)
        let (P, r, f, C) = (3, 3, 4, 2)
        let x = random([P, r, r, C], &rng), y = Tensor([P, r * f, r * f, C])
        checkGradients(
            "PlaneUpsample", inputs: [x],
            forward: {
                PlaneUpsample.forward(out: y.data, inp: x.data, P: P, r: r, factor: f, C: C)
                return y
            },
            backward: { d, g in PlaneUpsample.backward(dInp: g[0].data, dOut: d.data, P: P, r: r, factor: f, C: C) })
        // (The checker leaves y at a perturbed input: run it again.) A corner texel copies the
        // coarse corner; a texel between two coarse centres mixes them.
        PlaneUpsample.forward(out: y.data, inp: x.data, P: P, r: r, factor: f, C: C)
        XCTAssertEqual(y[1], x[1], accuracy: 1e-6)
        let R = r * f
        // Row 0, column 6 lies at coarse x = 1.125 (between texels 1 and 2, weight 0.125 on 2).
        XCTAssertEqual(y[(0 * R + 6) * C], 0.875 * x[(0 * r + 1) * C] + 0.125 * x[(0 * r + 2) * C], accuracy: 1e-6)
        // Flipping the coarse plane's columns flips the fine plane's.
        let flipped = Tensor([P, r, r, C]), yf = Tensor([P, R, R, C])
        for p in 0..<P {
            for j in 0..<r {
                for i in 0..<r {
                    for c in 0..<C { flipped[((p * r + j) * r + i) * C + c] = x[((p * r + j) * r + r - 1 - i) * C + c] }
                }
            }
        }
        PlaneUpsample.forward(out: yf.data, inp: flipped.data, P: P, r: r, factor: f, C: C)
        XCTAssertEqual(yf[((2 * R + 5) * R + 1) * C + 1], y[((2 * R + 5) * R + R - 2) * C + 1], accuracy: 1e-6)
    }

    func testPlaneSplit() {
        var rng = SplitMix64(seed: 81)
        let (B, P, C, H, W) = (2, 3, 4, 3, 5)
        let image = random([B, P * C, H, W], &rng), planes = Tensor([B, P, H, W, C])
        checkGradients(
            "PlaneSplit", inputs: [image],
            forward: {
                PlaneSplit.forward(planes: planes.data, image: image.data, B: B, P: P, C: C, H: H, W: W)
                return planes
            },
            backward: { d, g in
                PlaneSplit.backward(dImage: g[0].data, dPlanes: d.data, B: B, P: P, C: C, H: H, W: W)
            })
        // plane 2, channel 1 of object 1 at (y 2, x 3)
        XCTAssertEqual(
            planes[(((1 * P + 2) * H + 2) * W + 3) * C + 1], image[((1 * P * C + 2 * C + 1) * H + 2) * W + 3])
    }

    func testLinearReLUBothKernels() {
        var rng = SplitMix64(seed: 15)
        let (N, I, O) = (13, 16, 24)  // multiples of 8: the fused kernels apply
        let x = random([N, I], &rng), w = random([O, I], &rng), b = random([O], &rng), y = Tensor([N, O])
        for kernel in [Linear.Kernel.blas, .fused] {
            checkGradients(
                "Linear+ReLU \(kernel)", inputs: [x, w, b], samplesPerInput: 60,
                forward: {
                    Linear.forward(
                        out: y.data, inp: x.data, weight: w.data, bias: b.data, N: N, I: I, O: O, relu: true,
                        kernel: kernel)
                    return y
                },
                backward: { d, g in
                    Linear.backward(
                        dInp: g[0].data, dWeight: g[1].data, dBias: g[2].data, dOut: d.data, inp: x.data,
                        weight: w.data, N: N, I: I, O: O, relu: true, out: y.data, kernel: kernel)
                })
        }
    }

    /// A few rows through a wide layer (the generator's shape): streaming kernels, sgemv for one row, sgemm.
    func testLinearSkinnyRowsAllPaths() {
        var rng = SplitMix64(seed: 16)
        for (N, kernel) in [(3, Linear.Kernel.fused), (1, .fused), (1, .blas), (3, .blas)] {
            let (I, O) = (16, 8200)  // I O above the fused kernels' weight limit
            let x = random([N, I], &rng), w = random([O, I], &rng), b = random([O], &rng), y = Tensor([N, O])
            checkGradients(
                "Linear N=\(N) \(kernel)", inputs: [x, w, b], samplesPerInput: 40,
                forward: {
                    Linear.forward(
                        out: y.data, inp: x.data, weight: w.data, bias: b.data, N: N, I: I, O: O, kernel: kernel)
                    return y
                },
                backward: { d, g in
                    Linear.backward(
                        dInp: g[0].data, dWeight: g[1].data, dBias: g[2].data, dOut: d.data, inp: x.data,
                        weight: w.data, N: N, I: I, O: O, kernel: kernel)
                })
        }
    }

    func testLinearLargeBatchUsesBothCores() {
        var rng = SplitMix64(seed: 2)
        let (N, I, O) = (9000, 6, 3)  // above the column-sum split threshold
        let x = random([N, I], &rng), w = random([O, I], &rng), b = random([O], &rng), y = Tensor([N, O])
        checkGradients(
            "Linear N=9000", inputs: [w, b], samplesPerInput: 18,
            forward: {
                Linear.forward(out: y.data, inp: x.data, weight: w.data, bias: b.data, N: N, I: I, O: O)
                return y
            },
            backward: { d, g in
                Linear.backward(
                    dInp: nil, dWeight: g[0].data, dBias: g[1].data, dOut: d.data, inp: x.data, weight: w.data, N: N,
                    I: I, O: O)
            })
    }

    func testReLU() {
        var rng = SplitMix64(seed: 3)
        let x = awayFromZero([40], &rng), y = Tensor([40])
        checkGradients(
            "ReLU", inputs: [x],
            forward: {
                ReLU.forward(out: y.data, inp: x.data, N: 40)
                return y
            },
            backward: { d, g in ReLU.backward(dInp: g[0].data, dOut: d.data, out: y.data, N: 40) })
    }

    func testLeakyReLU() {
        var rng = SplitMix64(seed: 4)
        let x = awayFromZero([40], &rng), y = Tensor([40])
        checkGradients(
            "LeakyReLU", inputs: [x],
            forward: {
                LeakyReLU.forward(out: y.data, inp: x.data, slope: 0.2, N: 40)
                return y
            },
            backward: { d, g in LeakyReLU.backward(dInp: g[0].data, dOut: d.data, inp: x.data, slope: 0.2, N: 40) })
    }

    func testSoftplus() {
        var rng = SplitMix64(seed: 5)
        let x = random([40], &rng, std: 4), y = Tensor([40])
        checkGradients(
            "Softplus", inputs: [x],
            forward: {
                Softplus.forward(out: y.data, inp: x.data, N: 40)
                return y
            },
            backward: { d, g in Softplus.backward(dInp: g[0].data, dOut: d.data, inp: x.data, N: 40) })
    }

    func testSigmoid() {
        var rng = SplitMix64(seed: 6)
        let x = random([40], &rng, std: 3), y = Tensor([40])
        checkGradients(
            "Sigmoid", inputs: [x],
            forward: {
                Sigmoid.forward(out: y.data, inp: x.data, N: 40)
                return y
            },
            backward: { d, g in Sigmoid.backward(dInp: g[0].data, dOut: d.data, out: y.data, N: 40) })
    }

    func testClampedExp() {
        var rng = SplitMix64(seed: 7)
        let x = random([40], &rng, std: 1.5), y = Tensor([40])
        x[0] = ClampedExp.maxInput + 1  // clamped: gradient must be 0
        checkGradients(
            "ClampedExp", inputs: [x],
            forward: {
                ClampedExp.forward(out: y.data, inp: x.data, N: 40)
                return y
            },
            backward: { d, g in ClampedExp.backward(dInp: g[0].data, dOut: d.data, inp: x.data, out: y.data, N: 40) })
    }

    /// C = 16 takes the one-vector-a-texel path (the triplane's width), C = 4 the channel loop.
    func testBilinearSample() {
        var rng = SplitMix64(seed: 8)
        for C in [4, 16] {
            let (N, P, H, W) = (30, 3, 5, 6)
            let planes = random([P, H, W, C], &rng), y = Tensor([N, C])
            let uv = interiorUV(N: N, P: P, H: H, W: W, &rng)
            checkGradients(
                "BilinearSample C=\(C)", inputs: [planes, uv], samplesPerInput: 80,
                forward: {
                    BilinearSample.forward(out: y.data, planes: planes.data, uv: uv.data, N: N, P: P, H: H, W: W, C: C)
                    return y
                },
                backward: { d, g in
                    BilinearSample.backward(
                        dPlanes: g[0].data, dUV: g[1].data, dOut: d.data, planes: planes.data, uv: uv.data, N: N, P: P,
                        H: H, W: W, C: C)
                })
        }
    }

    func testBilinearSampleManyPointsSplitsAcrossThreads() {
        var rng = SplitMix64(seed: 9)
        let (N, P, H, W, C) = (5000, 2, 4, 4, 3)
        let planes = random([P, H, W, C], &rng), y = Tensor([N, C])
        let uv = interiorUV(N: N, P: P, H: H, W: W, &rng)
        checkGradients(
            "BilinearSample N=5000", inputs: [planes], samplesPerInput: 40,
            forward: {
                BilinearSample.forward(out: y.data, planes: planes.data, uv: uv.data, N: N, P: P, H: H, W: W, C: C)
                return y
            },
            backward: { d, g in
                BilinearSample.backward(
                    dPlanes: g[0].data, dUV: nil, dOut: d.data, planes: planes.data, uv: uv.data, N: N, P: P, H: H,
                    W: W, C: C)
            })
    }

    func testConv2d() {
        var rng = SplitMix64(seed: 10)
        for s in [
            Conv2dShape(B: 2, Ci: 3, H: 6, W: 5, Co: 4, K: 3, S: 1, P: 1),
            Conv2dShape(B: 2, Ci: 2, H: 7, W: 7, Co: 3, K: 3, S: 2, P: 1),
            Conv2dShape(B: 1, Ci: 2, H: 4, W: 6, Co: 2, K: 2, S: 2, P: 0),
            Conv2dShape(B: 2, Ci: 3, H: 16, W: 16, Co: 3, K: 4, S: 2, P: 1),
        ] {
            let x = random([s.B, s.Ci, s.H, s.W], &rng), w = random([s.Co, s.Ci, s.K, s.K], &rng),
                b = random([s.Co], &rng)
            let y = Tensor([s.B, s.Co, s.Ho, s.Wo])
            for oneDNN in OneDNN.enabled ? [false, true] : [false] {
                checkGradients(
                    "Conv2d \(s) oneDNN \(oneDNN)", inputs: [x, w, b],
                    forward: {
                        Conv2d.forward(out: y.data, inp: x.data, weight: w.data, bias: b.data, s, oneDNN: oneDNN)
                        return y
                    },
                    backward: { d, g in
                        Conv2d.backward(
                            dInp: g[0].data, dWeight: g[1].data, dBias: g[2].data, dOut: d.data, inp: x.data,
                            weight: w.data, s, oneDNN: oneDNN)
                    })
            }
        }
    }

    func testSum() {
        var rng = SplitMix64(seed: 11)
        let x = random([6, 5], &rng), y = Tensor([6])
        checkGradients(
            "Sum", inputs: [x],
            forward: {
                Sum.forward(out: y.data, inp: x.data, N: 6, C: 5)
                return y
            },
            backward: { d, g in Sum.backward(dInp: g[0].data, dOut: d.data, N: 6, C: 5) })
    }

    func testMean() {
        var rng = SplitMix64(seed: 12)
        let x = random([6, 5], &rng), y = Tensor([6])
        checkGradients(
            "Mean", inputs: [x],
            forward: {
                Mean.forward(out: y.data, inp: x.data, N: 6, C: 5)
                return y
            },
            backward: { d, g in Mean.backward(dInp: g[0].data, dOut: d.data, N: 6, C: 5) })
    }

    func testMSELoss() {
        var rng = SplitMix64(seed: 13)
        let p = random([20], &rng), t = random([20], &rng), y = Tensor([1])
        checkGradients(
            "MSELoss", inputs: [p],
            forward: {
                y[0] = MSELoss.forward(pred: p.data, target: t.data, N: 20)
                return y
            },
            backward: { d, g in MSELoss.backward(dPred: g[0].data, dLoss: d[0], pred: p.data, target: t.data, N: 20) })
    }

    func testL1Loss() {
        var rng = SplitMix64(seed: 14)
        let t = random([20], &rng), p = awayFromZero([20], &rng, lo: -1, hi: 1, gap: 0.05)
        for i in 0..<20 { p[i] += t[i] }  // pred - target stays away from the kink at 0
        let y = Tensor([1])
        checkGradients(
            "L1Loss", inputs: [p],
            forward: {
                y[0] = L1Loss.forward(pred: p.data, target: t.data, N: 20)
                return y
            },
            backward: { d, g in L1Loss.backward(dPred: g[0].data, dLoss: d[0], pred: p.data, target: t.data, N: 20) })
    }

    /// (N, P, 2) coordinates whose texel-space positions stay 0.1 px away from texel centres and the
    /// border, so ±eps never crosses a kink of the piecewise-bilinear function.
    private func interiorUV(N: Int, P: Int, H: Int, W: Int, _ rng: inout SplitMix64) -> Tensor {
        let uv = Tensor([N, P, 2])
        for i in 0..<(N * P) {
            let x = Float(rng.nextInt(W - 1)) + 0.1 + 0.8 * rng.nextFloat()
            let y = Float(rng.nextInt(H - 1)) + 0.1 + 0.8 * rng.nextFloat()
            uv[2 * i] = (x + 0.5) / Float(W) * 2 - 1
            uv[2 * i + 1] = (y + 0.5) / Float(H) * 2 - 1
        }
        return uv
    }

    func testUpsampleConv() {
        var rng = SplitMix64(seed: 31)
        for (B, Ci, H, W, Co) in [(2, 3, 4, 5, 4), (1, 2, 1, 1, 3), (2, 4, 3, 2, 2)] {
            let x = random([B, Ci, H, W], &rng), w = random([Co, Ci, 3, 3], &rng), b = random([Co], &rng)
            let y = Tensor([B, Co, 2 * H, 2 * W])
            for oneDNN in OneDNN.enabled ? [false, true] : [false] {
                checkGradients(
                    "UpsampleConv \(B)x\(Ci)x\(H)x\(W) -> \(Co) oneDNN \(oneDNN)", inputs: [x, w, b],
                    forward: {
                        UpsampleConv.forward(
                            out: y.data, inp: x.data, weight: w.data, bias: b.data, B: B, Ci: Ci, H: H, W: W, Co: Co,
                            oneDNN: oneDNN)
                        return y
                    },
                    backward: { d, g in
                        UpsampleConv.backward(
                            dInp: g[0].data, dWeight: g[1].data, dBias: g[2].data, dOut: d.data, inp: x.data,
                            weight: w.data, B: B, Ci: Ci, H: H, W: W, Co: Co, oneDNN: oneDNN)
                    })
            }
        }
    }
}
