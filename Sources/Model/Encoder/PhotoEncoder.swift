import Datasets
import FileIO
import Foundation
import NeuralCore

// A CNN from one 64x64 view to an identity code and a view code.
// B images, C channels, H W sizes per stage, F features of the trunk, D code length,
// V = 4 view outputs (sin/cos azimuth, sin/cos elevation) + 6 photometric (gain, bias per channel)
// (+ the light's), X floats of context beside the trunk's features (0 for a one-shot encoder),
// H hidden units and K = 3 r r C coarse-plane outputs of the layered-residual head (iterative only).

/// Conv(4x4, stride 2, pad 1) + LeakyReLU stages, a linear trunk, then two linear heads: the
/// identity code (D) and the view code (V). Forward keeps every activation for backward.
public final class PhotoEncoder {
    public let config: EncoderConfig
    /// First part of every weight's name: `encoder` for the one-shot encoder, `iterative` for the
    /// iterative one (both live in one model file).
    public let prefix: String
    let convW: [Tensor]  // per stage (C_out, C_in, 4, 4)
    let convB: [Tensor]  // per stage (C_out)
    let fcW: Tensor  // (F, C_last * S * S)
    let fcB: Tensor  // (F)
    let idW: Tensor  // (D, F + X)
    let idB: Tensor  // (D)
    let viewW: Tensor  // (V, F + X)
    let viewB: Tensor  // (V)
    /// The layered-residual head (empty tensors without one).
    let resW1: Tensor  // (H, F + X)
    let resB1: Tensor  // (H)
    let resW2: Tensor  // (K, H)
    let resB2: Tensor  // (K)
    var hasResidualHead: Bool { config.residualSide > 0 }

    public var parameters: [(name: String, tensor: Tensor)] {
        var p: [(String, Tensor)] = []
        for (i, (w, b)) in zip(convW, convB).enumerated() {
            p += [("\(prefix).conv\(i).w", w), ("\(prefix).conv\(i).b", b)]
        }
        p += [
            ("\(prefix).fc.w", fcW), ("\(prefix).fc.b", fcB), ("\(prefix).id.w", idW), ("\(prefix).id.b", idB),
            ("\(prefix).view.w", viewW), ("\(prefix).view.b", viewB),
        ]
        if hasResidualHead {
            p += [
                ("\(prefix).res1.w", resW1), ("\(prefix).res1.b", resB1), ("\(prefix).res2.w", resW2),
                ("\(prefix).res2.b", resB2),
            ]
        }
        return p
    }

    public init(config: EncoderConfig, rng: inout SplitMix64, prefix: String = "encoder") {
        precondition(config.finalSize >= 1, "input too small for \(config.channels.count) stride-2 stages")
        self.config = config
        self.prefix = prefix
        var cin = config.inputChannels
        var ws: [Tensor] = [], bs: [Tensor] = []
        for cout in config.channels {
            let w = Tensor([cout, cin, 4, 4]), b = Tensor([cout])
            let a = 1 / Float(cin * 16).squareRoot()
            w.fillUniform(-a, a, rng: &rng)
            b.fillUniform(-a, a, rng: &rng)
            ws.append(w)
            bs.append(b)
            cin = cout
        }
        convW = ws
        convB = bs
        let flat = cin * config.finalSize * config.finalSize
        fcW = Tensor([config.features, flat])
        fcB = Tensor([config.features])
        let heads = config.features + config.contextDim
        idW = Tensor([config.codeDim, heads])
        idB = Tensor([config.codeDim])
        viewW = Tensor([config.viewDim, heads])
        viewB = Tensor([config.viewDim])
        let H = config.residualSide > 0 ? config.residualHidden : 0, K = H > 0 ? config.residualCount : 0
        resW1 = Tensor([H, heads])
        resB1 = Tensor([H])
        resW2 = Tensor([K, H])
        resB2 = Tensor([K])
        for (t, fanIn) in [
            (fcW, flat), (fcB, flat), (idW, heads), (idB, heads), (viewW, heads), (viewB, heads),
            (resW1, heads), (resB1, heads), (resW2, max(1, H)), (resB2, max(1, H)),
        ] {
            let a = 1 / Float(fanIn).squareRoot()
            t.fillUniform(-a, a, rng: &rng)
        }
    }

    /// Multiply-adds x 2 of one forward pass over `batch` images (convolutions, trunk, heads).
    public func forwardFlops(batch: Int) -> Double {
        var flops = 0.0, cin = config.inputChannels, side = config.inputSize
        for cout in config.channels {
            side /= 2
            flops += 2 * Double(cout * cin * 16 * side * side)
            cin = cout
        }
        flops += 2 * Double(fcW.count + idW.count + viewW.count + resW1.count + resW2.count)
        return flops * Double(batch)
    }

    /// Weights from named tensors (a model file); shapes must match the config.
    public convenience init(config: EncoderConfig, tensors: [String: Tensor], prefix: String = "encoder") throws {
        var rng = SplitMix64(seed: 0)
        self.init(config: config, rng: &rng, prefix: prefix)
        try NamedWeights.load(parameters, from: tensors, file: "model file", config: "encoder config")
    }

    func shapes(B: Int) -> [Conv2dShape] {
        var s: [Conv2dShape] = []
        var cin = config.inputChannels, size = config.inputSize
        for cout in config.channels {
            s.append(Conv2dShape(B: B, Ci: cin, H: size, W: size, Co: cout, K: 4, S: 2, P: 1))
            cin = cout
            size /= 2
        }
        return s
    }

    /// Activations of one forward pass.
    public final class Activations {
        public let B: Int
        public var pre: [Tensor] = []  // per stage (B, C, H, W) before the LeakyReLU
        var post: [Tensor] = []  // per stage after it
        let fcPre: Tensor  // (B, F)
        let fcPost: Tensor  // (B, F)
        /// What the heads read: fcPost, or fcPost beside the context (B, F + X).
        let headIn: Tensor
        public let identity: Tensor  // (B, D)
        public let view: Tensor  // (B, V)
        /// The residual head's hidden layer before and after its LeakyReLU, and its output.
        let resPre: Tensor  // (B, H)
        let resPost: Tensor  // (B, H)
        public let residual: Tensor  // (B, K)
        init(_ e: PhotoEncoder, B: Int) {
            self.B = B
            for s in e.shapes(B: B) {
                pre.append(Tensor([s.outputCount]))
                post.append(Tensor([s.outputCount]))
            }
            fcPre = Tensor([B, e.config.features])
            fcPost = Tensor([B, e.config.features])
            headIn = e.config.contextDim == 0 ? fcPost : Tensor([B, e.config.features + e.config.contextDim])
            identity = Tensor([B, e.config.codeDim])
            view = Tensor([B, e.config.viewDim])
            resPre = Tensor([B, e.resB1.count])
            resPost = Tensor([B, e.resB1.count])
            residual = Tensor([B, e.resB2.count])
        }
    }

    /// Products of `infer`'s convolutions: bf16 (fp32 accumulation) where the CPU has AVX-512 bf16,
    /// else fp32; `NERFINV_ENCODER_PRECISION=fp32` or `bf16` chooses. On the 100 in-domain test cars
    /// bf16 moved the encoder's novel-view PSNR by -0.0002 dB and its median pose error by 0.02°
    /// (BENCHMARKS.md), and halved its time.
    nonisolated(unsafe) public static var inferencePrecision: ConvChain.Precision =
        ConvChain.Precision(rawValue: ProcessInfo.processInfo.environment["NERFINV_ENCODER_PRECISION"] ?? "")
        ?? (CPUDescription.hasAVX512BF16 ? .bf16 : .fp32)

    /// The oneDNN chain of the convolutions for `infer`, rebuilt when the weights change.
    private var chain: ConvChain?
    private let chainLock = NSLock()

    /// identity (B, D), view (B, V) and the trunk's features (B, F) of images (B, C, H, W) in
    /// [0, 1] (C = `config.inputChannels`; `context` (B, X) beside them when the heads read one),
    /// for inference: the same values as `forward` (within the precision of `inferencePrecision`),
    /// without keeping the activations, the convolutions on a oneDNN chain where it is on.
    public func infer(images: UnsafePointer<Float>, B: Int, context: UnsafePointer<Float>? = nil) -> (
        identity: Tensor, view: Tensor, features: Tensor, residual: Tensor
    ) {
        let shapes = self.shapes(B: B), precision = Self.inferencePrecision
        let chain: ConvChain? = chainLock.withLock {
            if let c = self.chain, c.isCurrent(weights: convW, biases: convB, shapes: shapes, precision: precision) {
                return c
            }
            self.chain = ConvChain(
                shapes: shapes, weights: convW, biases: convB, slope: config.leak, precision: precision)
            return self.chain
        }
        let last = Tensor([shapes.last!.outputCount])  // (B, C, S, S) after the last LeakyReLU
        let done = Profiler.measure("convolutions (oneDNN chain)") {
            chain?.run(out: last.data, inp: images) ?? false
        }
        guard done else {
            let a = forward(images: images, B: B, context: context)
            return (a.identity, a.view, a.fcPost, a.residual)
        }
        let F = config.features, flat = fcW.shape[1]
        let fcPost = Tensor([B, F]), identity = Tensor([B, config.codeDim]), view = Tensor([B, config.viewDim])
        let hidden = Tensor([B, resB1.count]), residual = Tensor([B, resB2.count])
        Profiler.measure("fc + heads") {
            Linear.forward(out: fcPost.data, inp: last.data, weight: fcW.data, bias: fcB.data, N: B, I: flat, O: F)
            LeakyReLU.forward(out: fcPost.data, inp: fcPost.data, slope: config.leak, N: B * F)
            let headIn = heads(identity: identity, view: view, fcPost: fcPost, context: context, B: B)
            residualHead(out: residual, pre: hidden, post: hidden, headIn: headIn, B: B)
        }
        return (identity, view, fcPost, residual)
    }

    /// The residual head (nothing without one): headIn (B, F + X) -> LeakyReLU(res1) (B, H) ->
    /// res2 -> out (B, K). `pre` and `post` may be one tensor when nothing goes backward.
    func residualHead(out: Tensor, pre: Tensor, post: Tensor, headIn: Tensor, B: Int) {
        guard hasResidualHead else { return }
        let I = headIn.count / B, H = resB1.count, K = resB2.count
        Linear.forward(out: pre.data, inp: headIn.data, weight: resW1.data, bias: resB1.data, N: B, I: I, O: H)
        LeakyReLU.forward(out: post.data, inp: pre.data, slope: config.leak, N: B * H)
        Linear.forward(out: out.data, inp: post.data, weight: resW2.data, bias: resB2.data, N: B, I: H, O: K)
    }

    /// The heads from the trunk's features (B, F) and the context (B, X); returns what they read.
    @discardableResult
    func heads(
        identity: Tensor, view: Tensor, fcPost: Tensor, context: UnsafePointer<Float>?, B: Int,
        into given: Tensor? = nil
    ) -> Tensor {
        let F = config.features, X = config.contextDim
        var headIn = fcPost
        if X > 0 {
            precondition(context != nil, "these heads read \(X) floats of context")
            headIn = given ?? Tensor([B, F + X])
            for b in 0..<B {
                (headIn.data + b * (F + X)).update(from: fcPost.data + b * F, count: F)
                (headIn.data + b * (F + X) + F).update(from: context! + b * X, count: X)
            }
        }
        Linear.forward(
            out: identity.data, inp: headIn.data, weight: idW.data, bias: idB.data, N: B, I: F + X, O: config.codeDim)
        Linear.forward(
            out: view.data, inp: headIn.data, weight: viewW.data, bias: viewB.data, N: B, I: F + X, O: config.viewDim)
        return headIn
    }

    /// images (B, C, H, W) in [0, 1] (and the context (B, X) the heads read, if any) -> identity
    /// (B, D) and view (B, V) in the returned activations.
    public func forward(images: UnsafePointer<Float>, B: Int, context: UnsafePointer<Float>? = nil) -> Activations {
        let a = Activations(self, B: B)
        var x = images
        for (i, s) in shapes(B: B).enumerated() {
            Profiler.measure("conv\(i + 1) \(s.Ci)->\(s.Co) k\(s.K) s\(s.S) at \(s.H)²") {
                Conv2d.forward(out: a.pre[i].data, inp: x, weight: convW[i].data, bias: convB[i].data, s)
                LeakyReLU.forward(out: a.post[i].data, inp: a.pre[i].data, slope: config.leak, N: s.outputCount)
            }
            x = UnsafePointer(a.post[i].data)
        }
        let flat = fcW.shape[1]
        Profiler.measure("fc + heads") {
            Linear.forward(
                out: a.fcPre.data, inp: x, weight: fcW.data, bias: fcB.data, N: B, I: flat, O: config.features)
            LeakyReLU.forward(out: a.fcPost.data, inp: a.fcPre.data, slope: config.leak, N: B * config.features)
            heads(identity: a.identity, view: a.view, fcPost: a.fcPost, context: context, B: B, into: a.headIn)
            residualHead(out: a.residual, pre: a.resPre, post: a.resPost, headIn: a.headIn, B: B)
        }
        return a
    }

    /// Adds into grads (named like `parameters`) from dIdentity (B, D), dView (B, V) and, with a
    /// residual head, dResidual (B, K).
    public func backward(
        dIdentity: UnsafePointer<Float>, dView: UnsafePointer<Float>, dResidual: UnsafePointer<Float>? = nil,
        acts a: Activations, images: UnsafePointer<Float>, grads: [(name: String, tensor: Tensor)]
    ) {
        let g = Dictionary(uniqueKeysWithValues: grads.map { ($0.name, $0.tensor.data) })
        let B = a.B, F = config.features, X = config.contextDim
        let dHead = Tensor([B, F + X])  // (the context's part is dropped: it is an input, not a weight)
        Linear.backward(
            dInp: dHead.data, dWeight: g["\(prefix).id.w"]!, dBias: g["\(prefix).id.b"]!, dOut: dIdentity,
            inp: a.headIn.data, weight: idW.data, N: B, I: F + X, O: config.codeDim)
        Linear.backward(
            dInp: dHead.data, dWeight: g["\(prefix).view.w"]!, dBias: g["\(prefix).view.b"]!, dOut: dView,
            inp: a.headIn.data, weight: viewW.data, N: B, I: F + X, O: config.viewDim)
        if hasResidualHead, let dResidual {
            let H = resB1.count, K = resB2.count
            let dPost = Tensor([B, H]), dPre = Tensor([B, H])
            Linear.backward(
                dInp: dPost.data, dWeight: g["\(prefix).res2.w"]!, dBias: g["\(prefix).res2.b"]!, dOut: dResidual,
                inp: a.resPost.data, weight: resW2.data, N: B, I: H, O: K)
            LeakyReLU.backward(dInp: dPre.data, dOut: dPost.data, inp: a.resPre.data, slope: config.leak, N: B * H)
            Linear.backward(
                dInp: dHead.data, dWeight: g["\(prefix).res1.w"]!, dBias: g["\(prefix).res1.b"]!, dOut: dPre.data,
                inp: a.headIn.data, weight: resW1.data, N: B, I: F + X, O: H)
        }
        var dFc = dHead
        if X > 0 {
            dFc = Tensor([B, F])
            for b in 0..<B { (dFc.data + b * F).update(from: dHead.data + b * (F + X), count: F) }
        }
        let dFcPre = Tensor([B, F])
        LeakyReLU.backward(dInp: dFcPre.data, dOut: dFc.data, inp: a.fcPre.data, slope: config.leak, N: B * F)
        let shapes = self.shapes(B: B)
        var dX = Tensor([shapes.last!.outputCount])
        Linear.backward(
            dInp: dX.data, dWeight: g["\(prefix).fc.w"]!, dBias: g["\(prefix).fc.b"]!, dOut: dFcPre.data,
            inp: a.post.last!.data,
            weight: fcW.data, N: B, I: fcW.shape[1], O: F)
        for i in stride(from: shapes.count - 1, through: 0, by: -1) {
            let s = shapes[i]
            let dPre = Tensor([s.outputCount])
            LeakyReLU.backward(dInp: dPre.data, dOut: dX.data, inp: a.pre[i].data, slope: config.leak, N: s.outputCount)
            let input = i == 0 ? images : UnsafePointer(a.post[i - 1].data)
            let dIn = Tensor([s.inputCount])
            Conv2d.backward(
                dInp: i == 0 ? nil : dIn.data, dWeight: g["\(prefix).conv\(i).w"]!, dBias: g["\(prefix).conv\(i).b"]!,
                dOut: dPre.data, inp: input, weight: convW[i].data, s)
            dX = dIn
        }
    }
}
