import FileIO
import Foundation
import NeuralCore

// A U-Net from a photo to its object mask. B images, S input side, C channels of a stage,
// n encoder stages (each halves the side), the decoder climbing back with skip connections.

/// Shape of the matting network; saved in its file.
public struct MattingConfig: Codable, Sendable, Equatable, NamedFormat {
    public static let formatName = "nerfinv-matting"
    var format = "nerfinv-matting"
    /// Side of the square photo the network sees (the inversion's framing, resampled).
    public var inputSize = 128
    /// Channels of the 4x4 stride-2 encoder stages and of the decoder's 3x3 stages (deepest first,
    /// as many as the encoder's).
    public var encoder = [16, 32, 64, 96]
    public var decoder = [64, 32, 16, 16]
    public var leak: Float = 0.2
    public init() {}

    /// Why this config cannot be built, or nil.
    public var problem: String? {
        guard format == "nerfinv-matting" else { return "format is '\(format)', not nerfinv-matting" }
        guard (1...6).contains(encoder.count), decoder.count == encoder.count else {
            return "1 to 6 encoder stages and as many decoder stages"
        }
        guard (encoder + decoder).allSatisfy({ (1...512).contains($0) }) else { return "channels outside 1...512" }
        guard (16...1024).contains(inputSize), inputSize % (1 << encoder.count) == 0 else {
            return "inputSize must be in 16...1024 and divisible by 2^stages"
        }
        guard leak.isFinite else { return "leak is not finite" }
        return nil
    }
}

/// Encoder: conv 4x4 stride 2 + LeakyReLU per stage. Decoder, deepest first: nearest 2x
/// upsampling, concatenation with the encoder output of that size (the photo itself at the top),
/// conv 3x3 + LeakyReLU. Head: conv 1x1 to one logit per pixel (sigmoid: the object's probability).
/// Its weights change only inside its trainer; a loaded network is read-only, shared by sessions.
public final class MattingNetwork: @unchecked Sendable {
    public let config: MattingConfig
    let encW: [Tensor], encB: [Tensor]  // per stage (C_out, C_in, 4, 4), (C_out)
    let decW: [Tensor], decB: [Tensor]  // per stage (C_out, C_up + C_skip, 3, 3), (C_out)
    let headW: Tensor, headB: Tensor  // (1, C_last, 1, 1), (1)

    public var parameters: [(name: String, tensor: Tensor)] {
        var p: [(String, Tensor)] = []
        for (i, (w, b)) in zip(encW, encB).enumerated() { p += [("matting.enc\(i).w", w), ("matting.enc\(i).b", b)] }
        for (i, (w, b)) in zip(decW, decB).enumerated() { p += [("matting.dec\(i).w", w), ("matting.dec\(i).b", b)] }
        return p + [("matting.head.w", headW), ("matting.head.b", headB)]
    }

    /// Channels of the encoder's outputs, the photo's first: skip k of the decoder's stage at side S / 2^k.
    var skipChannels: [Int] { [3] + config.encoder }

    public init(config: MattingConfig, rng: inout SplitMix64) {
        precondition(config.problem == nil, config.problem ?? "")
        self.config = config
        func layer(_ co: Int, _ ci: Int, _ k: Int) -> (Tensor, Tensor) {
            let w = Tensor([co, ci, k, k]), b = Tensor([co])
            // He initialisation for the LeakyReLU that follows.
            w.fillNormal(std: (2 / Float(ci * k * k)).squareRoot(), rng: &rng)
            return (w, b)
        }
        var ew: [Tensor] = [], eb: [Tensor] = [], cin = 3
        for c in config.encoder {
            let (w, b) = layer(c, cin, 4)
            ew.append(w)
            eb.append(b)
            cin = c
        }
        var dw: [Tensor] = [], db: [Tensor] = []
        let n = config.encoder.count, skips = [3] + config.encoder
        for (k, c) in config.decoder.enumerated() {
            // Stage k climbs from side S / 2^(n-k) to S / 2^(n-k-1) and joins skip n-k-1.
            let (w, b) = layer(c, cin + skips[n - k - 1], 3)
            dw.append(w)
            db.append(b)
            cin = c
        }
        let (hw, hb) = layer(1, cin, 1)
        encW = ew
        encB = eb
        decW = dw
        decB = db
        headW = hw
        headB = hb
    }

    /// Weights from named tensors (a matting file); shapes must match the config.
    public convenience init(config: MattingConfig, tensors: [String: Tensor]) throws {
        var rng = SplitMix64(seed: 0)
        self.init(config: config, rng: &rng)
        try NamedWeights.load(parameters, from: tensors, file: "matting file", config: "matting config")
    }

    /// Everything forward keeps for backward.
    public final class Activations {
        public let B: Int
        var encPre: [Tensor] = [], encPost: [Tensor] = []
        var up: [Tensor] = [], cat: [Tensor] = [], decPre: [Tensor] = [], decPost: [Tensor] = []
        /// Logits (B, 1, S, S).
        public let logits: Tensor
        init(B: Int, S: Int) {
            self.B = B
            logits = Tensor([B, 1, S, S])
        }
    }

    func encShape(_ i: Int, B: Int) -> Conv2dShape {
        let S = config.inputSize >> i
        return Conv2dShape(
            B: B, Ci: i == 0 ? 3 : config.encoder[i - 1], H: S, W: S, Co: config.encoder[i], K: 4, S: 2, P: 1)
    }

    func decShape(_ k: Int, B: Int) -> Conv2dShape {
        let n = config.encoder.count, S = config.inputSize >> (n - k - 1)
        let below = k == 0 ? config.encoder[n - 1] : config.decoder[k - 1]
        return Conv2dShape(
            B: B, Ci: below + skipChannels[n - k - 1], H: S, W: S, Co: config.decoder[k], K: 3, S: 1, P: 1)
    }

    var headShape: (Int) -> Conv2dShape {
        { B in
            Conv2dShape(
                B: B, Ci: self.config.decoder.last!, H: self.config.inputSize, W: self.config.inputSize, Co: 1, K: 1)
        }
    }

    /// images (B, 3, S, S) in [0, 1] -> logits (B, 1, S, S) in the returned activations.
    public func forward(images: UnsafePointer<Float>, B: Int) -> Activations {
        let n = config.encoder.count, S = config.inputSize
        let a = Activations(B: B, S: S)
        var x = images
        for i in 0..<n {
            let s = encShape(i, B: B)
            let pre = Tensor([s.outputCount]), post = Tensor([s.outputCount])
            Conv2d.forward(out: pre.data, inp: x, weight: encW[i].data, bias: encB[i].data, s)
            LeakyReLU.forward(out: post.data, inp: pre.data, slope: config.leak, N: s.outputCount)
            a.encPre.append(pre)
            a.encPost.append(post)
            x = UnsafePointer(post.data)
        }
        for k in 0..<n {
            let s = decShape(k, B: B), half = s.H / 2
            let below = s.Ci - skipChannels[n - k - 1]
            let up = Tensor([B, below, s.H, s.W])
            Upsample2x.forward(out: up.data, inp: x, B: B, C: below, H: half, W: half)
            let skip = n - k - 1 == 0 ? images : UnsafePointer(a.encPost[n - k - 2].data)
            let cat = Tensor([s.inputCount])
            ChannelConcat.forward(
                out: cat.data, a: up.data, b: skip, B: B, C1: below, C2: skipChannels[n - k - 1], P: s.H * s.W)
            let pre = Tensor([s.outputCount]), post = Tensor([s.outputCount])
            Conv2d.forward(out: pre.data, inp: cat.data, weight: decW[k].data, bias: decB[k].data, s)
            LeakyReLU.forward(out: post.data, inp: pre.data, slope: config.leak, N: s.outputCount)
            a.up.append(up)
            a.cat.append(cat)
            a.decPre.append(pre)
            a.decPost.append(post)
            x = UnsafePointer(post.data)
        }
        Conv2d.forward(out: a.logits.data, inp: x, weight: headW.data, bias: headB.data, headShape(B))
        return a
    }

    /// Adds into `grads` (named like `parameters`) from dLogits (B, 1, S, S).
    public func backward(
        dLogits: UnsafePointer<Float>, acts a: Activations, images: UnsafePointer<Float>, grads: ParameterGradients
    ) {
        let B = a.B, n = config.encoder.count
        let slot = Dictionary(uniqueKeysWithValues: grads.names.enumerated().map { ($1, $0) })
        func g(_ name: String) -> UnsafeMutablePointer<Float> { grads[slot[name]!].data }
        var dX = Tensor([headShape(B).inputCount])
        Conv2d.backward(
            dInp: dX.data, dWeight: g("matting.head.w"), dBias: g("matting.head.b"), dOut: dLogits,
            inp: a.decPost[n - 1].data, weight: headW.data, headShape(B))
        // d of each encoder output, gathered from the decoder's skips and the stage above.
        let dEnc = (0..<n).map { Tensor([encShape($0, B: B).outputCount]) }
        for k in stride(from: n - 1, through: 0, by: -1) {
            let s = decShape(k, B: B), half = s.H / 2
            let below = s.Ci - skipChannels[n - k - 1]
            let dPre = Tensor([s.outputCount])
            LeakyReLU.backward(
                dInp: dPre.data, dOut: dX.data, inp: a.decPre[k].data, slope: config.leak, N: s.outputCount)
            let dCat = Tensor([s.inputCount])
            Conv2d.backward(
                dInp: dCat.data, dWeight: g("matting.dec\(k).w"), dBias: g("matting.dec\(k).b"), dOut: dPre.data,
                inp: a.cat[k].data, weight: decW[k].data, s)
            let dUp = Tensor([B, below, s.H, s.W])
            let skipIndex = n - k - 2  // the encoder stage whose output is the skip (-1: the photo)
            ChannelConcat.backward(
                dA: dUp.data, dB: skipIndex >= 0 ? dEnc[skipIndex].data : nil, dOut: dCat.data, B: B, C1: below,
                C2: skipChannels[n - k - 1], P: s.H * s.W)
            let dBelow = k == 0 ? dEnc[n - 1] : Tensor([B, below, half, half])
            Upsample2x.backward(dInp: dBelow.data, dOut: dUp.data, B: B, C: below, H: half, W: half)
            dX = dBelow
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            let s = encShape(i, B: B)
            let dPre = Tensor([s.outputCount])
            LeakyReLU.backward(
                dInp: dPre.data, dOut: dEnc[i].data, inp: a.encPre[i].data, slope: config.leak, N: s.outputCount)
            Conv2d.backward(
                dInp: i == 0 ? nil : dEnc[i - 1].data, dWeight: g("matting.enc\(i).w"), dBias: g("matting.enc\(i).b"),
                dOut: dPre.data, inp: i == 0 ? images : UnsafePointer(a.encPost[i - 1].data), weight: encW[i].data, s)
        }
    }
}
