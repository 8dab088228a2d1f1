// B objects, D code length.

/// The latent prior of auto-decoder training: weight · Σ ||z||² over the batch's codes, which keeps
/// the code table near N(0, I / (2 weight)) and the latent space compact.
public struct CodePrior: LossTerm {
    public let name = "code prior"
    public var weight: Float

    public init(weight: Float) { self.weight = weight }

    public func forward(_ x: LossInputs) -> Float {
        var acc: Float = 0
        for k in 0..<(x.B * x.D) { acc += x.codes[k] * x.codes[k] }
        return weight * acc
    }

    public func backward(_ x: LossInputs, _ g: LossGradients) {
        for k in 0..<(x.B * x.D) { g.dCodes[k] += 2 * weight * x.codes[k] }
    }
}
