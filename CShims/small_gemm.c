// Register-blocked AVX2/FMA kernels for the skinny products of small MLPs (N x 16..256 x 16..256),
// where OpenBLAS spends more time zeroing C and packing than multiplying. Single-threaded: callers
// split rows across cores. Built for AVX2 with a target attribute and only called when CPUID says
// the CPU and OS support it (nv_small_gemm_available).
#include "CShims.h"
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>

int nv_small_gemm_available(void) {
    nv_cpu_features f;
    nv_cpu_query(&f);
    return f.avx2 && f.fma && f.os_saves_ymm;
}

#define ROWS 6

// One block of up to ROWS rows x 16 columns: C = init + A B (+ bias) (relu).
__attribute__((target("avx2,fma")))
static inline void block16(float *C, int ldc, const float *A, int lda, const float *B, int ldb,
                           int rows, int K, int accumulate, const float *bias, int relu) {
    __m256 c0[ROWS], c1[ROWS];
    for (int r = 0; r < ROWS; r++) {
        if (r < rows && accumulate) {
            c0[r] = _mm256_loadu_ps(C + r * ldc);
            c1[r] = _mm256_loadu_ps(C + r * ldc + 8);
        } else {
            c0[r] = _mm256_setzero_ps();
            c1[r] = _mm256_setzero_ps();
        }
    }
    // The full block has a constant trip count, so the compiler unrolls it into 12 accumulators held
    // in registers; the tail block (rows < ROWS) takes the general loop.
    if (rows == ROWS) {
        for (int k = 0; k < K; k++) {
            __m256 b0 = _mm256_loadu_ps(B + k * ldb), b1 = _mm256_loadu_ps(B + k * ldb + 8);
            for (int r = 0; r < ROWS; r++) {
                __m256 a = _mm256_broadcast_ss(A + r * lda + k);
                c0[r] = _mm256_fmadd_ps(a, b0, c0[r]);
                c1[r] = _mm256_fmadd_ps(a, b1, c1[r]);
            }
        }
    } else {
        for (int k = 0; k < K; k++) {
            __m256 b0 = _mm256_loadu_ps(B + k * ldb), b1 = _mm256_loadu_ps(B + k * ldb + 8);
            for (int r = 0; r < rows; r++) {
                __m256 a = _mm256_broadcast_ss(A + r * lda + k);
                c0[r] = _mm256_fmadd_ps(a, b0, c0[r]);
                c1[r] = _mm256_fmadd_ps(a, b1, c1[r]);
            }
        }
    }
    __m256 bias0 = bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
    __m256 bias1 = bias ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
    __m256 zero = _mm256_setzero_ps();
    for (int r = 0; r < rows; r++) {
        __m256 v0 = _mm256_add_ps(c0[r], bias0), v1 = _mm256_add_ps(c1[r], bias1);
        if (relu) { v0 = _mm256_max_ps(v0, zero); v1 = _mm256_max_ps(v1, zero); }
        _mm256_storeu_ps(C + r * ldc, v0);
        _mm256_storeu_ps(C + r * ldc + 8, v1);
    }
}

// Same for an 8-column tail.
__attribute__((target("avx2,fma")))
static inline void block8(float *C, int ldc, const float *A, int lda, const float *B, int ldb,
                          int rows, int K, int accumulate, const float *bias, int relu) {
    __m256 c0[ROWS];
    for (int r = 0; r < ROWS; r++)
        c0[r] = (r < rows && accumulate) ? _mm256_loadu_ps(C + r * ldc) : _mm256_setzero_ps();
    for (int k = 0; k < K; k++) {
        __m256 b0 = _mm256_loadu_ps(B + k * ldb);
        for (int r = 0; r < rows; r++)
            c0[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(A + r * lda + k), b0, c0[r]);
    }
    __m256 bias0 = bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
    for (int r = 0; r < rows; r++) {
        __m256 v0 = _mm256_add_ps(c0[r], bias0);
        if (relu) v0 = _mm256_max_ps(v0, _mm256_setzero_ps());
        _mm256_storeu_ps(C + r * ldc, v0);
    }
}

__attribute__((target("avx2,fma")))
void nv_gemm_nn_small(float *C, int ldc, const float *A, int lda, const float *B, int ldb,
                      int M, int N, int K, int accumulate, const float *bias, int relu) {
    for (int m = 0; m < M; m += ROWS) {
        int rows = M - m < ROWS ? M - m : ROWS;
        int j = 0;
        for (; j + 16 <= N; j += 16)
            block16(C + m * ldc + j, ldc, A + m * lda, lda, B + j, ldb, rows, K, accumulate, bias ? bias + j : NULL, relu);
        if (j < N)
            block8(C + m * ldc + j, ldc, A + m * lda, lda, B + j, ldb, rows, K, accumulate, bias ? bias + j : NULL, relu);
    }
}

// Rows of A and B streamed per pass over the C tiles: 256 rows of 64 floats is 64 KB each, which
// stays in L2 while every tile of C re-reads them.
#define TN_ROW_BLOCK 256
#define TN_TILE_M 4

__attribute__((target("avx2,fma")))
void nv_gemm_tn_small(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int M, int N, int K) {
    for (int k0 = 0; k0 < K; k0 += TN_ROW_BLOCK) {
        int k1 = k0 + TN_ROW_BLOCK < K ? k0 + TN_ROW_BLOCK : K;
        for (int m = 0; m < M; m += TN_TILE_M) {
            int rows = M - m < TN_TILE_M ? M - m : TN_TILE_M;
            for (int j = 0; j < N; j += 16) {
                int wide = N - j >= 16;
                __m256 c0[TN_TILE_M], c1[TN_TILE_M];
                for (int r = 0; r < TN_TILE_M; r++) {
                    c0[r] = r < rows ? _mm256_loadu_ps(C + (m + r) * ldc + j) : _mm256_setzero_ps();
                    c1[r] = (r < rows && wide) ? _mm256_loadu_ps(C + (m + r) * ldc + j + 8) : _mm256_setzero_ps();
                }
                if (rows == TN_TILE_M && wide) {
                    for (int k = k0; k < k1; k++) {
                        const float *b = B + k * ldb + j, *a = A + k * lda + m;
                        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
                        for (int r = 0; r < TN_TILE_M; r++) {
                            __m256 av = _mm256_broadcast_ss(a + r);
                            c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
                            c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
                        }
                    }
                } else {
                    for (int k = k0; k < k1; k++) {
                        const float *b = B + k * ldb + j, *a = A + k * lda + m;
                        __m256 b0 = _mm256_loadu_ps(b), b1 = wide ? _mm256_loadu_ps(b + 8) : _mm256_setzero_ps();
                        for (int r = 0; r < rows; r++) {
                            __m256 av = _mm256_broadcast_ss(a + r);
                            c0[r] = _mm256_fmadd_ps(av, b0, c0[r]);
                            c1[r] = _mm256_fmadd_ps(av, b1, c1[r]);
                        }
                    }
                }
                for (int r = 0; r < rows; r++) {
                    _mm256_storeu_ps(C + (m + r) * ldc + j, c0[r]);
                    if (wide) _mm256_storeu_ps(C + (m + r) * ldc + j + 8, c1[r]);
                }
            }
        }
    }
}
#else
int nv_small_gemm_available(void) { return 0; }
void nv_gemm_nn_small(float *C, int ldc, const float *A, int lda, const float *B, int ldb,
                      int M, int N, int K, int accumulate, const float *bias, int relu) {}
void nv_gemm_tn_small(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int M, int N, int K) {}
#endif
