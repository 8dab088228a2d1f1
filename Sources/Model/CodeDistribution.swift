import Foundation
import NeuralCore
// The training codes as a Gaussian. O codes, D code length.

/// A Gaussian fitted to a model's code table: where in code space the decoder was trained. Its
/// negative log-density is the in-domain prior of refinement: moving along directions the
/// training codes span is cheap, moving off them (out of domain) is not.
public struct CodeDistribution: Sendable {
    public let mean: [Float]        // (D)
    /// Σ⁻¹ of the table's covariance, row-major (D, D).
    public let precision: [Float]   // (D, D)
    public let dimension: Int
    /// Covariance eigenvalues are floored at this fraction of their mean: directions a thousand
    /// codes barely span would otherwise get a near-infinite precision and freeze refinement.
    public static let varianceFloor = 0.05

    /// codes (O, D). Returns nil for fewer than two codes or a failed eigensolver.
    public init?(codes: Tensor) {
        let O = codes.shape[0], D = codes.shape[1]
        guard O >= 2 else { return nil }
        var mu = [Double](repeating: 0, count: D)
        for o in 0..<O { for d in 0..<D { mu[d] += Double(codes[o * D + d]) } }
        for d in 0..<D { mu[d] /= Double(O) }
        var cov = [Double](repeating: 0, count: D * D)
        for o in 0..<O {
            for i in 0..<D {
                let a = Double(codes[o * D + i]) - mu[i]
                for j in i..<D { cov[i * D + j] += a * (Double(codes[o * D + j]) - mu[j]) }
            }
        }
        for i in 0..<D { for j in i..<D { cov[i * D + j] /= Double(O - 1); cov[j * D + i] = cov[i * D + j] } }
        guard let (values, vectors) = SymmetricEigen.decompose(cov, n: D) else { return nil }
        let floor = max(values.reduce(0, +) / Double(D) * Self.varianceFloor, 1e-12)
        var p = [Double](repeating: 0, count: D * D)
        for k in 0..<D {
            let inv = 1 / max(values[k], floor)
            for i in 0..<D { let vi = vectors[i * D + k] * inv; for j in 0..<D { p[i * D + j] += vi * vectors[j * D + k] } }
        }
        mean = mu.map { Float($0) }
        precision = p.map { Float($0) }
        dimension = D
    }

    /// (z - μ)ᵀ Σ⁻¹ (z - μ) / D for z (D): about 1 for a typical training code.
    public func energy(_ z: UnsafePointer<Float>) -> Double {
        let D = dimension
        var e = 0.0
        for i in 0..<D {
            var row = 0.0
            for j in 0..<D { row += Double(precision[i * D + j]) * Double(z[j] - mean[j]) }
            e += Double(z[i] - mean[i]) * row
        }
        return e / Double(D)
    }

    /// grad (D) += weight · d energy / dz = weight · 2 Σ⁻¹ (z - μ) / D.
    public func addGradient(into grad: UnsafeMutablePointer<Float>, at z: UnsafePointer<Float>, weight: Float) {
        let D = dimension, scale = 2 * weight / Float(D)
        for i in 0..<D {
            var row: Float = 0
            for j in 0..<D { row += precision[i * D + j] * (z[j] - mean[j]) }
            grad[i] += scale * row
        }
    }
}
