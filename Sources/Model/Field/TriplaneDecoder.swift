import Foundation
import NeuralCore

// Identity code -> triplane -> per-point MLP -> density and colour.
// B objects, P points of one object, N points, D code length, G = 3 R R C plane floats,
// R plane side, C plane channels, H hidden width.

/// The conditional radiance field: a linear generator maps z (D) to three axis-aligned feature
/// planes (3, R, R, C); a point's feature is the sum of its bilinear samples on the xy, xz and yz
/// planes; an MLP C -> H -> H -> 4 gives density (clamped exp) and colour (sigmoid).
public final class TriplaneDecoder: RadianceField {
    public let config: TriplaneConfig
    public let genW: Tensor  // (G, D)
    public let genB: Tensor  // (G)
    public let w1: Tensor  // (H, C)
    public let b1: Tensor  // (H)
    public let w2: Tensor  // (H, H)
    public let b2: Tensor  // (H)
    public let w3: Tensor  // (4, H)
    public let b3: Tensor  // (4)
    /// Dense-layer kernel of the point MLP (the fused AVX-512/AVX2 one where the CPU has it); a
    /// property of this decoder, so a test can compare kernels without touching other users.
    public var kernel: Linear.Kernel = Linear.preferred

    /// Positions in `parameters` (and so in `ParameterGradients`).
    enum Slot: Int { case genW, genB, w1, b1, w2, b2, w3, b3 }

    public var spec: FieldSpec { FieldSpec(config) }
    public var stateSize: Int { config.planeCount }

    /// The point MLP as layers for the fused kernels.
    var mlpLayers: [MLPLayer] {
        let C = config.planeChannels, H = config.hidden
        return [
            MLPLayer(weight: w1.data, bias: b1.data, inputs: C, outputs: H),
            MLPLayer(weight: w2.data, bias: b2.data, inputs: H, outputs: H),
            MLPLayer(weight: w3.data, bias: b3.data, inputs: H, outputs: 4),
        ]
    }

    /// Parameters by name, in file order.
    public var parameters: [(name: String, tensor: Tensor)] {
        [
            ("decoder.gen.w", genW), ("decoder.gen.b", genB), ("decoder.mlp1.w", w1), ("decoder.mlp1.b", b1),
            ("decoder.mlp2.w", w2), ("decoder.mlp2.b", b2), ("decoder.mlp3.w", w3), ("decoder.mlp3.b", b3),
        ]
    }

    /// Fresh weights: uniform(±1/sqrt(fan_in)) as PyTorch's Linear default.
    public init(config: TriplaneConfig, rng: inout SplitMix64) {
        self.config = config
        let D = config.codeDim, G = config.planeCount, C = config.planeChannels, H = config.hidden
        genW = Tensor([G, D])
        genB = Tensor([G])
        w1 = Tensor([H, C])
        b1 = Tensor([H])
        w2 = Tensor([H, H])
        b2 = Tensor([H])
        w3 = Tensor([4, H])
        b3 = Tensor([4])
        for (t, fanIn) in [(genW, D), (genB, D), (w1, C), (b1, C), (w2, H), (b2, H), (w3, H), (b3, H)] {
            let a = 1 / Float(fanIn).squareRoot()
            t.fillUniform(-a, a, rng: &rng)
        }
    }

    public var queryFlopsPerPoint: Double {
        let C = Double(config.planeChannels), H = Double(config.hidden)
        return 2 * (C * H + H * H + H * 4)
    }
    public var setupFlopsPerObject: Double { 2 * Double(config.codeDim * config.planeCount) }

    /// The query buffers of a triplane: plane coordinates, features and MLP activations.
    public final class Batch: FieldBatch {
        public let uv: Tensor  // (N, 3, 2)
        public let feat: Tensor  // (N, C)
        /// Hidden activations, only materialised on the unfused path (the fused MLP keeps them in cache).
        public lazy var h1 = Tensor([capacity, hidden])  // (N, H)
        public lazy var h2 = Tensor([capacity, hidden])  // (N, H)
        let hidden: Int
        public let raw: Tensor  // (N, 4)

        init(config: TriplaneConfig, objects: Int, capacity: Int) {
            uv = Tensor([capacity, 3, 2])
            feat = Tensor([capacity, config.planeChannels])
            hidden = config.hidden
            raw = Tensor([capacity, 4])
            super.init(objects: objects, capacity: capacity, stateSize: config.planeCount)
        }
    }

    public func makeBatch(objects: Int, capacity: Int) -> FieldBatch {
        Batch(config: config, objects: objects, capacity: capacity)
    }

    /// planes (B, G) = codes (B, D) · genW^T + genB.
    public func setup(state planes: UnsafeMutablePointer<Float>, codes: UnsafePointer<Float>, objects B: Int) {
        Linear.forward(
            out: planes, inp: codes, weight: genW.data, bias: genB.data, N: B, I: config.codeDim, O: config.planeCount)
    }

    /// uv (N, 3, 2) of points (N, 3): planes xy, xz, yz, scaled so the box maps to [-1, 1].
    static func projectPoints(uv: UnsafeMutablePointer<Float>, points: UnsafePointer<Float>, scale: Float, N: Int) {
        Parallel.forRanges(N, grain: 16384) { r in
            for n in r {
                let x = points[3 * n] * scale, y = points[3 * n + 1] * scale, z = points[3 * n + 2] * scale
                let o = uv + 6 * n
                o[0] = x
                o[1] = y
                o[2] = x
                o[3] = z
                o[4] = y
                o[5] = z
            }
        }
    }

    /// Density and colour at points (N, 3) from the planes in `batch.state` (see `setup`).
    public func query(points: UnsafePointer<Float>, batch: FieldBatch) {
        let a = batch as! Batch
        let N = a.N, B = a.B, C = config.planeChannels, H = config.hidden, R = config.planeResolution
        precondition(a.starts[B] == N, "points must be assigned to objects")
        Self.projectPoints(uv: a.uv.data, points: points, scale: Float(1 / config.box), N: N)
        Profiler.measure("field: triplane sample") {
            for b in 0..<B {
                let (p0, P) = a.range(b)
                BilinearSample.forward(
                    out: a.feat.data + p0 * C, planes: a.state.data + b * config.planeCount,
                    uv: a.uv.data + p0 * 6, N: P, P: 3, H: R, W: R, C: C)
            }
        }
        Profiler.measure("field: mlp") {
            if FusedMLP.supports(mlpLayers, kernel: kernel) {
                FusedMLP.forward(out: a.raw.data, inp: a.feat.data, layers: mlpLayers, N: N)
            } else {
                Linear.forward(
                    out: a.h1.data, inp: a.feat.data, weight: w1.data, bias: b1.data, N: N, I: C, O: H, relu: true,
                    kernel: kernel)
                Linear.forward(
                    out: a.h2.data, inp: a.h1.data, weight: w2.data, bias: b2.data, N: N, I: H, O: H, relu: true,
                    kernel: kernel)
                Linear.forward(
                    out: a.raw.data, inp: a.h2.data, weight: w3.data, bias: b3.data, N: N, I: H, O: 4, kernel: kernel)
            }
        }
        FieldHead.forward(sigma: a.sigma.data, rgb: a.rgb.data, raw: a.raw.data, bias: config.densityBias, N: N)
    }

    public func backward(
        dSigma: UnsafePointer<Float>, dRGB: UnsafePointer<Float>, batch: FieldBatch, codes: UnsafePointer<Float>,
        points: UnsafePointer<Float>, grads: ParameterGradients?, dCodes: UnsafeMutablePointer<Float>?,
        dPoints: UnsafeMutablePointer<Float>?
    ) {
        let a = batch as! Batch
        let N = a.N, B = a.B, C = config.planeChannels, H = config.hidden, R = config.planeResolution
        let D = config.codeDim, G = config.planeCount
        // Without weight gradients the MLP's (small) partials go to scratch; the generator's 6M-float
        // weight gradient, which would dominate an inversion step, is skipped outright.
        let mlpScratch = grads == nil ? [w1, b1, w2, b2, w3, b3].map { Tensor($0.shape) } : []
        func g(_ slot: Slot) -> UnsafeMutablePointer<Float> {
            if let grads { return grads[slot.rawValue].data }
            return mlpScratch[slot.rawValue - Slot.w1.rawValue].data
        }
        Scratch.with(N * 4) { dRaw in  // (N, 4)
            Scratch.with(N * C) { dFeat in  // (N, C)
                Scratch.with(B * G) { dPlanes in  // (B, G)
                    Scratch.with(dPoints == nil ? 1 : N * 6) { dUV in  // (N, 3, 2)
                        dRaw.initialize(repeating: 0, count: N * 4)
                        FieldHead.backward(
                            dRaw: dRaw, dSigma: dSigma, dRGB: dRGB, raw: a.raw.data, sigma: a.sigma.data,
                            rgb: a.rgb.data,
                            bias: config.densityBias, N: N)
                        dFeat.initialize(repeating: 0, count: N * C)
                        Profiler.measure("backward: mlp") {
                            if FusedMLP.supports(mlpLayers, kernel: kernel) {
                                FusedMLP.backward(
                                    dInp: dFeat, dWeights: [g(.w1), g(.w2), g(.w3)], dBiases: [g(.b1), g(.b2), g(.b3)],
                                    dOut: dRaw, inp: a.feat.data, layers: mlpLayers, N: N, weightGradients: grads != nil
                                )
                                return
                            }
                            Scratch.with(N * H) { dH2 in  // (N, H)
                                Scratch.with(N * H) { dH1 in  // (N, H)
                                    dH2.initialize(repeating: 0, count: N * H)
                                    Linear.backward(
                                        dInp: dH2, dWeight: g(.w3), dBias: g(.b3), dOut: dRaw, inp: a.h2.data,
                                        weight: w3.data, N: N, I: H, O: 4, kernel: kernel)
                                    dH1.initialize(repeating: 0, count: N * H)
                                    Linear.backward(
                                        dInp: dH1, dWeight: g(.w2), dBias: g(.b2), dOut: dH2, inp: a.h1.data,
                                        weight: w2.data, N: N, I: H, O: H, relu: true, out: a.h2.data, kernel: kernel)
                                    Linear.backward(
                                        dInp: dFeat, dWeight: g(.w1), dBias: g(.b1), dOut: dH1, inp: a.feat.data,
                                        weight: w1.data, N: N, I: C, O: H, relu: true, out: a.h1.data, kernel: kernel)
                                }
                            }
                        }
                        Profiler.measure("backward: triplane") {
                            dPlanes.initialize(repeating: 0, count: B * G)
                            if dPoints != nil { dUV.initialize(repeating: 0, count: N * 6) }
                            for b in 0..<B {
                                let (p0, P) = a.range(b)
                                BilinearSample.backward(
                                    dPlanes: dPlanes + b * G, dUV: dPoints == nil ? nil : dUV + p0 * 6,
                                    dOut: dFeat + p0 * C,
                                    planes: a.state.data + b * G, uv: a.uv.data + p0 * 6, N: P, P: 3, H: R, W: R, C: C)
                            }
                        }
                        Profiler.measure("backward: generator") {
                            Linear.backward(
                                dInp: dCodes, dWeight: grads == nil ? nil : g(.genW),
                                dBias: grads == nil ? nil : g(.genB),
                                dOut: dPlanes, inp: codes, weight: genW.data, N: B, I: D, O: G, kernel: kernel)
                        }
                        if let dPoints {
                            let s = Float(1 / config.box)
                            Parallel.forRanges(N, grain: 16384) { r in
                                for n in r {
                                    let u = dUV + 6 * n
                                    dPoints[3 * n] += (u[0] + u[2]) * s
                                    dPoints[3 * n + 1] += (u[1] + u[4]) * s
                                    dPoints[3 * n + 2] += (u[3] + u[5]) * s
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A model or latent file that does not fit what the program expects.
public struct ModelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
