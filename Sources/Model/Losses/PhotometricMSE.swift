import NeuralCore

// R rays, G groups of rays with their own correction (photos of one object).

/// weight · mean((pred - target)²) over the R x 3 colours, pred = rgb, or with a photometric
/// correction (the view code's exposure) pred = (1 + g) ⊙ rgb + b per channel, correction =
/// (g (3), b (3)) per group of R / G consecutive rays, whose gradient goes to `dCorrection`. With `footprint` F > 1, each run of F
/// consecutive rays is one pixel of a smaller photo: their colours are averaged before the
/// comparison, as a camera's pixel averages its footprint (the targets of a run are equal).
public struct PhotometricMSE: LossTerm {
    public let name = "photometric"
    public var weight: Float
    var correction: Tensor?  // (G, 6)
    var dCorrection: Tensor?  // (G, 6)
    public var footprint = 1

    public init(weight: Float = 1, correction: Tensor? = nil, dCorrection: Tensor? = nil, footprint: Int = 1) {
        precondition((correction == nil) == (dCorrection == nil), "a correction needs its gradient storage")
        precondition(footprint >= 1, "a footprint holds at least one ray")
        precondition(correction.map { $0.count % 6 == 0 && $0.count > 0 } ?? true, "a correction is (G, 6)")
        self.weight = weight
        self.correction = correction
        self.dCorrection = dCorrection
        self.footprint = footprint
    }

    /// pred (R, 3) with the correction applied; run `body` on it.
    func withPrediction<T>(_ x: LossInputs, _ body: (UnsafePointer<Float>) -> T) -> T {
        guard let p = correction else { return body(x.rgb) }
        let perGroup = groupSize(x.R)
        return Scratch.with(x.R * 3) { pred in
            for r in 0..<x.R {
                let g = 6 * (r / perGroup)
                for c in 0..<3 { pred[3 * r + c] = (1 + p[g + c]) * x.rgb[3 * r + c] + p[g + 3 + c] }
            }
            return body(pred)
        }
    }

    /// Rays of one group (R / G; rays come in whole groups).
    func groupSize(_ R: Int) -> Int {
        let G = (correction?.count ?? 6) / 6
        precondition(R % G == 0, "\(R) rays do not split into \(G) groups")
        return R / G
    }

    /// The inputs seen pixel by pixel: rgb (R/F, 3) averaged over each footprint, targets (R/F, 3).
    func withFootprints<T>(_ x: LossInputs, _ body: (LossInputs) -> T) -> T {
        let F = footprint, P = x.R / F
        precondition(P * F == x.R, "rays must come in whole footprints")
        return Scratch.with(P * 3) { rgb in  // (P, 3)
            Scratch.with(P * 3) { targets in  // (P, 3)
                for q in 0..<P {
                    for c in 0..<3 {
                        var acc: Float = 0
                        for f in 0..<F { acc += x.rgb[3 * (q * F + f) + c] }
                        rgb[3 * q + c] = acc / Float(F)
                        targets[3 * q + c] = x.targets[3 * q * F + c]
                    }
                }
                return body(LossInputs(rgb: rgb, targets: targets, R: P, codes: x.codes, B: x.B, D: x.D))
            }
        }
    }

    public func forward(_ x: LossInputs) -> Float {
        if footprint > 1 {
            var one = self
            one.footprint = 1
            return withFootprints(x) { one.forward($0) }
        }
        return weight * withPrediction(x) { MSELoss.forward(pred: $0, target: x.targets, N: 3 * x.R) }
    }

    public func backward(_ x: LossInputs, _ g: LossGradients) {
        if footprint > 1 {
            // The pixel's gradient, shared equally by the rays of its footprint.
            var one = self
            one.footprint = 1
            let F = footprint, P = x.R / F
            withFootprints(x) { px in
                Scratch.with(P * 3) { dPixel in  // (P, 3)
                    dPixel.initialize(repeating: 0, count: P * 3)
                    one.backward(px, LossGradients(dRGB: dPixel, dCodes: g.dCodes, dWeights: nil))
                    for q in 0..<P {
                        for f in 0..<F {
                            for c in 0..<3 { g.dRGB[3 * (q * F + f) + c] += dPixel[3 * q + c] / Float(F) }
                        }
                    }
                }
            }
            return
        }
        guard let p = correction, let dP = dCorrection else {
            MSELoss.backward(dPred: g.dRGB, dLoss: weight, pred: x.rgb, target: x.targets, N: 3 * x.R)
            return
        }
        withPrediction(x) { pred in
            Scratch.with(x.R * 3) { dPred in  // (R, 3)
                dPred.initialize(repeating: 0, count: 3 * x.R)
                MSELoss.backward(dPred: dPred, dLoss: weight, pred: pred, target: x.targets, N: 3 * x.R)
                let perGroup = groupSize(x.R)
                for r in 0..<x.R {
                    let k = 6 * (r / perGroup)
                    for c in 0..<3 {
                        let d = dPred[3 * r + c]
                        dP[k + c] += d * x.rgb[3 * r + c]
                        dP[k + 3 + c] += d
                        g.dRGB[3 * r + c] += (1 + p[k + c]) * d
                    }
                }
            }
        }
    }
}
