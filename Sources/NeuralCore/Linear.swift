import CShims

// Fully connected layer, PyTorch weight layout, on sgemm or on the fused AVX2 small-GEMM kernels.
// N rows (rays, samples or batch items), I input features, O output features, T threads.

/// out (N, O) = act(inp (N, I) · weight(O, I)^T + bias (O)), act = identity or ReLU.
public enum Linear {
    /// Which kernels run the products.
    public enum Kernel: Sendable { case blas, fused }

    /// True where the CPU and OS support the AVX2/FMA small-GEMM kernels.
    public static let fusedAvailable = nv_small_gemm_available() != 0
    /// The kernels used when a shape allows both and the caller names none (callers pass `.blas`
    /// to compare the two paths).
    public static let preferred: Kernel = fusedAvailable ? .fused : .blas

    /// Weights above this many floats leave L1/L2, where OpenBLAS's packing and threads win.
    static let fusedMaxWeights = 65536

    /// The fused kernels handle feature counts that are multiples of 8 (one AVX2 register) and
    /// weight matrices small enough to stay in cache.
    static func kernel(I: Int, O: Int, _ requested: Kernel) -> Kernel {
        requested == .fused && fusedAvailable && I % 8 == 0 && O % 8 == 0 && I * O <= fusedMaxWeights ? .fused : .blas
    }

    /// At most this many rows take the streaming kernels when the weights are too big for the fused
    /// ones: a few codes through the triplane generator.
    static let skinnyMaxRows = 16

    static func skinny(N: Int, I: Int, O: Int, _ requested: Kernel) -> Bool {
        requested == .fused && fusedAvailable && N <= skinnyMaxRows && I % 8 == 0 && I * O > fusedMaxWeights
    }

    /// Rows per thread below which splitting costs more than it saves.
    static let rowGrain = 96

    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, O)
        inp: UnsafePointer<Float>,  // (N, I)
        weight: UnsafePointer<Float>,  // (O, I)
        bias: UnsafePointer<Float>?,  // (O)
        N: Int, I: Int, O: Int, relu: Bool = false, kernel requested: Kernel = preferred
    ) {
        if Profiler.enabled && (kernel(I: I, O: O, requested) == .fused || skinny(N: N, I: I, O: O, requested)) {
            Profiler.gemm(M: N, N: O, K: I, transB: true)  // the fused kernels' products; sgemm counts its own
        }
        if kernel(I: I, O: O, requested) == .fused {
            let wt = UnsafeMutablePointer<Float>.allocate(capacity: I * O)  // (I, O)
            defer { wt.deallocate() }
            for o in 0..<O { for i in 0..<I { wt[i * O + o] = weight[o * I + i] } }
            Parallel.forRanges(N, grain: rowGrain) { rows in
                nv_gemm_nn_small(
                    out + rows.lowerBound * O, Int32(O), inp + rows.lowerBound * I, Int32(I), wt, Int32(O),
                    Int32(rows.count), Int32(O), Int32(I), 0, bias, relu ? 1 : 0)
            }
            return
        }
        if skinny(N: N, I: I, O: O, requested) {
            Parallel.forRanges(O, grain: 4096) { r in
                nv_skinny_forward(
                    out, inp, weight, bias, Int32(N), Int32(I), Int32(O), Int32(r.lowerBound), Int32(r.upperBound))
            }
            if relu { ReLU.forward(out: out, inp: out, N: N * O) }
            return
        }
        if let bias {
            Parallel.forRanges(N, grain: 8192) { rows in
                for n in rows { (out + n * O).update(from: bias, count: O) }
            }
        }
        if N == 1 {  // one code through the generator: sgemv streams the weights, sgemm would pack them first
            BLAS.sgemv(transA: false, M: O, N: I, A: weight, x: inp, beta: bias == nil ? 0 : 1, y: out)
            if relu { ReLU.forward(out: out, inp: out, N: O) }
            return
        }
        BLAS.sgemm(
            transA: false, transB: true, M: N, N: O, K: I, A: inp, lda: I, B: weight, ldb: I,
            beta: bias == nil ? 0 : 1, C: out, ldc: O)
        if relu { ReLU.forward(out: out, inp: out, N: N * O) }
    }

    /// Adds into whichever gradients are non-nil. With `relu`, `out` is the forward output (needed
    /// for the ReLU mask) and `dOut` the gradient w.r.t. that output.
    public static func backward(
        dInp: UnsafeMutablePointer<Float>?,  // (N, I)
        dWeight: UnsafeMutablePointer<Float>?,  // (O, I)
        dBias: UnsafeMutablePointer<Float>?,  // (O)
        dOut: UnsafePointer<Float>,  // (N, O)
        inp: UnsafePointer<Float>,  // (N, I)
        weight: UnsafePointer<Float>,  // (O, I)
        N: Int, I: Int, O: Int,
        relu: Bool = false, out: UnsafePointer<Float>? = nil,  // out (N, O)
        kernel requested: Kernel = preferred
    ) {
        guard relu else {
            backwardLinear(
                dInp: dInp, dWeight: dWeight, dBias: dBias, g: dOut, inp: inp, weight: weight, N: N, I: I, O: O,
                kernel: requested)
            return
        }
        guard let out else { preconditionFailure("Linear.backward with relu needs the forward output") }
        Scratch.with(N * O) { masked in  // (N, O) gradient w.r.t. the pre-activation
            Parallel.forRanges(N * O, grain: Pointwise.grain) { r in
                for i in r {
                    let g = dOut[i]
                    masked[i] = out[i] > 0 ? g : 0
                }
            }
            backwardLinear(
                dInp: dInp, dWeight: dWeight, dBias: dBias, g: masked, inp: inp, weight: weight, N: N, I: I, O: O,
                kernel: requested)
        }
    }

    /// The backward of the affine part, g (N, O) being the gradient w.r.t. its output.
    static func backwardLinear(
        dInp: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
        dBias: UnsafeMutablePointer<Float>?, g: UnsafePointer<Float>,
        inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, N: Int, I: Int, O: Int,
        kernel requested: Kernel
    ) {
        if Profiler.enabled && (kernel(I: I, O: O, requested) == .fused || skinny(N: N, I: I, O: O, requested)) {
            if dInp != nil { Profiler.gemm(M: N, N: I, K: O) }
            if dWeight != nil { Profiler.gemm(M: O, N: I, K: N, transA: true) }
        }
        if skinny(N: N, I: I, O: O, requested) {
            // Each thread streams its weight rows once; dInp gets per-thread partials (N I floats).
            let T = min(Parallel.threads, max(1, O / 4096))
            let partial = UnsafeMutablePointer<Float>.allocate(capacity: T * N * I)  // (T, N, I)
            defer { partial.deallocate() }
            partial.initialize(repeating: 0, count: T * N * I)
            Parallel.forChunks(O, grain: max(1, O / T)) { t, r in
                nv_skinny_backward(
                    dInp == nil ? nil : partial + t * N * I, dWeight, dBias, g, inp, weight,
                    Int32(N), Int32(I), Int32(O), Int32(r.lowerBound), Int32(r.upperBound))
            }
            if let dInp { for t in 0..<T { for k in 0..<(N * I) { dInp[k] += partial[t * N * I + k] } } }
            return
        }
        if let dBias { ColumnSum.accumulate(into: dBias, g, rows: N, cols: O) }
        if kernel(I: I, O: O, requested) == .fused {
            if let dInp {
                Parallel.forRanges(N, grain: rowGrain) { rows in
                    nv_gemm_nn_small(
                        dInp + rows.lowerBound * I, Int32(I), g + rows.lowerBound * O, Int32(O), weight, Int32(I),
                        Int32(rows.count), Int32(I), Int32(O), 1, nil, 0)
                }
            }
            if let dWeight { accumulateWeightGradient(dWeight, g, inp, N: N, I: I, O: O) }
            return
        }
        if let dInp, N == 1 {
            BLAS.sgemv(transA: true, M: O, N: I, A: weight, x: g, beta: 1, y: dInp)
        } else if let dInp {
            BLAS.sgemm(
                transA: false, transB: false, M: N, N: I, K: O, A: g, lda: O, B: weight, ldb: I,
                beta: 1, C: dInp, ldc: I)
        }
        if let dWeight {
            BLAS.sgemm(
                transA: true, transB: false, M: O, N: I, K: N, A: g, lda: O, B: inp, ldb: I,
                beta: 1, C: dWeight, ldc: I)
        }
    }

    /// dWeight (O, I) += g^T (O, N) · inp (N, I): each thread reduces its rows into a private
    /// partial (thread 0 straight into dWeight), then the partials are added.
    static func accumulateWeightGradient(
        _ dWeight: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
        _ inp: UnsafePointer<Float>, N: Int, I: Int, O: Int
    ) {
        let T = min(Parallel.threads, max(1, N / 512))
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: max(1, (T - 1) * O * I))  // (T-1, O, I)
        defer { partial.deallocate() }
        if T > 1 { partial.initialize(repeating: 0, count: (T - 1) * O * I) }
        Parallel.forChunks(N, grain: max(1, N / T)) { t, rows in
            let dst = t == 0 ? dWeight : partial + (t - 1) * O * I
            nv_gemm_tn_small(
                dst, Int32(I), g + rows.lowerBound * O, Int32(O), inp + rows.lowerBound * I, Int32(I),
                Int32(O), Int32(I), Int32(rows.count))
        }
        for t in 0..<(T - 1) {
            let src = partial + t * O * I
            for k in 0..<(O * I) { dWeight[k] += src[k] }
        }
    }
}

/// Column sums of a row-major matrix on both cores: dst (C) += Σ_n src (N, C).
public enum ColumnSum {
    public static func accumulate(
        into dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, rows N: Int, cols C: Int
    ) {
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
