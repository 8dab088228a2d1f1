import Foundation

// N elements.

/// out (N) = exp(min(inp, maxInput)): a density activation that cannot overflow.
public enum ClampedExp {
    /// exp(15) ≈ 3.3e6: at any step length above 1e-5 that density is already fully opaque, and
    /// larger inputs would only risk Inf in float32 sums.
    public static let maxInput: Float = 15

    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Pointwise.grain) { r in for i in r { out[i] = exp(min(inp[i], maxInput)) } }
    }
    /// The gradient is out where the clamp is inactive and 0 where it is.
    public static func backward(
        dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>,
        out: UnsafePointer<Float>, N: Int
    ) {
        Parallel.forRanges(N, grain: Pointwise.grain) { r in
            for i in r {
                let g = dOut[i] * out[i]
                dInp[i] += inp[i] < maxInput ? g : 0
            }
        }
    }
}
