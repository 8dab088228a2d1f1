import NeuralCore

// R rays, S samples per ray (sorted by depth along each ray).

/// The distortion loss of Mip-NeRF 360 (Barron et al. 2022) on each ray's compositing weights:
///
///     L = Σ_r [ Σ_{i,j} w_i w_j |t_i - t_j| + 1/3 Σ_i w_i² δ_i ]  / R
///
/// small when a ray's weight sits in one compact interval, large when it is spread along the ray or
/// split into separate lumps: it removes the semi-transparent floaters and fog that a photometric
/// loss alone leaves where they do not change a pixel much. The double sum is computed in O(S)
/// with prefix sums of w and w t, since the samples are sorted.
public enum RayDistortion {
    public static func forward(
        loss: UnsafeMutablePointer<Float>,  // (R)
        weights: UnsafePointer<Float>,  // (R, S)
        t: UnsafePointer<Float>,  // (R, S)
        delta: UnsafePointer<Float>,  // (R, S)
        R: Int, S: Int
    ) {
        Parallel.forRanges(R, grain: 512) { rays in
            for r in rays {
                let w = weights + r * S, m = t + r * S, d = delta + r * S
                // Σ_{i,j} w_i w_j |t_i - t_j| = 2 Σ_i w_i (t_i W_<i - M_<i), W and M prefix sums of w and w t.
                var W: Float = 0, M: Float = 0, cross: Float = 0, own: Float = 0
                for i in 0..<S {
                    cross += w[i] * (m[i] * W - M)
                    W += w[i]
                    M += w[i] * m[i]
                    own += w[i] * w[i] * d[i]
                }
                loss[r] = 2 * cross + own / 3
            }
        }
    }

    /// dWeights (R, S) += dLoss (R) · dL/dw: 2 Σ_j w_j |t_i - t_j| + 2/3 w_i δ_i.
    public static func backward(
        dWeights: UnsafeMutablePointer<Float>,  // (R, S)
        dLoss: UnsafePointer<Float>,  // (R)
        weights: UnsafePointer<Float>,  // (R, S)
        t: UnsafePointer<Float>,  // (R, S)
        delta: UnsafePointer<Float>,  // (R, S)
        R: Int, S: Int
    ) {
        Parallel.forRanges(R, grain: 512) { rays in
            for r in rays {
                let w = weights + r * S, m = t + r * S, d = delta + r * S, g = dWeights + r * S
                var totalW: Float = 0, totalM: Float = 0
                for i in 0..<S {
                    totalW += w[i]
                    totalM += w[i] * m[i]
                }
                // Σ_j w_j |t_i - t_j| = (t_i W_<i - M_<i) + ((M - M_≤i) - t_i (W - W_≤i)).
                var W: Float = 0, M: Float = 0
                for i in 0..<S {
                    let before = m[i] * W - M
                    W += w[i]
                    M += w[i] * m[i]
                    let after = (totalM - M) - m[i] * (totalW - W)
                    g[i] += dLoss[r] * (2 * (before + after) + 2 / 3 * w[i] * d[i])
                }
            }
        }
    }
}

/// `RayDistortion` as a term of a render step's objective: weight × the mean over rays.
public struct DistortionLoss: LossTerm {
    public let name = "distortion"
    public var weight: Float

    public init(weight: Float) { self.weight = weight }

    public func forward(_ x: LossInputs) -> Float {
        guard let w = x.weights, let t = x.t, let delta = x.delta else { return 0 }
        return Scratch.with(x.R) { loss in  // (R)
            RayDistortion.forward(loss: loss, weights: w, t: t, delta: delta, R: x.R, S: x.S)
            var acc: Float = 0
            for r in 0..<x.R { acc += loss[r] }
            return weight * acc / Float(x.R)
        }
    }

    public func backward(_ x: LossInputs, _ g: LossGradients) {
        guard let w = x.weights, let t = x.t, let delta = x.delta, let dWeights = g.dWeights else { return }
        Scratch.with(x.R) { dLoss in  // (R)
            dLoss.update(repeating: weight / Float(x.R), count: x.R)
            RayDistortion.backward(dWeights: dWeights, dLoss: dLoss, weights: w, t: t, delta: delta, R: x.R, S: x.S)
        }
    }
}
