#include "CShims.h"
#include <zlib.h>

uint32_t nv_crc32(uint32_t crc, const void *bytes, size_t count) {
    // zlib takes uInt lengths: feed large buffers in pieces.
    const unsigned char *p = (const unsigned char *)bytes;
    uLong c = crc;
    while (count > 0) {
        uInt n = count > 0x40000000u ? 0x40000000u : (uInt)count;
        c = crc32(c, p, n);
        p += n;
        count -= n;
    }
    return (uint32_t)c;
}
