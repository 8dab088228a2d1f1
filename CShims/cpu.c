// CPUID/XGETBV feature query, used to choose OpenBLAS's kernel when it falls back to a generic one.
#include "CShims.h"
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static unsigned long long xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif

void nv_cpu_query(nv_cpu_features *f) {
    memset(f, 0, sizeof(*f));
#if defined(__x86_64__) || defined(__i386__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;
    unsigned int maxLeaf = a;
    memcpy(f->vendor, &b, 4); memcpy(f->vendor + 4, &d, 4); memcpy(f->vendor + 8, &c, 4);
    f->vendor[12] = 0;
    __get_cpuid(1, &a, &b, &c, &d);
    f->sse3 = (c >> 0) & 1;
    f->fma = (c >> 12) & 1;
    f->avx = (c >> 28) & 1;
    int osxsave = (c >> 27) & 1;
    if (osxsave) {
        unsigned long long xcr0 = xgetbv0();
        f->os_saves_ymm = (xcr0 & 0x6) == 0x6;
        f->os_saves_zmm = (xcr0 & 0xE6) == 0xE6;
    }
    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        f->avx2 = (b >> 5) & 1;
        f->avx512f = (b >> 16) & 1;
        f->avx512dq = (b >> 17) & 1;
        f->avx512cd = (b >> 28) & 1;
        f->avx512bw = (b >> 30) & 1;
        f->avx512vl = (b >> 31) & 1;
        __cpuid_count(7, 1, a, b, c, d);
        f->avx512bf16 = (a >> 5) & 1;
    }
#endif
}

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif
// Flush-to-zero and denormals-are-zero for this thread's SSE/AVX arithmetic (MXCSR bits 15 and 6).
int nv_flush_denormals(int on) {
#if defined(__x86_64__)
    unsigned int old = _mm_getcsr();
    _mm_setcsr(on ? (old | 0x8040) : (old & ~0x8040u));
    return (old & 0x8040) == 0x8040;
#else
    (void)on;
    return 0;
#endif
}
