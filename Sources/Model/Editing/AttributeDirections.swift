import Foundation
import NeuralCore

// O training codes, D code length, A attributes.

/// A linear direction in code space per attribute (InterFaceGAN's recipe with a regression instead
/// of a classifier boundary). The step of one standard deviation of attribute a is the codes'
/// mean shift per standard deviation of it, cov(z, y_a) / σ_a (the regression of the codes on the
/// attribute): it moves through the directions the codes actually vary in, so the decoder renders
/// the change. The other way round, a ridge regression of the attribute on the codes,
/// y ≈ w · (z - mean), says how well the codes encode it (R²) and predicts it for any code;
/// its own weights would favour rarely-used code directions and edit nothing visible.
/// `independent` removes from a step its components along the other attributes' regression
/// weights, so their predicted values stay put.
public struct AttributeDirections: Sendable {
    public let names: [String]
    /// Regression weights per attribute (D each), in standardized attribute units.
    public let weights: [[Double]]
    /// The codes' mean shift per standard deviation of each attribute (D each).
    public let steps: [[Double]]
    /// Standard deviation and mean of each attribute over the objects that have it.
    public let deviations: [Double]
    let means: [Double]
    /// Fraction of each attribute's variance the codes explain (R² on the training objects).
    public let explained: [Double]
    let codeMean: [Double]

    /// Ridge strength relative to the mean diagonal of the codes' scatter matrix.
    static let ridge = 1e-2

    public init?(codes: Tensor, table: ObjectAttributeTable) {
        let O = codes.shape[0], D = codes.shape[1]
        guard table.objects == O, O >= 2 else { return nil }
        var mean = [Double](repeating: 0, count: D)
        for o in 0..<O { for d in 0..<D { mean[d] += Double(codes[o * D + d]) } }
        for d in 0..<D { mean[d] /= Double(O) }
        codeMean = mean
        names = table.names
        var weights: [[Double]] = [], deviations: [Double] = [], means: [Double] = [], explained: [Double] = []
        var steps: [[Double]] = []
        let A = table.names.count
        for a in 0..<A {
            let rows = (0..<O).filter { table.known[$0 * A + a] }
            guard rows.count >= 2 else { return nil }
            let y = rows.map { Double(table.values[$0 * A + a]) }
            let ym = y.reduce(0, +) / Double(y.count)
            let sd = max(1e-12, (y.map { ($0 - ym) * ($0 - ym) }.reduce(0, +) / Double(y.count - 1)).squareRoot())
            // Normal equations (XᵀX + λI) w = Xᵀ y, X the centred codes of the rows with the attribute.
            var xtx = [Double](repeating: 0, count: D * D), xty = [Double](repeating: 0, count: D)
            var shift = [Double](repeating: 0, count: D)  // Σ (z - mean)(y - ȳ) / σ, then / (n - 1)
            for (n, o) in rows.enumerated() {
                for i in 0..<D { shift[i] += (Double(codes[o * D + i]) - mean[i]) * (y[n] - ym) / sd }
                let x = (0..<D).map { Double(codes[o * D + $0]) - mean[$0] }
                let t = (y[n] - ym) / sd
                for i in 0..<D {
                    xty[i] += x[i] * t
                    for j in 0..<D { xtx[i * D + j] += x[i] * x[j] }
                }
            }
            let trace = (0..<D).map { xtx[$0 * D + $0] }.reduce(0, +) / Double(D)
            for i in 0..<D { xtx[i * D + i] += Self.ridge * max(trace, 1e-12) }
            guard let w = Self.solve(xtx, xty, n: D) else { return nil }
            var ss = 0.0, sr = 0.0
            for (n, o) in rows.enumerated() {
                let t = (y[n] - ym) / sd
                let p = (0..<D).reduce(0.0) { $0 + w[$1] * (Double(codes[o * D + $1]) - mean[$1]) }
                ss += t * t
                sr += (t - p) * (t - p)
            }
            weights.append(w)
            steps.append(shift.map { $0 / Double(rows.count - 1) })
            deviations.append(sd)
            means.append(ym)
            explained.append(1 - sr / max(ss, 1e-12))
        }
        self.weights = weights
        self.steps = steps
        self.deviations = deviations
        self.means = means
        self.explained = explained
    }

    /// Gaussian elimination with partial pivoting on a symmetric positive definite system.
    static func solve(_ a: [Double], _ b: [Double], n: Int) -> [Double]? {
        var m = a, r = b
        for c in 0..<n {
            let p = (c..<n).max { abs(m[$0 * n + c]) < abs(m[$1 * n + c]) }!
            guard abs(m[p * n + c]) > 1e-300 else { return nil }
            if p != c {
                for j in 0..<n { m.swapAt(c * n + j, p * n + j) }
                r.swapAt(c, p)
            }
            for i in (c + 1)..<n {
                let f = m[i * n + c] / m[c * n + c]
                if f == 0 { continue }
                for j in c..<n { m[i * n + j] -= f * m[c * n + j] }
                r[i] -= f * r[c]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = r[i]
            for j in (i + 1)..<n { s -= m[i * n + j] * x[j] }
            x[i] = s / m[i * n + i]
        }
        return x
    }

    /// The attribute's predicted value (its own units) for a code.
    public func predict(_ code: [Float], attribute a: Int) -> Double {
        let t = (0..<code.count).reduce(0.0) { $0 + weights[a][$1] * (Double(code[$1]) - codeMean[$1]) }
        return means[a] + deviations[a] * t
    }

    /// The step of one standard deviation of attribute a, or with `independent` its part
    /// orthogonal to every other attribute's regression weights (Gram-Schmidt), rescaled to the
    /// same length: a move along it leaves their predictions where they were (InterFaceGAN's
    /// conditional manipulation projects out the other boundaries' normals the same way).
    func step(_ a: Int, independent: Bool) -> [Double] {
        var v = steps[a]
        guard independent else { return v }
        var basis: [[Double]] = []
        for (b, w) in weights.enumerated() where b != a {
            var u = w
            for e in basis {
                let p = zip(u, e).map(*).reduce(0, +)
                u = zip(u, e).map { $0 - p * $1 }
            }
            let n = u.map { $0 * $0 }.reduce(0, +).squareRoot()
            if n > 1e-12 { basis.append(u.map { $0 / n }) }
        }
        let length = v.map { $0 * $0 }.reduce(0, +).squareRoot()
        for e in basis {
            let p = zip(v, e).map(*).reduce(0, +)
            v = zip(v, e).map { $0 - p * $1 }
        }
        let rest = v.map { $0 * $0 }.reduce(0, +).squareRoot()
        return rest > 1e-12 ? v.map { $0 * length / rest } : v
    }

    /// `code` moved by `amount` standard deviations of attribute a.
    public func moved(_ code: [Float], attribute a: Int, amount: Float, independent: Bool = false) -> [Float] {
        zip(code, step(a, independent: independent)).map { $0 + Float(Double(amount) * $1) }
    }
}
