// N elements.

/// out (N) = inp if inp > 0 else slope * inp.
public enum LeakyReLU {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, slope: Float, N: Int) {
        Parallel.forRanges(N, grain: Pointwise.grain) { r in
            for i in r {
                let x = inp[i]
                out[i] = x > 0 ? x : slope * x
            }
        }
    }
    public static func backward(
        dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>,
        slope: Float, N: Int
    ) {
        Parallel.forRanges(N, grain: Pointwise.grain) { r in
            for i in r {
                let g = dOut[i]
                dInp[i] += inp[i] > 0 ? g : slope * g
            }
        }
    }
}
