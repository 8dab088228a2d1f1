import Foundation

// N elements.

/// out (N) = log(1 + exp(inp)), computed as max(x, 0) + log1p(exp(-|x|)) so it never overflows.
public enum Softplus {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Pointwise.grain) { r in
            for i in r {
                let x = inp[i]
                out[i] = max(x, 0) + log1p(exp(-abs(x)))
            }
        }
    }
    /// d softplus / dx = sigmoid(x).
    public static func backward(
        dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, N: Int
    ) {
        Parallel.forRanges(N, grain: Pointwise.grain) { r in
            for i in r { dInp[i] += dOut[i] * Sigmoid.value(inp[i]) }
        }
    }
}
