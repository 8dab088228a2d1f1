import CShims

/// Row-major single-precision BLAS (OpenBLAS). Every dense layer goes through `sgemm`.
public enum BLAS {
    /// C(M, N) = alpha * op(A)(M, K) * op(B)(K, N) + beta * C, row-major with leading dimensions.
    @inline(__always)
    public static func sgemm(
        transA: Bool, transB: Bool, M: Int, N: Int, K: Int, alpha: Float = 1,
        A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int,
        beta: Float, C: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard M > 0, N > 0 else { return }
        if K == 0 {
            // BLAS leaves C untouched for K == 0 only when beta == 1; make the contract explicit.
            for i in 0..<M { for j in 0..<N { C[i * ldc + j] *= beta } }
            return
        }
        if Profiler.enabled { Profiler.gemm(M: M, N: N, K: K, transA: transA, transB: transB) }
        nv_sgemm(
            transA ? 1 : 0, transB ? 1 : 0, Int32(M), Int32(N), Int32(K), alpha,
            A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
    }

    /// y(M or N) = alpha * op(A) x + beta * y for A (M, N) row-major.
    public static func sgemv(
        transA: Bool, M: Int, N: Int, alpha: Float = 1, A: UnsafePointer<Float>,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        guard M > 0, N > 0 else { return }
        if Profiler.enabled { Profiler.gemm(M: transA ? N : M, N: 1, K: transA ? M : N, transA: transA) }
        nv_sgemv(transA ? 1 : 0, Int32(M), Int32(N), alpha, A, Int32(N), x, beta, y)
    }

    /// The kernel family OpenBLAS runs ("Haswell", "SkylakeX", "Zen", "Prescott", ...).
    public static var coreName: String { String(cString: nv_blas_corename()) }
    /// OpenBLAS's build configuration string (version and options).
    public static var config: String { String(cString: nv_blas_config()) }
    public static var threads: Int {
        get { Int(nv_blas_get_num_threads()) }
        set { nv_blas_set_num_threads(Int32(newValue)) }
    }

    /// Naive triple loop, accumulated in Double: the reference `sgemm` is checked against.
    public static func sgemmReference(
        transA: Bool, transB: Bool, M: Int, N: Int, K: Int, alpha: Float = 1,
        A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int,
        beta: Float, C: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<M {
            for j in 0..<N {
                var acc = 0.0
                for k in 0..<K {
                    let a = transA ? A[k * lda + i] : A[i * lda + k]
                    let b = transB ? B[j * ldb + k] : B[k * ldb + j]
                    acc += Double(a) * Double(b)
                }
                C[i * ldc + j] = Float(Double(alpha) * acc + Double(beta) * Double(C[i * ldc + j]))
            }
        }
    }
}
