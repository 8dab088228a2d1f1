// N elements.

/// out (N) = max(0, inp).
public enum ReLU {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
        Pointwise.map(N) { i in out[i] = max(0, inp[i]) }
    }
    /// Uses the forward output: out > 0 exactly where inp > 0.
    public static func backward(dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, out: UnsafePointer<Float>, N: Int) {
        Pointwise.map(N) { i in dInp[i] += out[i] > 0 ? dOut[i] : 0 }
    }
}
