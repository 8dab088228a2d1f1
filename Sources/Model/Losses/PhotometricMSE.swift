import NeuralCore

// R rays.

/// weight · mean((pred - target)²) over the R x 3 colours, pred = rgb, or with a photometric
/// correction (the view code's exposure) pred = (1 + g) ⊙ rgb + b per channel, correction =
/// (g (3), b (3)), whose gradient goes to `dCorrection`.
public struct PhotometricMSE: LossTerm {
    public let name = "photometric"
    public var weight: Float
    public var correction: Tensor?  // (6)
    public var dCorrection: Tensor?  // (6)

    public init(weight: Float = 1, correction: Tensor? = nil, dCorrection: Tensor? = nil) {
        precondition((correction == nil) == (dCorrection == nil), "a correction needs its gradient storage")
        self.weight = weight
        self.correction = correction
        self.dCorrection = dCorrection
    }

    /// pred (R, 3) with the correction applied; run `body` on it.
    func withPrediction<T>(_ x: LossInputs, _ body: (UnsafePointer<Float>) -> T) -> T {
        guard let p = correction else { return body(x.rgb) }
        return Scratch.with(x.R * 3) { pred in
            for r in 0..<x.R { for c in 0..<3 { pred[3 * r + c] = (1 + p[c]) * x.rgb[3 * r + c] + p[3 + c] } }
            return body(pred)
        }
    }

    public func forward(_ x: LossInputs) -> Float {
        weight * withPrediction(x) { MSELoss.forward(pred: $0, target: x.targets, N: 3 * x.R) }
    }

    public func backward(_ x: LossInputs, _ g: LossGradients) {
        guard let p = correction, let dP = dCorrection else {
            MSELoss.backward(dPred: g.dRGB, dLoss: weight, pred: x.rgb, target: x.targets, N: 3 * x.R)
            return
        }
        withPrediction(x) { pred in
            Scratch.with(x.R * 3) { dPred in  // (R, 3)
                dPred.initialize(repeating: 0, count: 3 * x.R)
                MSELoss.backward(dPred: dPred, dLoss: weight, pred: pred, target: x.targets, N: 3 * x.R)
                for r in 0..<x.R {
                    for c in 0..<3 {
                        let d = dPred[3 * r + c]
                        dP[c] += d * x.rgb[3 * r + c]
                        dP[3 + c] += d
                        g.dRGB[3 * r + c] += (1 + p[c]) * d
                    }
                }
            }
        }
    }
}
