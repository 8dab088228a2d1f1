// Streaming AVX2/FMA kernels for a wide layer applied to a handful of rows: the triplane generator
// (B <= 16 codes x 128 -> 49152). OpenBLAS packs the whole 25 MB weight matrix for such a product;
// these read each weight row once, which is all the product needs (it is memory bound).
// Single-threaded over a range of weight rows [o0, o1): callers split the rows across cores.
#include "CShims.h"
#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma")))
static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma")))
void nv_skinny_forward(float *out, const float *X, const float *W, const float *bias, int B, int I, int O, int o0, int o1) {
    for (int o = o0; o < o1; o++) {
        const float *w = W + (long)o * I;
        for (int b = 0; b < B; b++) {
            const float *x = X + (long)b * I;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
            int i = 0;
            for (; i + 16 <= I; i += 16) {
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
            }
            for (; i < I; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
            out[(long)b * O + o] = hsum(_mm256_add_ps(a0, a1)) + (bias ? bias[o] : 0.0f);
        }
    }
}

__attribute__((target("avx2,fma")))
void nv_skinny_backward(float *dX, float *dW, float *dBias, const float *dOut, const float *X, const float *W,
                        int B, int I, int O, int o0, int o1) {
    for (int o = o0; o < o1; o++) {
        const float *w = W + (long)o * I;
        for (int b = 0; b < B; b++) {
            float g = dOut[(long)b * O + o];
            if (g == 0.0f) continue;
            __m256 gv = _mm256_set1_ps(g);
            if (dX) {
                float *dx = dX + (long)b * I;
                for (int i = 0; i < I; i += 8)
                    _mm256_storeu_ps(dx + i, _mm256_fmadd_ps(gv, _mm256_loadu_ps(w + i), _mm256_loadu_ps(dx + i)));
            }
            if (dBias) dBias[o] += g;
        }
        if (dW) {
            float *dw = dW + (long)o * I;
            for (int i = 0; i < I; i += 8) {
                __m256 acc = _mm256_loadu_ps(dw + i);
                for (int b = 0; b < B; b++)
                    acc = _mm256_fmadd_ps(_mm256_set1_ps(dOut[(long)b * O + o]), _mm256_loadu_ps(X + (long)b * I + i), acc);
                _mm256_storeu_ps(dw + i, acc);
            }
        }
    }
}
#else
void nv_skinny_forward(float *out, const float *X, const float *W, const float *bias, int B, int I, int O, int o0, int o1) {}
void nv_skinny_backward(float *dX, float *dW, float *dBias, const float *dOut, const float *X, const float *W,
                        int B, int I, int O, int o0, int o1) {}
#endif
