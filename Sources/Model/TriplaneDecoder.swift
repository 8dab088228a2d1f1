import Foundation
import NeuralCore
// Identity code -> triplane -> per-point MLP -> density and colour.
// B objects, P = N / B points per object, N points, D code length, G = 3 R R C plane floats,
// R plane side, C plane channels, H hidden width.

/// The conditional radiance field: a linear generator maps z (D) to three axis-aligned feature
/// planes (3, R, R, C); a point's feature is the sum of its bilinear samples on the xy, xz and yz
/// planes; an MLP C -> H -> H -> 4 gives density (clamped exp) and colour (sigmoid).
public final class TriplaneDecoder {
    public let config: DecoderConfig
    public let genW: Tensor   // (G, D)
    public let genB: Tensor   // (G)
    public let w1: Tensor     // (H, C)
    public let b1: Tensor     // (H)
    public let w2: Tensor     // (H, H)
    public let b2: Tensor     // (H)
    public let w3: Tensor     // (4, H)
    public let b3: Tensor     // (4)

    /// The point MLP as layers for the fused kernels.
    var mlpLayers: [MLPLayer] {
        let C = config.planeChannels, H = config.hidden
        return [MLPLayer(weight: w1.data, bias: b1.data, inputs: C, outputs: H), MLPLayer(weight: w2.data, bias: b2.data, inputs: H, outputs: H),
                MLPLayer(weight: w3.data, bias: b3.data, inputs: H, outputs: 4)]
    }

    /// Parameters by name, in file order.
    public var parameters: [(name: String, tensor: Tensor)] {
        [("decoder.gen.w", genW), ("decoder.gen.b", genB), ("decoder.mlp1.w", w1), ("decoder.mlp1.b", b1),
         ("decoder.mlp2.w", w2), ("decoder.mlp2.b", b2), ("decoder.mlp3.w", w3), ("decoder.mlp3.b", b3)]
    }

    /// Fresh weights: uniform(±1/sqrt(fan_in)) as PyTorch's Linear default.
    public init(config: DecoderConfig, rng: inout SplitMix64) {
        self.config = config
        let D = config.codeDim, G = config.planeCount, C = config.planeChannels, H = config.hidden
        genW = Tensor([G, D]); genB = Tensor([G]); w1 = Tensor([H, C]); b1 = Tensor([H])
        w2 = Tensor([H, H]); b2 = Tensor([H]); w3 = Tensor([4, H]); b3 = Tensor([4])
        for (t, fanIn) in [(genW, D), (genB, D), (w1, C), (b1, C), (w2, H), (b2, H), (w3, H), (b3, H)] {
            let a = 1 / Float(fanIn).squareRoot()
            t.fillUniform(-a, a, rng: &rng)
        }
    }

    /// Weights from named tensors (a model file); shapes must match the config.
    public init(config: DecoderConfig, tensors: [String: Tensor]) throws {
        self.config = config
        var rng = SplitMix64(seed: 0)
        let fresh = TriplaneDecoder(config: config, rng: &rng)
        for (name, t) in fresh.parameters {
            guard let src = tensors[name] else { throw ModelError("model file lacks tensor \(name)") }
            guard src.shape == t.shape else { throw ModelError("tensor \(name) has shape \(src.shape), the config needs \(t.shape)") }
            t.copy(from: src)
        }
        genW = fresh.genW; genB = fresh.genB; w1 = fresh.w1; b1 = fresh.b1; w2 = fresh.w2; b2 = fresh.b2; w3 = fresh.w3; b3 = fresh.b3
    }

    /// Zero-initialised tensors shaped like the parameters (for gradients or optimiser state).
    public func zerosLikeParameters() -> [(name: String, tensor: Tensor)] { parameters.map { ($0.name, Tensor($0.tensor.shape)) } }

    /// Everything one forward pass keeps for its backward.
    public final class Activations {
        public let B: Int
        /// Points in use (≤ `capacity`): object b owns points [starts[b], starts[b + 1]).
        public private(set) var N: Int
        public let capacity: Int
        public private(set) var starts: [Int]  // (B + 1)
        public let planes: Tensor  // (B, G)
        public let uv: Tensor      // (N, 3, 2)
        public let feat: Tensor    // (N, C)
        /// Hidden activations, only materialised on the unfused path (the fused MLP keeps them in cache).
        public lazy var h1 = Tensor([capacity, hidden])  // (N, H)
        public lazy var h2 = Tensor([capacity, hidden])  // (N, H)
        let hidden: Int
        public let raw: Tensor     // (N, 4)
        public let sigma: Tensor   // (N)
        public let rgb: Tensor     // (N, 3)
        public init(config: DecoderConfig, B: Int, N: Int) {
            self.B = B; self.N = N; capacity = N
            starts = (0...B).map { $0 * (N / B) }
            starts[B] = N
            planes = Tensor([B, config.planeCount]); uv = Tensor([N, 3, 2]); feat = Tensor([N, config.planeChannels])
            hidden = config.hidden; raw = Tensor([N, 4])
            sigma = Tensor([N]); rgb = Tensor([N, 3])
        }

        /// Uses the first Σ counts points, object b owning counts[b] of them in order (the uneven
        /// split empty-space skipping leaves).
        public func setCounts(_ counts: [Int]) {
            precondition(counts.count == B, "one count per object")
            var s = [0]
            for c in counts { s.append(s.last! + c) }
            precondition(s[B] <= capacity, "\(s[B]) points exceed the activations' capacity \(capacity)")
            starts = s; N = s[B]
        }

        /// Points [starts[b], starts[b+1]) of object b.
        func range(_ b: Int) -> (start: Int, count: Int) { (starts[b], starts[b + 1] - starts[b]) }
    }

    /// planes (B, G) = codes (B, D) · genW^T + genB.
    public func generate(planes: UnsafeMutablePointer<Float>, codes: UnsafePointer<Float>, B: Int) {
        Linear.forward(out: planes, inp: codes, weight: genW.data, bias: genB.data, N: B, I: config.codeDim, O: config.planeCount)
    }

    /// uv (N, 3, 2) of points (N, 3): planes xy, xz, yz, scaled so the box maps to [-1, 1].
    static func projectPoints(uv: UnsafeMutablePointer<Float>, points: UnsafePointer<Float>, scale: Float, N: Int) {
        Parallel.forRanges(N, grain: 16384) { r in
            for n in r {
                let x = points[3 * n] * scale, y = points[3 * n + 1] * scale, z = points[3 * n + 2] * scale
                let o = uv + 6 * n
                o[0] = x; o[1] = y; o[2] = x; o[3] = z; o[4] = y; o[5] = z
            }
        }
    }

    /// Density and colour at points (N, 3), object b owning points [starts[b], starts[b+1]) (an even
    /// split unless `setCounts` said otherwise), from planes already in `acts.planes` (see `generate`).
    public func field(points: UnsafePointer<Float>, acts a: Activations) {
        let N = a.N, B = a.B, C = config.planeChannels, H = config.hidden, R = config.planeResolution
        precondition(a.starts[B] == N, "points must be assigned to objects")
        Self.projectPoints(uv: a.uv.data, points: points, scale: Float(1 / config.box), N: N)
        Profiler.measure("field: triplane sample") {
        for b in 0..<B {
            let (p0, P) = a.range(b)
            BilinearSample.forward(out: a.feat.data + p0 * C, planes: a.planes.data + b * config.planeCount,
                                   uv: a.uv.data + p0 * 6, N: P, P: 3, H: R, W: R, C: C)
        }
        }
        Profiler.measure("field: mlp") {
            if FusedMLP.supports(mlpLayers) {
                FusedMLP.forward(out: a.raw.data, inp: a.feat.data, layers: mlpLayers, N: N)
            } else {
                Linear.forward(out: a.h1.data, inp: a.feat.data, weight: w1.data, bias: b1.data, N: N, I: C, O: H, relu: true)
                Linear.forward(out: a.h2.data, inp: a.h1.data, weight: w2.data, bias: b2.data, N: N, I: H, O: H, relu: true)
                Linear.forward(out: a.raw.data, inp: a.h2.data, weight: w3.data, bias: b3.data, N: N, I: H, O: 4)
            }
        }
        FieldHead.forward(sigma: a.sigma.data, rgb: a.rgb.data, raw: a.raw.data, bias: config.densityBias, N: N)
    }

    /// Backward of `generate` + `field`: adds into grads (named like `parameters`; nil skips the
    /// weight gradients, as code-only inversion needs), dCodes (B, D) and dPoints (N, 3) when given.
    public func backward(dSigma: UnsafePointer<Float>, dRGB: UnsafePointer<Float>, acts a: Activations,
                         codes: UnsafePointer<Float>, points: UnsafePointer<Float>,
                         grads: [(name: String, tensor: Tensor)]?, dCodes: UnsafeMutablePointer<Float>?,
                         dPoints: UnsafeMutablePointer<Float>?) {
        let N = a.N, B = a.B, C = config.planeChannels, H = config.hidden, R = config.planeResolution
        let D = config.codeDim, G = config.planeCount
        // Without weight gradients the MLP's (small) partials go to scratch; the generator's 6M-float
        // weight gradient, which would dominate an inversion step, is skipped outright.
        let scratch = grads == nil ? parameters.filter { $0.name.hasPrefix("decoder.mlp") }.map { ($0.name, Tensor($0.tensor.shape)) } : []
        let g = Dictionary(uniqueKeysWithValues: (grads ?? scratch).map { ($0.name, $0.tensor.data) })
        Scratch.with(N * 4) { dRaw in                       // (N, 4)
        Scratch.with(N * C) { dFeat in                      // (N, C)
        Scratch.with(B * G) { dPlanes in                    // (B, G)
        Scratch.with(dPoints == nil ? 1 : N * 6) { dUV in   // (N, 3, 2)
            dRaw.initialize(repeating: 0, count: N * 4)
            FieldHead.backward(dRaw: dRaw, dSigma: dSigma, dRGB: dRGB, raw: a.raw.data, sigma: a.sigma.data, rgb: a.rgb.data,
                               bias: config.densityBias, N: N)
            dFeat.initialize(repeating: 0, count: N * C)
            Profiler.measure("backward: mlp") {
                if FusedMLP.supports(mlpLayers) {
                    FusedMLP.backward(dInp: dFeat, dWeights: [g["decoder.mlp1.w"]!, g["decoder.mlp2.w"]!, g["decoder.mlp3.w"]!],
                                      dBiases: [g["decoder.mlp1.b"]!, g["decoder.mlp2.b"]!, g["decoder.mlp3.b"]!],
                                      dOut: dRaw, inp: a.feat.data, layers: mlpLayers, N: N, weightGradients: grads != nil)
                    return
                }
                Scratch.with(N * H) { dH2 in                        // (N, H)
                Scratch.with(N * H) { dH1 in                        // (N, H)
                    dH2.initialize(repeating: 0, count: N * H)
                    Linear.backward(dInp: dH2, dWeight: g["decoder.mlp3.w"]!, dBias: g["decoder.mlp3.b"]!, dOut: dRaw, inp: a.h2.data,
                                    weight: w3.data, N: N, I: H, O: 4)
                    dH1.initialize(repeating: 0, count: N * H)
                    Linear.backward(dInp: dH1, dWeight: g["decoder.mlp2.w"]!, dBias: g["decoder.mlp2.b"]!, dOut: dH2, inp: a.h1.data,
                                    weight: w2.data, N: N, I: H, O: H, relu: true, out: a.h2.data)
                    Linear.backward(dInp: dFeat, dWeight: g["decoder.mlp1.w"]!, dBias: g["decoder.mlp1.b"]!, dOut: dH1, inp: a.feat.data,
                                    weight: w1.data, N: N, I: C, O: H, relu: true, out: a.h1.data)
                } }
            }
            Profiler.measure("backward: triplane") {
            dPlanes.initialize(repeating: 0, count: B * G)
            if dPoints != nil { dUV.initialize(repeating: 0, count: N * 6) }
            for b in 0..<B {
                let (p0, P) = a.range(b)
                BilinearSample.backward(dPlanes: dPlanes + b * G, dUV: dPoints == nil ? nil : dUV + p0 * 6, dOut: dFeat + p0 * C,
                                        planes: a.planes.data + b * G, uv: a.uv.data + p0 * 6, N: P, P: 3, H: R, W: R, C: C)
            }
            }
            Profiler.measure("backward: generator") {
            Linear.backward(dInp: dCodes, dWeight: grads == nil ? nil : g["decoder.gen.w"]!, dBias: grads == nil ? nil : g["decoder.gen.b"]!,
                            dOut: dPlanes, inp: codes,
                            weight: genW.data, N: B, I: D, O: G)
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
        } } } }
        withExtendedLifetime(scratch) {}  // g holds raw pointers into these tensors
    }
}

/// A model or latent file that does not fit what the program expects.
public struct ModelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
