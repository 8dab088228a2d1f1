import NeuralCore

// A semantic (feature-space) loss on image patches. R rays, G groups of R / G rays (one photo
// each), P patch side (the first P² rays of a group, row-major), C channels of a feature stage.

/// The first stages of the encoder as a fixed feature extractor: 4x4 stride-2 convolutions, each
/// followed by a LeakyReLU (the network nerfinv already has; no other network ships with it).
public struct ConvFeatures {
    public let weights: [Tensor]  // per stage (C_out, C_in, 4, 4)
    let biases: [Tensor]  // per stage (C_out)
    public let leak: Float

    public init(weights: [Tensor], biases: [Tensor], leak: Float) {
        precondition(weights.count == biases.count && !weights.isEmpty, "one bias per stage, at least one stage")
        self.weights = weights
        self.biases = biases
        self.leak = leak
    }

    /// The encoder's first `stages` convolutions (its edge- and texture-level features).
    public init(encoder: PhotoEncoder, stages: Int) {
        let n = min(stages, encoder.convW.count)
        self.init(
            weights: Array(encoder.convW.prefix(n)), biases: Array(encoder.convB.prefix(n)), leak: encoder.config.leak)
    }

    /// The shapes of the stages for B images of side P.
    func shapes(B: Int, side P: Int) -> [Conv2dShape] {
        var s: [Conv2dShape] = [], side = P
        for w in weights {
            s.append(Conv2dShape(B: B, Ci: w.shape[1], H: side, W: side, Co: w.shape[0], K: 4, S: 2, P: 1))
            side /= 2
        }
        return s
    }

    /// Pre- and post-activation outputs of every stage for images (B, 3, P, P).
    func forward(_ images: UnsafePointer<Float>, B: Int, side P: Int) -> (pre: [Tensor], post: [Tensor]) {
        var pre: [Tensor] = [], post: [Tensor] = []
        var x = images
        for (i, s) in shapes(B: B, side: P).enumerated() {
            let a = Tensor([s.outputCount]), b = Tensor([s.outputCount])  // (B, C, P', P')
            Conv2d.forward(out: a.data, inp: x, weight: weights[i].data, bias: biases[i].data, s)
            LeakyReLU.forward(out: b.data, inp: a.data, slope: leak, N: s.outputCount)
            pre.append(a)
            post.append(b)
            x = UnsafePointer(b.data)
        }
        return (pre, post)
    }
}

/// weight · Σ_stages mean((φ(pred) - φ(target))²) over G patches of P x P rays, pred corrected
/// by each group's photometric code (read only: the pixel loss fits it). Pixel losses average
/// away edges a render cannot place exactly; feature differences keep them.
public struct FeatureLoss: LossTerm {
    public let name = "semantic"
    public var weight: Float
    public let features: ConvFeatures
    public let side: Int
    let groups: Int
    var correction: Tensor?  // (G, 6)

    public init(weight: Float, features: ConvFeatures, side: Int, groups: Int = 1, correction: Tensor? = nil) {
        precondition(side >= 4 && side % (1 << features.weights.count) == 0, "patch side must halve at every stage")
        precondition(correction == nil || correction!.count == 6 * groups, "a correction per group")
        self.weight = weight
        self.features = features
        self.side = side
        self.groups = groups
        self.correction = correction
    }

    /// Patch images (G, 3, P, P) of the corrected prediction and of the targets.
    func images(_ x: LossInputs) -> (pred: Tensor, target: Tensor) {
        let P = side, G = groups, perGroup = x.R / G
        precondition(perGroup * G == x.R && perGroup >= P * P, "each group holds a P x P patch")
        let pred = Tensor([G, 3, P, P]), target = Tensor([G, 3, P, P])
        for g in 0..<G {
            for p in 0..<(P * P) {
                let r = g * perGroup + p
                for c in 0..<3 {
                    let gain: Float = 1 + (correction?[6 * g + c] ?? 0), bias = correction?[6 * g + 3 + c] ?? 0
                    pred[(g * 3 + c) * P * P + p] = gain * x.rgb[3 * r + c] + bias
                    target[(g * 3 + c) * P * P + p] = x.targets[3 * r + c]
                }
            }
        }
        return (pred, target)
    }

    public func forward(_ x: LossInputs) -> Float {
        let (pred, target) = images(x)
        let a = features.forward(pred.data, B: groups, side: side).post
        let b = features.forward(target.data, B: groups, side: side).post
        var total: Float = 0
        for (fa, fb) in zip(a, b) {
            total += MSELoss.forward(pred: fa.data, target: fb.data, N: fa.count)
        }
        return weight * total
    }

    public func backward(_ x: LossInputs, _ g: LossGradients) {
        let P = side, G = groups, perGroup = x.R / G
        let (pred, target) = images(x)
        let shapes = features.shapes(B: G, side: P)
        let a = features.forward(pred.data, B: G, side: P)
        let b = features.forward(target.data, B: G, side: P).post
        // d loss / d post of the deepest stage first, then down through every stage; each stage's
        // own term joins the gradient arriving from above.
        var dPost = Tensor([shapes.last!.outputCount])
        for i in stride(from: shapes.count - 1, through: 0, by: -1) {
            let s = shapes[i]
            MSELoss.backward(
                dPred: dPost.data, dLoss: weight, pred: a.post[i].data, target: b[i].data, N: s.outputCount)
            let dPre = Tensor([s.outputCount])
            LeakyReLU.backward(
                dInp: dPre.data, dOut: dPost.data, inp: a.pre[i].data, slope: features.leak, N: s.outputCount)
            let dIn = Tensor([s.inputCount])
            Conv2d.backward(
                dInp: dIn.data, dWeight: nil, dBias: nil, dOut: dPre.data,
                inp: i == 0 ? UnsafePointer(pred.data) : UnsafePointer(a.post[i - 1].data),
                weight: features.weights[i].data,
                s)
            dPost = dIn
        }
        // dPost is now d loss / d pred (G, 3, P, P).
        for gr in 0..<G {
            for p in 0..<(P * P) {
                let r = gr * perGroup + p
                for c in 0..<3 {
                    let gain: Float = 1 + (correction?[6 * gr + c] ?? 0)
                    g.dRGB[3 * r + c] += gain * dPost[(gr * 3 + c) * P * P + p]
                }
            }
        }
    }
}
