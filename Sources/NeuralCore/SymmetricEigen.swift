import CShims

/// Eigendecomposition of a symmetric matrix (Eigen's self-adjoint solver), e.g. for PCA of latent codes.
public enum SymmetricEigen {
    /// A (n, n) row-major symmetric → eigenvalues ascending (n) and eigenvectors as columns (n, n) row-major.
    /// Returns nil if A holds NaN/Inf or the solver fails.
    public static func decompose(_ A: [Double], n: Int) -> (values: [Double], vectors: [Double])? {
        precondition(A.count == n * n, "SymmetricEigen: \(A.count) entries for n = \(n)")
        var values = [Double](repeating: 0, count: n), vectors = [Double](repeating: 0, count: n * n)
        let rc = nv_sym_eigen(Int32(n), A, &values, &vectors)
        return rc == 0 ? (values, vectors) : nil
    }
}
