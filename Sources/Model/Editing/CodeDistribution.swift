import NeuralCore

// The training codes as a distribution. O codes, D code length, K principal directions kept.

/// The code table's mean, covariance and principal directions (ranked by variance): the axes
/// `edit --direction pcN` moves along, and the Gaussian `sample` draws new objects from.
public struct CodeDistribution: Sendable {
    public let mean: [Float]  // (D)
    /// Principal directions, unit length, largest variance first.
    public let directions: [[Float]]  // (D, D)
    /// Standard deviation of the codes along each direction.
    public let deviations: [Float]  // (D)

    /// From a code table (O, D); nil when it has fewer than two codes or the eigensolver fails.
    public init?(codes: Tensor) {
        let O = codes.shape[0], D = codes.shape[1]
        guard O >= 2 else { return nil }
        var mean = [Double](repeating: 0, count: D)
        for o in 0..<O { for d in 0..<D { mean[d] += Double(codes[o * D + d]) } }
        for d in 0..<D { mean[d] /= Double(O) }
        var cov = [Double](repeating: 0, count: D * D)
        for o in 0..<O {
            for i in 0..<D {
                let a = Double(codes[o * D + i]) - mean[i]
                for j in i..<D { cov[i * D + j] += a * (Double(codes[o * D + j]) - mean[j]) }
            }
        }
        for i in 0..<D {
            for j in i..<D {
                cov[i * D + j] /= Double(O - 1)
                cov[j * D + i] = cov[i * D + j]
            }
        }
        guard let (values, vectors) = SymmetricEigen.decompose(cov, n: D) else { return nil }
        // Ascending from the solver: reversed, so pc1 is the direction of largest variance.
        let order = Array((0..<D).reversed())
        self.mean = mean.map { Float($0) }
        directions = order.map { k in (0..<D).map { Float(vectors[$0 * D + k]) } }
        deviations = order.map { Float(max(0, values[$0]).squareRoot()) }
    }

    /// `code` moved by `amount` standard deviations along principal direction `k` (0-based).
    public func moved(_ code: [Float], direction k: Int, amount: Float) -> [Float] {
        precondition(directions.indices.contains(k), "no principal direction \(k + 1)")
        return zip(code, directions[k]).map { $0 + amount * deviations[k] * $1 }
    }

    /// A new code from the Gaussian of the table (mean + Σ_k deviation_k z_k direction_k, z ~ N(0, 1)),
    /// its spread scaled by `truncation` (below 1: closer to the mean, more typical objects).
    public func sample(rng: inout SplitMix64, truncation: Float = 1) -> [Float] {
        var code = mean
        for (k, dir) in directions.enumerated() {
            let z = truncation * deviations[k] * rng.nextNormal()
            for d in code.indices { code[d] += z * dir[d] }
        }
        return code
    }

    /// Linear interpolation between two codes at t (0: a, 1: b).
    public static func interpolate(_ a: [Float], _ b: [Float], t: Float) -> [Float] {
        zip(a, b).map { $0 + t * ($1 - $0) }
    }
}
