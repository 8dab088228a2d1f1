// N elements.

/// out (N) = inp if inp > 0 else slope * inp.
public enum LeakyReLU {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, slope: Float, N: Int) {
        Pointwise.map(N) { i in out[i] = inp[i] > 0 ? inp[i] : slope * inp[i] }
    }
    public static func backward(dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                                slope: Float, N: Int) {
        Pointwise.map(N) { i in dInp[i] += inp[i] > 0 ? dOut[i] : slope * dOut[i] }
    }
}
