// N elements.

/// out (N) = max(0, inp).
public enum ReLU {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
        Parallel.forRanges(N, grain: Pointwise.grain) { r in for i in r { out[i] = max(0, inp[i]) } }
    }
    /// Uses the forward output: out > 0 exactly where inp > 0.
    public static func backward(
        dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, out: UnsafePointer<Float>, N: Int
    ) {
        Parallel.forRanges(N, grain: Pointwise.grain) { r in
            for i in r {
                let g = dOut[i]
                dInp[i] += out[i] > 0 ? g : 0
            }
        }
    }
}
