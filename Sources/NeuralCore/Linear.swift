// Fully connected layer on sgemm, PyTorch weight layout.
// N rows (rays, samples or batch items), I input features, O output features.

/// out (N, O) = inp (N, I) · weight(O, I)^T + bias (O).
public enum Linear {
    public static func forward(out: UnsafeMutablePointer<Float>,          // (N, O)
                               inp: UnsafePointer<Float>,                 // (N, I)
                               weight: UnsafePointer<Float>,              // (O, I)
                               bias: UnsafePointer<Float>?,               // (O)
                               N: Int, I: Int, O: Int) {
        if let bias {
            Parallel.forRanges(N, grain: 8192) { rows in
                for n in rows { (out + n * O).update(from: bias, count: O) }
            }
        }
        BLAS.sgemm(transA: false, transB: true, M: N, N: O, K: I, A: inp, lda: I, B: weight, ldb: I,
                   beta: bias == nil ? 0 : 1, C: out, ldc: O)
    }

    /// Adds into whichever gradients are non-nil.
    public static func backward(dInp: UnsafeMutablePointer<Float>?,      // (N, I)
                                dWeight: UnsafeMutablePointer<Float>?,   // (O, I)
                                dBias: UnsafeMutablePointer<Float>?,     // (O)
                                dOut: UnsafePointer<Float>,              // (N, O)
                                inp: UnsafePointer<Float>,               // (N, I)
                                weight: UnsafePointer<Float>,            // (O, I)
                                N: Int, I: Int, O: Int) {
        if let dInp {
            BLAS.sgemm(transA: false, transB: false, M: N, N: I, K: O, A: dOut, lda: O, B: weight, ldb: I,
                       beta: 1, C: dInp, ldc: I)
        }
        if let dWeight {
            BLAS.sgemm(transA: true, transB: false, M: O, N: I, K: N, A: dOut, lda: O, B: inp, ldb: I,
                       beta: 1, C: dWeight, ldc: I)
        }
        if let dBias { ColumnSum.accumulate(into: dBias, dOut, rows: N, cols: O) }
    }
}

/// Column sums of a row-major matrix on both cores: dst (C) += Σ_n src (N, C).
public enum ColumnSum {
    public static func accumulate(into dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, rows N: Int, cols C: Int) {
        let T = min(Parallel.threads, max(1, N / 4096))
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: T * C)  // (T, C)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0, count: T * C)
        Parallel.forChunks(N, grain: max(1, N / T)) { t, rows in
            let acc = partial + t * C
            for n in rows {
                let row = src + n * C
                for c in 0..<C { acc[c] += row[c] }
            }
        }
        for t in 0..<T { for c in 0..<C { dst[c] += partial[t * C + c] } }
    }
}
