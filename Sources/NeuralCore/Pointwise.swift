// Conventions shared by the elementwise ops. Each op writes its loop inline inside
// Parallel.forRanges (a per-element closure call would stop vectorisation), and loads every operand
// before any comparison: a load under a condition cannot be vectorised and cost 10x here.

enum Pointwise {
    /// Elements per thread below which an elementwise op stays on one core.
    static let grain = 32768

    /// dst (N) += src (N).
    static func add(into dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count N: Int) {
        Parallel.forRanges(N, grain: grain) { r in
            for i in r { dst[i] += src[i] }
        }
    }
}

/// Per-channel sums of an NCHW tensor (a convolution's bias gradient): dst (C) += Σ_b,hw src (B, C, HW).
enum ChannelSum {
    static func accumulate(into dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, B: Int, C: Int, HW: Int)
    {
        for c in 0..<C {
            var acc: Float = 0
            for b in 0..<B {
                let plane = src + (b * C + c) * HW
                for i in 0..<HW { acc += plane[i] }
            }
            dst[c] += acc
        }
    }
}
