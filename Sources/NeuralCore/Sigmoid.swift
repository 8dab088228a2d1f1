import Foundation

// N elements.

/// out (N) = 1 / (1 + exp(-inp)).
public enum Sigmoid {
    /// Evaluated through exp(-|x|) so exp cannot overflow.
    @inline(__always)
    public static func value(_ x: Float) -> Float {
        let e = exp(-abs(x))
        let s = 1 / (1 + e)
        return x >= 0 ? s : e * s
    }
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Pointwise.grain) { r in for i in r { out[i] = value(inp[i]) } }
    }
    /// Uses the forward output: d sigmoid / dx = out (1 - out).
    public static func backward(
        dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, out: UnsafePointer<Float>, N: Int
    ) {
        Parallel.forRanges(N, grain: Pointwise.grain) { r in
            for i in r {
                let y = out[i]
                dInp[i] += dOut[i] * y * (1 - y)
            }
        }
    }
}
