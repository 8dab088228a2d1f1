import Foundation
import NeuralCore

// The decoder's output activations. N points.

/// sigma (N) = exp(min(raw[:, 0] + bias, max)), rgb (N, 3) = sigmoid(raw[:, 1...3]) from raw (N, 4).
public enum FieldHead {
    public static func forward(
        sigma: UnsafeMutablePointer<Float>, rgb: UnsafeMutablePointer<Float>,
        raw: UnsafePointer<Float>, bias: Float, N: Int
    ) {
        Parallel.forRanges(N, grain: 8192) { r in
            for n in r {
                sigma[n] = exp(min(raw[4 * n] + bias, ClampedExp.maxInput))
                rgb[3 * n] = Sigmoid.value(raw[4 * n + 1])
                rgb[3 * n + 1] = Sigmoid.value(raw[4 * n + 2])
                rgb[3 * n + 2] = Sigmoid.value(raw[4 * n + 3])
            }
        }
    }

    /// dRaw (N, 4) += from dSigma (N) and dRGB (N, 3), using the forward outputs.
    public static func backward(
        dRaw: UnsafeMutablePointer<Float>, dSigma: UnsafePointer<Float>, dRGB: UnsafePointer<Float>,
        raw: UnsafePointer<Float>, sigma: UnsafePointer<Float>, rgb: UnsafePointer<Float>, bias: Float, N: Int
    ) {
        Parallel.forRanges(N, grain: 8192) { r in
            for n in r {
                let g = dSigma[n] * sigma[n]
                dRaw[4 * n] += raw[4 * n] + bias < ClampedExp.maxInput ? g : 0
                for c in 0..<3 {
                    let y = rgb[3 * n + c]
                    dRaw[4 * n + 1 + c] += dRGB[3 * n + c] * y * (1 - y)
                }
            }
        }
    }
}
