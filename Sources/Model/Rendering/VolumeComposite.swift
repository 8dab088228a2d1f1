import Foundation
import NeuralCore

// Alpha compositing along rays (emission-absorption volume rendering, Max 1995; NeRF).
// R rays, S samples per ray.

/// rgb (R, 3) = Σ_i w_i c_i + (1 - Σ_i w_i) background, w_i = T_i (1 - exp(-σ_i δ_i)),
/// T_i = Π_{j<i} exp(-σ_j δ_j); also depth (R) = Σ w_i t_i and opacity (R) = Σ w_i.
public enum VolumeComposite {
    public static func forward(
        rgb: UnsafeMutablePointer<Float>,  // (R, 3)
        depth: UnsafeMutablePointer<Float>?,  // (R)
        opacity: UnsafeMutablePointer<Float>,  // (R)
        weights: UnsafeMutablePointer<Float>,  // (R, S) kept for backward
        sigma: UnsafePointer<Float>,  // (R, S)
        color: UnsafePointer<Float>,  // (R, S, 3)
        delta: UnsafePointer<Float>,  // (R, S)
        t: UnsafePointer<Float>,  // (R, S)
        background: SIMD3<Float>, R: Int, S: Int
    ) {
        Parallel.forRanges(R, grain: 256) { rays in
            for r in rays {
                var T: Float = 1
                var c = SIMD3<Float>.zero
                var d: Float = 0, o: Float = 0
                for i in 0..<S {
                    let k = r * S + i
                    let trans = exp(-sigma[k] * delta[k])
                    let w = T * (1 - trans)
                    weights[k] = w
                    c += w * SIMD3(color[3 * k], color[3 * k + 1], color[3 * k + 2])
                    d += w * t[k]
                    o += w
                    T *= trans
                }
                c += T * background
                rgb[3 * r] = c.x
                rgb[3 * r + 1] = c.y
                rgb[3 * r + 2] = c.z
                depth?[r] = d
                opacity[r] = o
            }
        }
    }

    /// Adds into dSigma and dColor from dRGB (and dOpacity, dWeights if given). Uses the forward weights:
    /// d/dσ_i = δ_i [T_{i+1} a_i - Σ_{j>i} w_j a_j - T_S (g·bg)] + dO δ_i T_S with a_i = g·c_i + dW_i
    /// (∂w_i/∂σ_i = δ_i T_{i+1}, ∂w_j/∂σ_i = -δ_i w_j for j > i).
    public static func backward(
        dSigma: UnsafeMutablePointer<Float>,  // (R, S)
        dColor: UnsafeMutablePointer<Float>,  // (R, S, 3)
        dRGB: UnsafePointer<Float>,  // (R, 3)
        dOpacity: UnsafePointer<Float>?,  // (R)
        dWeights: UnsafePointer<Float>? = nil,  // (R, S)
        weights: UnsafePointer<Float>,  // (R, S)
        sigma: UnsafePointer<Float>,  // (R, S)
        color: UnsafePointer<Float>,  // (R, S, 3)
        delta: UnsafePointer<Float>,  // (R, S)
        background: SIMD3<Float>, R: Int, S: Int
    ) {
        Parallel.forRanges(R, grain: 256) { rays in
            for r in rays {
                let g = SIMD3(dRGB[3 * r], dRGB[3 * r + 1], dRGB[3 * r + 2])
                let gO = dOpacity?[r] ?? 0
                var O: Float = 0
                for i in 0..<S { O += weights[r * S + i] }
                // Σ w telescopes to 1 - T_S, so T_S and every T_{i+1} = T_S + Σ_{j>i} w_j come from
                // the weights without dividing by a transmittance that may be ~0.
                let TS = max(0, 1 - O)
                let constant = -TS * (g * background).sum() + gO * TS
                var suffix: Float = 0  // Σ_{j>i} w_j (g·c_j)
                var tail = TS  // T_{i+1}
                for i in stride(from: S - 1, through: 0, by: -1) {
                    let k = r * S + i
                    let w = weights[k]
                    let ci = SIMD3(color[3 * k], color[3 * k + 1], color[3 * k + 2])
                    dColor[3 * k] += w * g.x
                    dColor[3 * k + 1] += w * g.y
                    dColor[3 * k + 2] += w * g.z
                    let gc = (g * ci).sum() + (dWeights?[k] ?? 0)
                    dSigma[k] += delta[k] * (tail * gc - suffix + constant)
                    suffix += w * gc
                    tail += w
                }
            }
        }
    }
}
