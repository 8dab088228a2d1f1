// Sum and mean over the last axis; a full reduction is N = 1.
// N rows, C reduced elements per row.

/// out (N) = Σ_c inp (N, C), accumulated in Double.
public enum Sum {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int, C: Int) {
        Parallel.forRanges(N, grain: max(1, 65536 / max(1, C))) { rows in
            for n in rows {
                var acc = 0.0
                let row = inp + n * C
                for c in 0..<C { acc += Double(row[c]) }
                out[n] = Float(acc)
            }
        }
    }
    public static func backward(dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, N: Int, C: Int) {
        Parallel.forRanges(N, grain: max(1, 65536 / max(1, C))) { rows in
            for n in rows {
                let g = dOut[n]
                let row = dInp + n * C
                for c in 0..<C { row[c] += g }
            }
        }
    }
}

/// out (N) = Σ_c inp (N, C) / C.
public enum Mean {
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int, C: Int) {
        Sum.forward(out: out, inp: inp, N: N, C: C)
        let scale = 1 / Float(max(1, C))
        for n in 0..<N { out[n] *= scale }
    }
    public static func backward(dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, N: Int, C: Int) {
        let scale = 1 / Float(max(1, C))
        Parallel.forRanges(N, grain: max(1, 65536 / max(1, C))) { rows in
            for n in rows {
                let g = dOut[n] * scale
                let row = dInp + n * C
                for c in 0..<C { row[c] += g }
            }
        }
    }
}
