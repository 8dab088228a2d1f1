// OpenBLAS wrappers: row-major sgemm/sgemv and kernel introspection.
#include "CShims.h"
#include <cblas.h>

char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);

void nv_sgemm(int transA, int transB, int M, int N, int K, float alpha,
              const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void nv_sgemv(int transA, int M, int N, float alpha, const float *A, int lda,
              const float *x, float beta, float *y) {
    cblas_sgemv(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, M, N, alpha, A, lda, x, 1, beta, y, 1);
}

const char *nv_blas_corename(void) { return openblas_get_corename(); }
const char *nv_blas_config(void) { return openblas_get_config(); }
int nv_blas_get_num_threads(void) { return openblas_get_num_threads(); }
void nv_blas_set_num_threads(int n) { openblas_set_num_threads(n); }
