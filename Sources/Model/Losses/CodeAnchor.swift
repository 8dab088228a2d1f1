// B objects, D code length.

/// The in-domain term of refinement: weight · Σ ||z - z_start||² / σ², σ² the code table's
/// per-dimension variance, so a refined code stays near where it started (the encoder's or the
/// mean code) and inside the region the decoder knows.
public struct CodeAnchor: LossTerm {
    public let name = "code anchor"
    public var weight: Float
    let anchor: [Float]  // (B, D)
    let variance: Float

    /// Variances below this are clamped: a degenerate code table would make the term infinite.
    static let minVariance: Float = 1e-8

    public init(weight: Float, anchor: [Float], variance: Float) {
        self.weight = weight
        self.anchor = anchor
        self.variance = max(variance, Self.minVariance)
    }

    public func forward(_ x: LossInputs) -> Float {
        var acc: Float = 0
        for k in 0..<(x.B * x.D) {
            let e = x.codes[k] - anchor[k]
            acc += e * e
        }
        return weight * acc / variance
    }

    public func backward(_ x: LossInputs, _ g: LossGradients) {
        for k in 0..<(x.B * x.D) { g.dCodes[k] += 2 * weight * (x.codes[k] - anchor[k]) / variance }
    }
}
