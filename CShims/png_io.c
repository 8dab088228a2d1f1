#define _POSIX_C_SOURCE 200809L
// libpng behind setjmp/longjmp: every libpng error becomes a return code plus a message.
#include "CShims.h"
#include <png.h>
#include <errno.h>
#include <sys/stat.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Ancillary chunks (text, ICC profiles) above this size are refused: no real photo needs more,
// and it keeps a hostile file from making libpng allocate without bound.
#define NV_PNG_CHUNK_MALLOC_MAX (16 * 1024 * 1024)
// Per-side limit handed to libpng; the pixel-count limit is checked separately by the caller.
#define NV_PNG_MAX_SIDE 1000000

typedef struct {
    jmp_buf jump;
    char *err;
    int errlen;
} nv_png_ctx;

static void nv_png_error_fn(png_structp png, png_const_charp msg) {
    nv_png_ctx *ctx = (nv_png_ctx *)png_get_error_ptr(png);
    if (ctx->err && ctx->errlen > 0) snprintf(ctx->err, (size_t)ctx->errlen, "libpng: %s", msg);
    longjmp(ctx->jump, 1);
}

static void nv_png_warning_fn(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static void set_err(char *err, int errlen, const char *msg) {
    if (err && errlen > 0) snprintf(err, (size_t)errlen, "%s", msg);
}

void nv_free(void *p) { free(p); }

// Opens the file and checks the signature; returns NULL with a message on failure.
static FILE *open_png(const char *path, char *err, int errlen) {
    // A FIFO would block fopen or fread forever, a folder reads as empty: refuse anything that is
    // not a regular file before opening it.
    struct stat st;
    if (stat(path, &st) != 0) { set_err(err, errlen, strerror(errno)); return NULL; }
    if (S_ISDIR(st.st_mode)) { set_err(err, errlen, "is a folder, not a PNG file"); return NULL; }
    if (!S_ISREG(st.st_mode)) {
        set_err(err, errlen, "is not a regular file (a FIFO, socket or device), not a PNG file");
        return NULL;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) { set_err(err, errlen, strerror(errno)); return NULL; }
    unsigned char sig[8];
    size_t n = fread(sig, 1, 8, fp);
    if (n == 0) { fclose(fp); set_err(err, errlen, "the file is empty"); return NULL; }
    if (n < 8 || png_sig_cmp(sig, 0, 8) != 0) {
        if (n >= 3 && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF)
            set_err(err, errlen, "the file is a JPEG, not a PNG (convert it to PNG first)");
        else if (n >= 2 && sig[0] == 'G' && sig[1] == 'I')
            set_err(err, errlen, "the file looks like a GIF, not a PNG");
        else
            set_err(err, errlen, "not a PNG file (bad signature)");
        fclose(fp);
        return NULL;
    }
    return fp;
}

static void fill_info(png_structp png, png_infop info, nv_png_info *out) {
    out->width = (int)png_get_image_width(png, info);
    out->height = (int)png_get_image_height(png, info);
    out->bit_depth = png_get_bit_depth(png, info);
    out->color_type = png_get_color_type(png, info);
    out->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    out->has_alpha = (out->color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);
}

// count samples (8- or 16-bit, as decoded) to floats in [0, 1].
static void convert_row(const unsigned char *src, float *dst, size_t count, int sixteen) {
    if (sixteen) {
        const uint16_t *s16 = (const uint16_t *)src;
        for (size_t i = 0; i < count; i++) dst[i] = (float)s16[i] / 65535.0f;
    } else {
        for (size_t i = 0; i < count; i++) dst[i] = (float)src[i] / 255.0f;
    }
}

// Decodes the file into `into` (capacity floats, the caller's) or a buffer it allocates into *rgba,
// or with neither only its header. Non-interlaced images are converted a row at a time, so the
// decode needs the float image plus one row, not a second full-size copy.
static int read_png(const char *path, long long max_pixels, float **rgba, float *into, long long capacity,
                    nv_png_info *out, char *err, int errlen) {
    if (rgba) *rgba = NULL;
    FILE *fp = open_png(path, err, errlen);
    if (!fp) return 1;
    nv_png_ctx ctx = {.err = err, .errlen = errlen};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, nv_png_error_fn, nv_png_warning_fn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        if (png) png_destroy_read_struct(&png, NULL, NULL);
        fclose(fp); set_err(err, errlen, "out of memory"); return 1;
    }
    // Buffers allocated after setjmp must be volatile so the error path sees their current value.
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    float *volatile result = NULL;
    if (setjmp(ctx.jump)) {
        free(pixels); free(rows); free(result);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return 1;
    }
    png_set_user_limits(png, NV_PNG_MAX_SIDE, NV_PNG_MAX_SIDE);
    png_set_chunk_malloc_max(png, NV_PNG_CHUNK_MALLOC_MAX);
    png_init_io(png, fp);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    fill_info(png, info, out);
    if (!rgba && !into) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return 0;
    }
    long long w = out->width, h = out->height;
    if (w <= 0 || h <= 0) png_error(png, "image has zero width or height");
    if (w * h > max_pixels) {
        char msg[200];
        snprintf(msg, sizeof msg, "image is %lldx%lld (%.1f megapixels), above the limit of %.1f megapixels",
                 w, h, (double)(w * h) / 1e6, (double)max_pixels / 1e6);
        set_err(err, errlen, msg);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return 1;
    }
    // Normalise every colour type to 4 channels at 8 or 16 bit.
    int ct = out->color_type;
    if (ct == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ct == PNG_COLOR_TYPE_GRAY && out->bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (ct == PNG_COLOR_TYPE_GRAY || ct == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    int sixteen = out->bit_depth == 16;
    if (!out->has_alpha) png_set_add_alpha(png, sixteen ? 0xFFFF : 0xFF, PNG_FILLER_AFTER);
    if (sixteen) png_set_swap(png);  // big-endian in the file, native uint16 in memory (little-endian hosts)
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t bytesPerSample = sixteen ? 2 : 1;
    size_t rowbytes = png_get_rowbytes(png, info);
    if (rowbytes != (size_t)w * 4 * bytesPerSample) png_error(png, "unexpected row layout after transforms");
    size_t n = (size_t)w * (size_t)h * 4;
    float *dst;
    if (into) {
        if ((long long)n > capacity) png_error(png, "the image changed while it was read");
        dst = into;
    } else {
        result = (float *)malloc(sizeof(float) * n);
        if (!result) png_error(png, "out of memory");
        dst = result;
    }
    if (out->interlaced) {
        // Adam7 passes revisit every row: the whole image is decoded first.
        pixels = (unsigned char *)malloc(rowbytes * (size_t)h);
        rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)h);
        if (!pixels || !rows) png_error(png, "out of memory");
        for (long long y = 0; y < h; y++) rows[y] = pixels + (size_t)y * rowbytes;
        png_read_image(png, rows);
        convert_row(pixels, dst, n, sixteen);
    } else {
        pixels = (unsigned char *)malloc(rowbytes);
        if (!pixels) png_error(png, "out of memory");
        for (long long y = 0; y < h; y++) {
            png_read_row(png, pixels, NULL);
            convert_row(pixels, dst + (size_t)y * (size_t)w * 4, (size_t)w * 4, sixteen);
        }
    }
    png_read_end(png, NULL);
    free(pixels); free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    if (rgba) *rgba = result;
    return 0;
}

int nv_png_read(const char *path, long long max_pixels, float **rgba, nv_png_info *out, char *err, int errlen) {
    return read_png(path, max_pixels, rgba, NULL, 0, out, err, errlen);
}

int nv_png_read_into(const char *path, long long max_pixels, float *rgba, long long capacity, nv_png_info *out,
                     char *err, int errlen) {
    return read_png(path, max_pixels, NULL, rgba, capacity, out, err, errlen);
}

int nv_png_read_info(const char *path, nv_png_info *out, char *err, int errlen) {
    return read_png(path, 0, NULL, NULL, 0, out, err, errlen);
}

// Writes the image to an open stream; closes nothing.
static int png_write_stream(FILE *fp, const void *data, int width, int height, int channels, int bit_depth,
                            int level, char *err, int errlen) {
    int colorType;
    if (bit_depth == 8 && channels == 1) colorType = PNG_COLOR_TYPE_GRAY;
    else if (bit_depth == 8 && channels == 3) colorType = PNG_COLOR_TYPE_RGB;
    else if (bit_depth == 8 && channels == 4) colorType = PNG_COLOR_TYPE_RGBA;
    else if (bit_depth == 16 && channels == 1) colorType = PNG_COLOR_TYPE_GRAY;
    else { set_err(err, errlen, "unsupported channels/bit depth for writing"); return 1; }
    if (width <= 0 || height <= 0) { set_err(err, errlen, "image has zero width or height"); return 1; }
    nv_png_ctx ctx = {.err = err, .errlen = errlen};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, nv_png_error_fn, nv_png_warning_fn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        if (png) png_destroy_write_struct(&png, NULL);
        set_err(err, errlen, "out of memory"); return 1;
    }
    png_bytep *volatile rows = NULL;
    if (setjmp(ctx.jump)) {
        free(rows);
        png_destroy_write_struct(&png, &info);
        return 1;
    }
    png_init_io(png, fp);
    if (level >= 0) png_set_compression_level(png, level);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bit_depth, colorType,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (bit_depth == 16) png_set_swap(png);
    size_t rowbytes = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
    if (!rows) png_error(png, "out of memory");
    for (int y = 0; y < height; y++) rows[y] = (png_bytep)data + (size_t)y * rowbytes;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    free(rows);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int nv_png_write(const char *path, const void *data, int width, int height, int channels,
                 int bit_depth, char *err, int errlen) {
    FILE *fp = fopen(path, "wb");
    if (!fp) { set_err(err, errlen, strerror(errno)); return 1; }
    int rc = png_write_stream(fp, data, width, height, channels, bit_depth, -1, err, errlen);
    if (fclose(fp) != 0 && rc == 0) { set_err(err, errlen, strerror(errno)); return 1; }
    return rc;
}

int nv_png_encode(const void *data, int width, int height, int channels, unsigned char **out, size_t *length,
                  char *err, int errlen) {
    char *buffer = NULL;
    size_t size = 0;
    FILE *fp = open_memstream(&buffer, &size);
    if (!fp) { set_err(err, errlen, strerror(errno)); return 1; }
    // Frames for a live view: the fastest zlib level (they live for one frame on localhost).
    int rc = png_write_stream(fp, data, width, height, channels, 8, 1, err, errlen);
    fclose(fp);
    if (rc != 0) { free(buffer); return rc; }
    *out = (unsigned char *)buffer;
    *length = size;
    return 0;
}
