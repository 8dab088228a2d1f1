import Foundation
// N elements.

/// out (N) = 1 / (1 + exp(-inp)).
public enum Sigmoid {
    /// Evaluated on the side where exp cannot overflow.
    @inline(__always)
    public static func value(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)
        return e / (1 + e)
    }
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
        Pointwise.map(N) { i in out[i] = value(inp[i]) }
    }
    /// Uses the forward output: d sigmoid / dx = out (1 - out).
    public static func backward(dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, out: UnsafePointer<Float>, N: Int) {
        Pointwise.map(N) { i in dInp[i] += dOut[i] * out[i] * (1 - out[i]) }
    }
}
