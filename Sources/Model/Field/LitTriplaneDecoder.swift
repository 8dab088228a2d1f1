import Foundation
import NeuralCore

// Identity code -> mapping MLP -> convolutional upsampler -> triplane -> point MLP -> lit colour.
// B objects, N points, D code length, W mapping width, C0 base channels, R0 base side, T stages
// (the last included), Ci Co a stage's channels and Rt its output side, R plane side, C plane
// channels, G = 3 R R C plane floats, H hidden width, K = 17 raw outputs, V = 12 viewing conditions.

/// The second-generation field: z (D) -> mapping MLP (W, W) -> linear to a feature image
/// (C0, R0, R0) -> T stages of nearest x2 upsampling + 3x3 convolution (LeakyReLU between) -> an
/// image (3C, R, R) split into the xy, xz and yz planes. A point sums its three bilinear plane
/// samples; an MLP C -> H -> H -> 17 gives density and the shading terms of `LitColourHead`, which
/// lights them with the sample's view direction and the view's light.
public final class LitTriplaneDecoder: LayeredGenerator {
    public let config: LitTriplaneConfig
    let map1W: Tensor  // (W, D)
    let map1B: Tensor  // (W)
    let map2W: Tensor  // (W, W)
    let map2B: Tensor  // (W)
    let baseW: Tensor  // (C0 R0 R0, W)
    let baseB: Tensor  // (C0 R0 R0)
    let convW: [Tensor]  // T x (Co, Ci, 3, 3)
    let convB: [Tensor]  // T x (Co)
    public let w1: Tensor  // (H, C)
    let b1: Tensor  // (H)
    public let w2: Tensor  // (H, H)
    let b2: Tensor  // (H)
    public let w3: Tensor  // (K, H)
    public let b3: Tensor  // (K)
    /// Dense-layer kernel of the point MLP (the fused one where the CPU has it).
    public var kernel: Linear.Kernel = Linear.preferred

    public var spec: FieldSpec { FieldSpec(config) }
    public var stateSize: Int { config.planeCount }
    public var conditionSize: Int { ViewingConditions.count }

    /// (input channels, output channels, output side) of each upsampling stage.
    var stages: [(ci: Int, co: Int, side: Int)] {
        let outs = config.stageChannels + [3 * config.planeChannels]
        var ci = config.baseChannels, side = config.baseResolution
        return outs.map { co in
            defer { ci = co }
            side *= 2
            return (ci, co, side)
        }
    }
    var baseCount: Int { config.baseChannels * config.baseResolution * config.baseResolution }

    /// The plane read and point MLP, on this decoder's weights.
    var pointMLP: PlanePointMLP {
        PlanePointMLP(
            side: config.planeResolution, channels: config.planeChannels, hidden: config.hidden,
            outputs: LitColourHead.rawCount, box: config.box, w1: w1, b1: b1, w2: w2, b2: b2, w3: w3, b3: b3,
            kernel: kernel)
    }

    /// The last convolution (it writes the 64x64 planes, so it shapes their detail) and the point
    /// MLP with its colour outputs (gloss and shading): about 1.5% of the weights, a 70 kB delta file; the
    /// mapping network and the earlier stages, which place the object's coarse shape, stay.
    public var tunedParameterPrefixes: [String] { ["decoder.conv3", "decoder.mlp"] }

    public var parameters: [(name: String, tensor: Tensor)] {
        var p: [(String, Tensor)] = [
            ("decoder.map1.w", map1W), ("decoder.map1.b", map1B), ("decoder.map2.w", map2W), ("decoder.map2.b", map2B),
            ("decoder.base.w", baseW), ("decoder.base.b", baseB),
        ]
        for (t, (w, b)) in zip(convW, convB).enumerated() {
            p.append(("decoder.conv\(t + 1).w", w))
            p.append(("decoder.conv\(t + 1).b", b))
        }
        p += [
            ("decoder.mlp1.w", w1), ("decoder.mlp1.b", b1), ("decoder.mlp2.w", w2), ("decoder.mlp2.b", b2),
            ("decoder.mlp3.w", w3), ("decoder.mlp3.b", b3),
        ]
        return p
    }

    /// Fresh weights: He-uniform for the LeakyReLU layers (so the signal keeps its scale through the
    /// generator), PyTorch's default uniform(±1/sqrt(fan_in)) for the point MLP and biases.
    public init(config: LitTriplaneConfig, rng: inout SplitMix64) {
        self.config = config
        let D = config.codeDim, Wm = config.mappingWidth, C = config.planeChannels, H = config.hidden
        let K = LitColourHead.rawCount
        map1W = Tensor([Wm, D])
        map1B = Tensor([Wm])
        map2W = Tensor([Wm, Wm])
        map2B = Tensor([Wm])
        let base = config.baseChannels * config.baseResolution * config.baseResolution
        baseW = Tensor([base, Wm])
        baseB = Tensor([base])
        var cw: [Tensor] = [], cb: [Tensor] = []
        let outs = config.stageChannels + [3 * config.planeChannels]
        var ci = config.baseChannels
        for co in outs {
            cw.append(Tensor([co, ci, 3, 3]))
            cb.append(Tensor([co]))
            ci = co
        }
        convW = cw
        convB = cb
        w1 = Tensor([H, C])
        b1 = Tensor([H])
        w2 = Tensor([H, H])
        b2 = Tensor([H])
        w3 = Tensor([K, H])
        b3 = Tensor([K])
        let gain = (6 / (1 + config.leakySlope * config.leakySlope)).squareRoot()
        var he: [(Tensor, Int)] = [(map1W, D), (map2W, Wm), (baseW, Wm)]
        for w in convW { he.append((w, w.shape[1] * 9)) }
        for (t, fanIn) in he {
            let a = gain / Float(fanIn).squareRoot()
            t.fillUniform(-a, a, rng: &rng)
        }
        var plain: [(Tensor, Int)] = [(map1B, D), (map2B, Wm), (baseB, Wm)]
        for (b, w) in zip(convB, convW) { plain.append((b, w.shape[1] * 9)) }
        plain += [(w1, C), (b1, C), (w2, H), (b2, H), (w3, H), (b3, H)]
        for (t, fanIn) in plain {
            let a = 1 / Float(fanIn).squareRoot()
            t.fillUniform(-a, a, rng: &rng)
        }
    }

    public var queryFlopsPerPoint: Double {
        let C = Double(config.planeChannels), H = Double(config.hidden), K = Double(LitColourHead.rawCount)
        return 2 * (C * H + H * H + H * K)
    }
    public var setupFlopsPerObject: Double {
        let D = Double(config.codeDim), Wm = Double(config.mappingWidth)
        var f = 2 * (D * Wm + Wm * Wm + Wm * Double(baseCount))
        // The products the sub-pixel convolution runs: 4 folded taps per output pixel, not 9.
        for s in stages { f += 2 * Double(s.co * s.ci * 4 * s.side * s.side) }
        return f
    }

    /// The generator's activations for one batch of codes (kept for its backward).
    final class Activations {
        let m1, m2, x0: Tensor  // (B, W), (B, W), (B, C0 R0 R0): post-activation
        let pre: [Tensor]  // T x (B, Co, Rt, Rt): the convolution's output before its LeakyReLU
        /// T x (B, Ci, Rt/2, Rt/2): each stage's (activated) input, before its upsampling, with the
        /// latent's residual of that layer added; the first is x0 (+ its residual).
        let inputs: [Tensor]
        let image: Tensor  // (B, 3C, R, R): the last stage's output (no activation)
        init(_ f: LitTriplaneDecoder, objects B: Int) {
            m1 = Tensor([B, f.config.mappingWidth])
            m2 = Tensor([B, f.config.mappingWidth])
            x0 = Tensor([B, f.baseCount])
            pre = f.stages.map { Tensor([B, $0.co, $0.side, $0.side]) }
            inputs = [Tensor([B, f.baseCount])] + f.stages.dropLast().map { Tensor([B, $0.co, $0.side, $0.side]) }
            image = pre.last!
        }
    }

    /// The plane query buffers, the viewing conditions, and the generator's activations for the backward.
    final class Batch: PlaneBatch {
        var generator: Activations?
        /// The codes `generator` holds the activations of (nil: none kept), and whether it was set
        /// up with residuals (a backward with other residuals than its setup is a caller's error).
        var generatorCodes: [Float]?
        var generatorLayered = false

        init(config: LitTriplaneConfig, objects: Int, capacity: Int) {
            super.init(
                objects: objects, capacity: capacity, planeCount: config.planeCount, channels: config.planeChannels,
                hidden: config.hidden, outputs: LitColourHead.rawCount, conditionSize: ViewingConditions.count)
        }
    }

    public func makeBatch(objects: Int, capacity: Int) -> FieldBatch {
        Batch(config: config, objects: objects, capacity: capacity)
    }

    /// The generator's latent layers: each stage's input (the 8x8 base, then every stage's output
    /// but the last), then the planes.
    public var latentLayers: [LatentLayer] {
        stages.map { s in
            LatentLayer(
                name: "features\(s.side / 2)",
                layout: .featureMap(channels: s.ci, height: s.side / 2, width: s.side / 2))
        } + [
            LatentLayer(name: "planes", layout: .triplane(side: config.planeResolution, channels: config.planeChannels))
        ]
    }

    /// The planes alone, symmetric under the mirror prior: on the second generation (first 5 cars
    /// of each set, 150 layer steps) they took Blender's cars from 27.52 to 28.31 dB and cost
    /// in-domain cars 0.12 dB, where a residual on the 16x16 feature map cost 0.70 and one on the
    /// 8x8 base never beat the code on held-out pixels (docs/inversion.md).
    public var defaultLatentLayers: [String] { ["planes"] }

    /// The generator forward into `act`, planes (B, G) at the end; residuals[i] (nil or the
    /// layer's floats) added to layer i (`latentLayers`) of every object.
    func generate(
        planes: UnsafeMutablePointer<Float>, codes: UnsafePointer<Float>, B: Int, act: Activations,
        residuals: [UnsafePointer<Float>?] = []
    ) {
        precondition(residuals.isEmpty || residuals.count == stages.count + 1, "one residual (or nil) per layer")
        func residual(_ i: Int) -> UnsafePointer<Float>? { residuals.isEmpty ? nil : residuals[i] }
        let D = config.codeDim, Wm = config.mappingWidth, slope = config.leakySlope
        // The mapping and base layers keep their pre-activations in m1/m2/x0 and apply LeakyReLU in
        // place afterwards; their backward re-derives the sign from the output (LeakyReLU keeps it).
        Profiler.measure("mapping + base") {
            Linear.forward(out: act.m1.data, inp: codes, weight: map1W.data, bias: map1B.data, N: B, I: D, O: Wm)
            LeakyReLU.forward(out: act.m1.data, inp: act.m1.data, slope: slope, N: B * Wm)
            Linear.forward(
                out: act.m2.data, inp: act.m1.data, weight: map2W.data, bias: map2B.data, N: B, I: Wm, O: Wm)
            LeakyReLU.forward(out: act.m2.data, inp: act.m2.data, slope: slope, N: B * Wm)
            Linear.forward(
                out: act.x0.data, inp: act.m2.data, weight: baseW.data, bias: baseB.data, N: B, I: Wm, O: baseCount)
            LeakyReLU.forward(out: act.x0.data, inp: act.x0.data, slope: slope, N: B * baseCount)
            // x0 stays as activated (its backward reads the LeakyReLU's sign from it); the first
            // stage reads x0 + the base layer's residual.
            act.inputs[0].copy(from: act.x0)
            addResidual(act.inputs[0].data, residual(0), objects: B, count: baseCount)
        }
        for (t, s) in stages.enumerated() {
            Profiler.measure("stage \(t + 1): up x2 + conv \(s.ci)->\(s.co) at \(s.side)²") {
                // Nearest x2 upsampling and the 3x3 convolution in one op, as four 2x2 sub-pixel convolutions.
                UpsampleConv.forward(
                    out: act.pre[t].data, inp: act.inputs[t].data, weight: convW[t].data, bias: convB[t].data, B: B,
                    Ci: s.ci, H: s.side / 2, W: s.side / 2, Co: s.co)
                if t < stages.count - 1 {
                    // The next stage reads the activated copy; `pre` keeps the pre-activation.
                    let x = act.pre[t]
                    LeakyReLU.forward(out: act.inputs[t + 1].data, inp: x.data, slope: slope, N: x.count)
                    addResidual(act.inputs[t + 1].data, residual(t + 1), objects: B, count: x.count / B)
                }
            }
        }
        let R = config.planeResolution
        Profiler.measure("plane split") {
            PlaneSplit.forward(planes: planes, image: act.image.data, B: B, P: 3, C: config.planeChannels, H: R, W: R)
        }
        addResidual(planes, residual(stages.count), objects: B, count: config.planeCount)
    }

    public func setup(
        state planes: UnsafeMutablePointer<Float>, codes: UnsafePointer<Float>, objects B: Int,
        residuals: [UnsafePointer<Float>?]
    ) {
        generate(planes: planes, codes: codes, B: B, act: Activations(self, objects: B), residuals: residuals)
    }

    /// The planes into `batch.state`, the generator's activations kept in the batch for `backward`.
    public func setup(batch: FieldBatch, codes: UnsafePointer<Float>, residuals: [UnsafePointer<Float>?]) {
        let a = batch as! Batch
        let act = a.generator ?? Activations(self, objects: a.B)
        a.generator = act
        generate(planes: a.state.data, codes: codes, B: a.B, act: act, residuals: residuals)
        a.generatorCodes = Array(UnsafeBufferPointer(start: codes, count: a.B * config.codeDim))
        a.generatorLayered = residuals.contains { $0 != nil }
    }

    /// RMS of each layer's activation (before any residual) for one code.
    public func layerScales(code: [Float]) -> [Float] {
        precondition(code.count == config.codeDim, "code has \(code.count) values, the field takes \(config.codeDim)")
        let act = Activations(self, objects: 1)
        let planes = Tensor([1, config.planeCount])
        code.withUnsafeBufferPointer { generate(planes: planes.data, codes: $0.baseAddress!, B: 1, act: act) }
        return act.inputs.map { rootMeanSquare($0.data, count: $0.count) }
            + [rootMeanSquare(planes.data, count: planes.count)]
    }

    /// Density and lit colour at points (N, 3) from the planes in `batch.state` and the viewing
    /// conditions in `batch.conditions`.
    public func query(points: UnsafePointer<Float>, batch: FieldBatch) {
        let a = batch as! Batch
        pointMLP.forward(points: points, batch: a)
        if a.densityOnly {
            LitColourHead.density(sigma: a.sigma.data, raw: a.raw.data, densityBias: config.densityBias, N: a.N)
            return
        }
        if a.albedoOnly {
            LitColourHead.albedo(
                sigma: a.sigma.data, rgb: a.rgb.data, raw: a.raw.data, densityBias: config.densityBias, N: a.N)
            return
        }
        Profiler.measure("field: head") {
            LitColourHead.forward(
                sigma: a.sigma.data, rgb: a.rgb.data, raw: a.raw.data, conditions: a.conditions!.data,
                densityBias: config.densityBias, N: a.N)
        }
    }

    public func backward(
        dSigma: UnsafePointer<Float>, dRGB: UnsafePointer<Float>, batch: FieldBatch, codes: UnsafePointer<Float>,
        points: UnsafePointer<Float>, grads: ParameterGradients?, dCodes: UnsafeMutablePointer<Float>?,
        dPoints: UnsafeMutablePointer<Float>?, residuals: [UnsafePointer<Float>?],
        dResiduals: [UnsafeMutablePointer<Float>?], dState: UnsafePointer<Float>?
    ) {
        let a = batch as! Batch
        let N = a.N, B = a.B, K = LitColourHead.rawCount
        let params = parameters
        // Without weight gradients (inversion) only the point MLP's small partials need scratch; the
        // generator's weight gradients (2.4 M floats) are skipped, not written to a buffer each step.
        let mlpNames = ["mlp1.w", "mlp1.b", "mlp2.w", "mlp2.b", "mlp3.w", "mlp3.b"].map { "decoder." + $0 }
        let mlpScratch = grads == nil ? [w1, b1, w2, b2, w3, b3].map { Tensor($0.shape) } : []
        // The pointers below outlive their last use as tensors: without this the optimiser may free
        // them first (found by nerfinv-fuzz's seed run under ASan: a heap use-after-free in every
        // inversion step, which corrupted the heap of a small model's inversion).
        defer { withExtendedLifetime(mlpScratch) {} }
        func slot(_ name: String) -> Int { params.firstIndex { $0.name == name }! }
        func gw(_ name: String) -> UnsafeMutablePointer<Float>? { grads?[slot(name)].data }
        let mlpGrads = mlpNames.enumerated().map { i, name in grads?[slot(name)].data ?? mlpScratch[i].data }
        Scratch.with(N * K) { dRaw in  // (N, K)
            Scratch.with(B * config.planeCount) { dPlanes in  // (B, G)
                dRaw.initialize(repeating: 0, count: N * K)
                let dConditions = a.wantsConditionGradients ? a.dConditions : nil
                dConditions?.data.initialize(repeating: 0, count: N * ViewingConditions.count)
                Profiler.measure("backward: head") {
                    LitColourHead.backward(
                        dRaw: dRaw, dConditions: dConditions?.data, dSigma: dSigma, dRGB: dRGB, raw: a.raw.data,
                        conditions: a.conditions!.data, sigma: a.sigma.data, densityBias: config.densityBias, N: N)
                }
                pointMLP.backward(
                    dRaw: dRaw, batch: a, mlpGrads: mlpGrads, weightGradients: grads != nil, dPlanes: dPlanes,
                    dPoints: dPoints)
                let G = config.planeCount
                if let dState { for i in 0..<(B * G) { dPlanes[i] += dState[i] } }
                Profiler.measure("backward: generator") {
                    generatorBackward(
                        dPlanes: dPlanes, codes: codes, B: B, batch: a, dCodes: dCodes, gw: gw, residuals: residuals,
                        dResiduals: dResiduals)
                }
            }
        }
    }

    /// Backward of `generate` from dPlanes (B, G), with the activations `setup(batch:codes:)` kept
    /// for these codes, or, after a `setup(state:...)` that had no batch to keep them in, with the
    /// forward run again here.
    func generatorBackward(
        dPlanes: UnsafePointer<Float>, codes: UnsafePointer<Float>, B: Int, batch: Batch,
        dCodes: UnsafeMutablePointer<Float>?, gw: (String) -> UnsafeMutablePointer<Float>?,
        residuals: [UnsafePointer<Float>?] = [], dResiduals: [UnsafeMutablePointer<Float>?] = []
    ) {
        func dResidual(_ i: Int) -> UnsafeMutablePointer<Float>? { dResiduals.isEmpty ? nil : dResiduals[i] }
        sumResidualGradient(dResidual(stages.count), dPlanes, objects: B, count: config.planeCount)
        // A layered inversion with the code held (`LayerSettings.refineCode` off) wants only the
        // planes' residual: nothing below the planes has a gradient to take, so the generator's
        // backward (and the forward it may need) is skipped, about half of such a step.
        let below = dCodes != nil || gw("decoder.conv1.w") != nil || dResiduals.dropLast().contains { $0 != nil }
        guard below else { return }
        let act = batch.generator ?? Activations(self, objects: B)
        batch.generator = act
        let D = config.codeDim, Wm = config.mappingWidth, slope = config.leakySlope, R = config.planeResolution
        let layered = residuals.contains { $0 != nil }
        let kept =
            (batch.generatorCodes.map { $0.elementsEqual(UnsafeBufferPointer(start: codes, count: B * D)) } ?? false)
            && batch.generatorLayered == layered
        if !kept {
            Scratch.with(B * config.planeCount) { planes in
                generate(planes: planes, codes: codes, B: B, act: act, residuals: residuals)
            }
        }
        var dX = Tensor([B, 3 * config.planeChannels, R, R])  // gradient w.r.t. the current stage's output
        PlaneSplit.backward(dImage: dX.data, dPlanes: dPlanes, B: B, P: 3, C: config.planeChannels, H: R, W: R)
        for (t, s) in stages.enumerated().reversed() {
            Profiler.measure("stage \(t + 1): up x2 + conv \(s.ci)->\(s.co) at \(s.side)²") {
                if t < stages.count - 1 {
                    // dX is w.r.t. the activated output; through the LeakyReLU to the pre-activation.
                    let dPre = Tensor(dX.shape)
                    LeakyReLU.backward(dInp: dPre.data, dOut: dX.data, inp: act.pre[t].data, slope: slope, N: dX.count)
                    dX = dPre
                }
                let dIn = Tensor([B, s.ci, s.side / 2, s.side / 2])
                UpsampleConv.backward(
                    dInp: dIn.data, dWeight: gw("decoder.conv\(t + 1).w"), dBias: gw("decoder.conv\(t + 1).b"),
                    dOut: dX.data, inp: act.inputs[t].data, weight: convW[t].data, B: B, Ci: s.ci, H: s.side / 2,
                    W: s.side / 2, Co: s.co)
                // Layer t is added to this stage's input: its gradient is the input's.
                sumResidualGradient(dResidual(t), dIn.data, objects: B, count: dIn.count / B)
                dX = dIn
            }
        }
        // dX: w.r.t. x0 (activated). LeakyReLU keeps the sign, so the output gives the mask.
        func leakyBackward(_ dOut: Tensor, out: Tensor) -> Tensor {
            let d = Tensor(dOut.shape)
            LeakyReLU.backward(dInp: d.data, dOut: dOut.data, inp: out.data, slope: slope, N: d.count)
            return d
        }
        Profiler.measure("mapping + base") {
            let dBasePre = leakyBackward(dX, out: act.x0)
            let dM2 = Tensor([B, Wm])
            Linear.backward(
                dInp: dM2.data, dWeight: gw("decoder.base.w"), dBias: gw("decoder.base.b"), dOut: dBasePre.data,
                inp: act.m2.data, weight: baseW.data, N: B, I: Wm, O: baseCount)
            let dM2Pre = leakyBackward(dM2, out: act.m2)
            let dM1 = Tensor([B, Wm])
            Linear.backward(
                dInp: dM1.data, dWeight: gw("decoder.map2.w"), dBias: gw("decoder.map2.b"), dOut: dM2Pre.data,
                inp: act.m1.data, weight: map2W.data, N: B, I: Wm, O: Wm)
            let dM1Pre = leakyBackward(dM1, out: act.m1)
            Linear.backward(
                dInp: dCodes, dWeight: gw("decoder.map1.w"), dBias: gw("decoder.map1.b"), dOut: dM1Pre.data, inp: codes,
                weight: map1W.data, N: B, I: D, O: Wm)
        }
    }
}
