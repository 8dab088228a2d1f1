// The only C/C++ surface of nerfinv: OpenBLAS, libpng, giflib, Eigen and CPUID behind a small C API.
// Every function reports failure through its return value (and an error string where useful);
// nothing here aborts the process.
#ifndef NERFINV_CSHIMS_H
#define NERFINV_CSHIMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------- BLAS (OpenBLAS)
/// Row-major C(M,N) = alpha * op(A)(M,K) * op(B)(K,N) + beta * C. trans* = 0 or 1.
void nv_sgemm(int transA, int transB, int M, int N, int K, float alpha,
              const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
/// Row-major y = alpha * op(A) x + beta * y, A is (M, N).
void nv_sgemv(int transA, int M, int N, float alpha, const float *A, int lda,
              const float *x, float beta, float *y);
/// The kernel family OpenBLAS chose at load time ("Haswell", "SkylakeX", "Prescott", ...).
const char *nv_blas_corename(void);
/// OpenBLAS's build configuration string.
const char *nv_blas_config(void);
int nv_blas_get_num_threads(void);
void nv_blas_set_num_threads(int n);

// ---------------------------------------------------------------- Checksums (zlib)
/// zlib's CRC-32 of `count` bytes, continuing from `crc` (0 to start).
uint32_t nv_crc32(uint32_t crc, const void *bytes, size_t count);
// SHA-256 and SHA-1 digests (hash.c): model fingerprints, the WebSocket handshake.
void nv_sha256(const void *data, size_t count, uint8_t digest[32]);
void nv_sha1(const void *data, size_t count, uint8_t digest[20]);

// ---------------------------------------------------------------- Small-GEMM kernels (AVX2/FMA)
/// 1 if the CPU and OS support the kernels below; never call them otherwise.
int nv_small_gemm_available(void);
/// C(M,N) = (accumulate ? C : 0) + A(M,K) B(K,N) (+ bias(N)) (then max(0, .) if relu).
/// Row-major with leading dimensions; N must be a multiple of 8. Single-threaded.
void nv_gemm_nn_small(float *C, int ldc, const float *A, int lda, const float *B, int ldb,
                      int M, int N, int K, int accumulate, const float *bias, int relu);
/// C(M,N) += A^T B for A (K, M) and B (K, N), row-major; N must be a multiple of 8. Single-threaded.
void nv_gemm_tn_small(float *C, int ldc, const float *A, int lda, const float *B, int ldb, int M, int N, int K);
/// Rows [o0, o1) of out(B,O) = X(B,I) W(O,I)^T (+ bias(O)); I a multiple of 8. Same availability.
void nv_skinny_forward(float *out, const float *X, const float *W, const float *bias, int B, int I, int O, int o0, int o1);
/// For weight rows [o0, o1): dX(B,I) += dOut(B,O) W, dW(O,I) += dOut^T X, dBias(O) += column sums
/// of dOut (each optional). dX is shared by the rows of one call: give each thread its own.
void nv_skinny_backward(float *dX, float *dW, float *dBias, const float *dOut, const float *X, const float *W,
                        int B, int I, int O, int o0, int o1);

// ---------------------------------------------------------------- CPU features
typedef struct {
    int sse3, avx, avx2, fma;
    int avx512f, avx512dq, avx512cd, avx512bw, avx512vl, avx512bf16;
    int os_saves_ymm;   // XCR0 says the OS saves AVX state
    int os_saves_zmm;   // XCR0 says the OS saves AVX-512 state
    char vendor[13];
} nv_cpu_features;
void nv_cpu_query(nv_cpu_features *out);
/// Sets (1) or clears (0) flush-to-zero and denormals-are-zero for the calling thread; returns whether they were set.
int nv_flush_denormals(int on);

// ---------------------------------------------------------------- oneDNN convolutions

/// A 2D (de)convolution on plain NCHW input (B, Ci, H, W), OIHW weights (Co, Ci, KH, KW) and NCHW
/// output (B, Co, Ho, Wo); pads top/left/bottom/right. A deconvolution (transposed convolution)
/// maps output row oh from input row ih by oh = ih * SH + kh - PT.
typedef struct {
    int deconv, B, Ci, H, W, Co, Ho, Wo, KH, KW, SH, SW, PT, PL, PB, PR;
} nv_conv_spec;
/// 1 when oneDNN made its CPU engine.
int nv_dnnl_available(void);
/// Threads of oneDNN's OpenMP runtime.
void nv_dnnl_set_threads(int n);
/// Each returns 0, or -1 when oneDNN has no primitive for the spec. They overwrite their output.
int nv_dnnl_conv_forward(const nv_conv_spec *spec, float *out, const float *inp, const float *weight,
                         const float *bias);
int nv_dnnl_conv_backward_data(const nv_conv_spec *spec, float *dInp, const float *dOut, const float *weight);
int nv_dnnl_conv_backward_weights(const nv_conv_spec *spec, float *dWeight, const float *inp, const float *dOut);
/// oneDNN's version, the ISA it dispatches to, and the implementation of its first primitive.
const char *nv_dnnl_describe(void);
/// A chain of convolutions each followed by LeakyReLU(slope), run for inference with the
/// activations in oneDNN's own layout, the weights reordered once (fp32 or, with bf16, bfloat16
/// products accumulated in fp32). NULL where oneDNN cannot build it.
typedef struct nv_dnnl_chain nv_dnnl_chain;
nv_dnnl_chain *nv_dnnl_chain_create(int layers, const nv_conv_spec *specs, const float *const *weights,
                                    const float *const *biases, float slope, int bf16);
/// input: the first layer's plain NCHW input; output: the last layer's activated plain NCHW output. 0 or -1.
int nv_dnnl_chain_run(nv_dnnl_chain *chain, const float *input, float *output);
void nv_dnnl_chain_destroy(nv_dnnl_chain *chain);

// ---------------------------------------------------------------- GIF (giflib)

/// Encodes an animated GIF that loops forever: `frames` images of width x height palette indices
/// (frame-major, row-major), one palette of `colors` RGB triples (at most 256), `delay_cs`
/// hundredths of a second per frame. Returns 0 with the bytes in *out (free with nv_free), or -1
/// with a message in err.
int nv_gif_encode(const unsigned char *indices, int width, int height, int frames, const unsigned char *palette,
                  int colors, int delay_cs, unsigned char **out, size_t *out_count, char *err, int errlen);

/// Decodes a GIF with giflib: its size, frame count, whether it loops (NETSCAPE2.0), the first
/// frame's delay and its first pixel's colour. Returns 0, or -1 with a message (for tests and checks).
int nv_gif_read_info(const char *path, int *width, int *height, int *frames, int *loops, int *first_delay_cs,
                     unsigned char *first_pixel_rgb, char *err, int errlen);

// ---------------------------------------------------------------- PNG (libpng)
typedef struct {
    int width, height;
    int bit_depth;      // as stored in the file: 1, 2, 4, 8 or 16
    int color_type;     // PNG_COLOR_TYPE_*: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
    int interlaced;     // 1 for Adam7
    int has_alpha;      // alpha channel or tRNS chunk present
} nv_png_info;

/// Decodes any PNG into float RGBA in [0,1] (row-major, 4 floats per pixel, 16-bit kept at full
/// precision). Refuses images above max_pixels before allocating. On success returns 0 and
/// *rgba (free with nv_free); on failure returns nonzero and writes a message into err.
int nv_png_read(const char *path, long long max_pixels, float **rgba, nv_png_info *info,
                char *err, int errlen);
/// Decodes like nv_png_read into the caller's buffer of `capacity` floats (at least 4 w h, from the
/// header), so no second full-size copy is made.
int nv_png_read_into(const char *path, long long max_pixels, float *rgba, long long capacity,
                     nv_png_info *info, char *err, int errlen);
/// Reads only the header (IHDR) of a PNG.
int nv_png_read_info(const char *path, nv_png_info *info, char *err, int errlen);
/// Writes 8-bit (gray 1, RGB 3, RGBA 4 channels; pixels are uint8) or 16-bit gray
/// (channels 1, bit_depth 16; pixels are native-endian uint16). Returns 0 on success.
/// Encodes 8-bit pixels (channels 1, 3 or 4) as a PNG in memory: *out (free with nv_free) of *length bytes.
int nv_png_encode(const void *pixels, int width, int height, int channels, unsigned char **out, size_t *length,
                  char *err, int errlen);
int nv_png_write(const char *path, const void *pixels, int width, int height, int channels,
                 int bit_depth, char *err, int errlen);
void nv_free(void *p);

// ---------------------------------------------------------------- Small dense linear algebra (Eigen)
/// Rodrigues: R(3x3, row-major) = exp([w]x). dR_dw (27 = 9 entries x 3, row-major (9,3)) may be NULL.
void nv_axis_angle_to_matrix(const double *w, double *R, double *dR_dw);
/// Inverse of the above, |w| in [0, pi].
void nv_matrix_to_axis_angle(const double *R, double *w);
/// Camera-to-world 4x4 (row-major) in OpenCV axes (+x right, +y down, +z forward) for a camera
/// at eye looking at target with the given world up. Returns nonzero if eye == target or up is
/// parallel to the viewing direction.
int nv_look_at(const double *eye, const double *target, const double *up, double *c2w);
/// Symmetric eigendecomposition of A (n x n, row-major). Eigenvalues ascending; eigenvectors are
/// the columns of evecs (row-major n x n). Returns nonzero on failure.
int nv_sym_eigen(int n, const double *A, double *evals, double *evecs);

// Temporary files of unfinished writes, removed by a SIGINT/SIGTERM/SIGHUP handler before the
// signal ends the process (interrupt_cleanup.c). register returns a slot (-1: not tracked).
int nv_temp_register(const char *path);
void nv_temp_unregister(int slot);
void nv_temp_install_handlers(void);

// Open MPI, opened with dlopen only in a process mpirun started (mpi_bridge.c): nerfinv builds and
// runs without it. Collectives run in place on MPI_COMM_WORLD; 0 is success. Without MPI a
// process is rank 0 of 1 and the collectives return at once.
/// Whether mpirun started this process (OMPI_COMM_WORLD_SIZE is set).
int nv_mpi_launched(void);
/// Opens libmpi.so.40 and initialises MPI (MPI_THREAD_FUNNELED); on failure a reason in error.
int nv_mpi_init(char *error, size_t capacity);
int nv_mpi_rank(void);
int nv_mpi_size(void);
int nv_mpi_allreduce_sum_float(float *buffer, long count);
int nv_mpi_allreduce_max_double(double *buffer, long count);
int nv_mpi_barrier(void);
/// Ends every rank of the job (MPI_Abort).
void nv_mpi_abort(int code);
int nv_mpi_finalize(void);

#ifdef __cplusplus
}
#endif
#endif
