// Animated GIFs through giflib: one palette for the whole animation, looping forever.
#include "CShims.h"
#include <fcntl.h>
#include <stdlib.h>
#include <gif_lib.h>
#include <stdbool.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

static int gif_fail(GifFileType *gif, ColorMapObject *map, int code, char *err, int errlen) {
    if (err && errlen > 0) snprintf(err, (size_t)errlen, "giflib: %s", GifErrorString(code));
    int ignored = 0;
    if (gif) EGifCloseFile(gif, &ignored);
    if (map) GifFreeMapObject(map);
    return -1;
}

/// A growing byte buffer giflib writes into (EGifOpen's output function).
typedef struct {
    unsigned char *bytes;
    size_t count, capacity;
    int failed;
} gif_buffer;

static int gif_append(GifFileType *gif, const GifByteType *data, int length) {
    gif_buffer *b = (gif_buffer *)gif->UserData;
    if (length <= 0) return length;
    if (b->count + (size_t)length > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 65536;
        while (capacity < b->count + (size_t)length) capacity *= 2;
        unsigned char *grown = realloc(b->bytes, capacity);
        if (!grown) {
            b->failed = 1;
            return 0;
        }
        b->bytes = grown;
        b->capacity = capacity;
    }
    memcpy(b->bytes + b->count, data, (size_t)length);
    b->count += (size_t)length;
    return length;
}

int nv_gif_encode(const unsigned char *indices, int width, int height, int frames, const unsigned char *palette,
                  int colors, int delay_cs, unsigned char **out, size_t *out_count, char *err, int errlen) {
    *out = NULL;
    *out_count = 0;
    if (width < 1 || height < 1 || width > 65535 || height > 65535 || frames < 1 || colors < 1 ||
        colors > 256) {
        if (err && errlen > 0) snprintf(err, (size_t)errlen, "invalid GIF size, frame count or palette");
        return -1;
    }
    int error = 0;
    gif_buffer buffer = {NULL, 0, 0, 0};
    GifFileType *gif = EGifOpen(&buffer, gif_append, &error);
    if (!gif) return gif_fail(NULL, NULL, error, err, errlen);
    // A GIF palette has a power-of-two size; unused entries stay black.
    int size = 2;
    while (size < colors) size *= 2;
    ColorMapObject *map = GifMakeMapObject(size, NULL);
    if (!map) {
        free(buffer.bytes);
        return gif_fail(gif, NULL, E_GIF_ERR_NOT_ENOUGH_MEM, err, errlen);
    }
    for (int i = 0; i < colors; i++) {
        map->Colors[i].Red = palette[3 * i];
        map->Colors[i].Green = palette[3 * i + 1];
        map->Colors[i].Blue = palette[3 * i + 2];
    }
    EGifSetGifVersion(gif, true);
    int ok = EGifPutScreenDesc(gif, width, height, 8, 0, map) != GIF_ERROR;
    // NETSCAPE2.0 application extension: loop count 0 = forever.
    unsigned char loop[3] = {1, 0, 0};
    ok = ok && EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) != GIF_ERROR &&
         EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") != GIF_ERROR && EGifPutExtensionBlock(gif, 3, loop) != GIF_ERROR &&
         EGifPutExtensionTrailer(gif) != GIF_ERROR;
    for (int f = 0; ok && f < frames; f++) {
        GraphicsControlBlock gcb;
        memset(&gcb, 0, sizeof gcb);
        gcb.DisposalMode = DISPOSE_DO_NOT;
        gcb.DelayTime = delay_cs;
        gcb.TransparentColor = NO_TRANSPARENT_COLOR;
        GifByteType ext[4];
        size_t len = EGifGCBToExtension(&gcb, ext);
        ok = EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, (int)len, ext) != GIF_ERROR &&
             EGifPutImageDesc(gif, 0, 0, width, height, false, NULL) != GIF_ERROR;
        for (int y = 0; ok && y < height; y++) {
            GifPixelType *row = (GifPixelType *)(indices + ((size_t)f * height + y) * width);
            ok = EGifPutLine(gif, row, width) != GIF_ERROR;
        }
    }
    if (!ok) {
        int code = buffer.failed ? E_GIF_ERR_NOT_ENOUGH_MEM : gif->Error;
        free(buffer.bytes);
        return gif_fail(gif, map, code, err, errlen);
    }
    if (EGifCloseFile(gif, &error) == GIF_ERROR || buffer.failed) {
        GifFreeMapObject(map);
        free(buffer.bytes);
        if (err && errlen > 0)
            snprintf(err, (size_t)errlen, "giflib: %s",
                     GifErrorString(buffer.failed ? E_GIF_ERR_NOT_ENOUGH_MEM : error));
        return -1;
    }
    GifFreeMapObject(map);
    *out = buffer.bytes;
    *out_count = buffer.count;
    return 0;
}

int nv_gif_read_info(const char *path, int *width, int *height, int *frames, int *loops, int *first_delay_cs,
                     unsigned char *first_pixel_rgb, char *err, int errlen) {
    int error = 0;
    GifFileType *gif = DGifOpenFileName(path, &error);
    if (!gif) {
        if (err && errlen > 0) snprintf(err, (size_t)errlen, "giflib: %s", GifErrorString(error));
        return -1;
    }
    if (DGifSlurp(gif) == GIF_ERROR) {
        if (err && errlen > 0) snprintf(err, (size_t)errlen, "giflib: %s", GifErrorString(gif->Error));
        DGifCloseFile(gif, &error);
        return -1;
    }
    *width = gif->SWidth;
    *height = gif->SHeight;
    *frames = gif->ImageCount;
    *loops = 0;
    // giflib files the extensions before an image with that image (the loop block precedes frame 0).
    int count = gif->ImageCount > 0 ? gif->SavedImages[0].ExtensionBlockCount : 0;
    for (int i = 0; i < count; i++) {
        ExtensionBlock *b = &gif->SavedImages[0].ExtensionBlocks[i];
        if (b->Function == APPLICATION_EXT_FUNC_CODE && b->ByteCount == 11 && memcmp(b->Bytes, "NETSCAPE2.0", 11) == 0)
            *loops = 1;
    }
    *first_delay_cs = -1;
    if (gif->ImageCount > 0) {
        GraphicsControlBlock gcb;
        if (DGifSavedExtensionToGCB(gif, 0, &gcb) == GIF_OK) *first_delay_cs = gcb.DelayTime;
        SavedImage *im = &gif->SavedImages[0];
        ColorMapObject *map = im->ImageDesc.ColorMap ? im->ImageDesc.ColorMap : gif->SColorMap;
        int index = im->RasterBits[0];
        first_pixel_rgb[0] = map->Colors[index].Red;
        first_pixel_rgb[1] = map->Colors[index].Green;
        first_pixel_rgb[2] = map->Colors[index].Blue;
    }
    DGifCloseFile(gif, &error);
    return 0;
}
