import Foundation
import NeuralCore

// Identity code -> triplane -> per-point MLP -> density and colour.
// B objects, P points of one object, N points, D code length, G = 3 R R C plane floats,
// R plane side, C plane channels, H hidden width.

/// The conditional radiance field: a linear generator maps z (D) to three axis-aligned feature
/// planes (3, R, R, C); a point's feature is the sum of its bilinear samples on the xy, xz and yz
/// planes; an MLP C -> H -> H -> 4 gives density (clamped exp) and colour (sigmoid).
public final class TriplaneDecoder: LayeredGenerator {
    public let config: TriplaneConfig
    let genW: Tensor  // (G, D)
    public let genB: Tensor  // (G)
    public let w1: Tensor  // (H, C)
    let b1: Tensor  // (H)
    public let w2: Tensor  // (H, H)
    let b2: Tensor  // (H)
    public let w3: Tensor  // (4, H)
    public let b3: Tensor  // (4)
    /// Dense-layer kernel of the point MLP (the fused AVX-512/AVX2 one where the CPU has it); a
    /// property of this decoder, so a test can compare kernels without touching other users.
    public var kernel: Linear.Kernel = Linear.preferred

    /// Positions in `parameters` (and so in `ParameterGradients`).
    enum Slot: Int { case genW, genB, w1, b1, w2, b2, w3, b3 }

    public var spec: FieldSpec { FieldSpec(config) }
    public var stateSize: Int { config.planeCount }

    /// The plane read and point MLP, on this decoder's weights.
    var pointMLP: PlanePointMLP {
        PlanePointMLP(
            side: config.planeResolution, channels: config.planeChannels, hidden: config.hidden, outputs: 4,
            box: config.box, w1: w1, b1: b1, w2: w2, b2: b2, w3: w3, b3: b3, kernel: kernel)
    }

    /// The generator's bias (the planes every code starts from, so tuning it is a per-object plane
    /// residual at full plane resolution) and the point MLP (how features become density and
    /// colour); the generator's weight, codes x plane values, is most of the model and stays.
    public var tunedParameterPrefixes: [String] { ["decoder.gen.b", "decoder.mlp"] }

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

    public func makeBatch(objects: Int, capacity: Int) -> FieldBatch {
        PlaneBatch(
            objects: objects, capacity: capacity, planeCount: config.planeCount, channels: config.planeChannels,
            hidden: config.hidden, outputs: 4)
    }

    /// The generator is one linear map: its planes are its only layer.
    public var latentLayers: [LatentLayer] {
        [LatentLayer(name: "planes", layout: .triplane(side: config.planeResolution, channels: config.planeChannels))]
    }

    public var defaultLatentLayers: [String] { ["planes"] }

    /// planes (B, G) = codes (B, D) · genW^T + genB (+ the planes' residual).
    public func setup(
        state planes: UnsafeMutablePointer<Float>, codes: UnsafePointer<Float>, objects B: Int,
        residuals: [UnsafePointer<Float>?]
    ) {
        Linear.forward(
            out: planes, inp: codes, weight: genW.data, bias: genB.data, N: B, I: config.codeDim, O: config.planeCount)
        addResidual(planes, residuals.first ?? nil, objects: B, count: config.planeCount)
    }

    public func setup(batch: FieldBatch, codes: UnsafePointer<Float>, residuals: [UnsafePointer<Float>?]) {
        setup(state: batch.state.data, codes: codes, objects: batch.B, residuals: residuals)
    }

    public func layerScales(code: [Float]) -> [Float] {
        let planes = state(of: code)
        return [rootMeanSquare(planes.data, count: planes.count)]
    }

    /// Density and colour at points (N, 3) from the planes in `batch.state` (see `setup`).
    public func query(points: UnsafePointer<Float>, batch: FieldBatch) {
        let a = batch as! PlaneBatch
        pointMLP.forward(points: points, batch: a)
        FieldHead.forward(sigma: a.sigma.data, rgb: a.rgb.data, raw: a.raw.data, bias: config.densityBias, N: a.N)
    }

    public func backward(
        dSigma: UnsafePointer<Float>, dRGB: UnsafePointer<Float>, batch: FieldBatch, codes: UnsafePointer<Float>,
        points: UnsafePointer<Float>, grads: ParameterGradients?, dCodes: UnsafeMutablePointer<Float>?,
        dPoints: UnsafeMutablePointer<Float>?, residuals: [UnsafePointer<Float>?],
        dResiduals: [UnsafeMutablePointer<Float>?], dState: UnsafePointer<Float>?
    ) {
        let a = batch as! PlaneBatch
        let N = a.N, B = a.B, D = config.codeDim, G = config.planeCount
        // Without weight gradients the MLP's (small) partials go to scratch; the generator's 6M-float
        // weight gradient, which would dominate an inversion step, is skipped outright.
        let mlpSlots: [Slot] = [.w1, .b1, .w2, .b2, .w3, .b3]
        let mlpScratch = grads == nil ? [w1, b1, w2, b2, w3, b3].map { Tensor($0.shape) } : []
        // The pointers below outlive their last use as tensors: without this the optimiser may free
        // them first (found by nerfinv-fuzz's seed run under ASan: a heap use-after-free in every
        // inversion step, which corrupted the heap of a small model's inversion).
        defer { withExtendedLifetime(mlpScratch) {} }
        let mlpGrads = mlpSlots.enumerated().map { i, slot in grads?[slot.rawValue].data ?? mlpScratch[i].data }
        Scratch.with(N * 4) { dRaw in  // (N, 4)
            Scratch.with(B * G) { dPlanes in  // (B, G)
                dRaw.initialize(repeating: 0, count: N * 4)
                FieldHead.backward(
                    dRaw: dRaw, dSigma: dSigma, dRGB: dRGB, raw: a.raw.data, sigma: a.sigma.data, rgb: a.rgb.data,
                    bias: config.densityBias, N: N)
                pointMLP.backward(
                    dRaw: dRaw, batch: a, mlpGrads: mlpGrads, weightGradients: grads != nil, dPlanes: dPlanes,
                    dPoints: dPoints)
                if let dState { for i in 0..<(B * G) { dPlanes[i] += dState[i] } }
                sumResidualGradient(dResiduals.first ?? nil, dPlanes, objects: B, count: G)
                guard dCodes != nil || grads != nil else { return }  // the planes' residual was all it wanted
                Profiler.measure("backward: generator") {
                    Linear.backward(
                        dInp: dCodes, dWeight: grads.map { $0[Slot.genW.rawValue].data },
                        dBias: grads.map { $0[Slot.genB.rawValue].data }, dOut: dPlanes, inp: codes, weight: genW.data,
                        N: B, I: D, O: G, kernel: kernel)
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
