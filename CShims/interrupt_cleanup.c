// Temporary files removed when Ctrl-C or SIGTERM ends a command mid-write. The registry lives in
// static memory and the handler only reads it and calls unlink(2), both async-signal-safe: a
// handler may not allocate, lock or walk a Swift array.
#include "CShims.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define NV_TEMP_SLOTS 1024
#define NV_TEMP_PATH 1024

static char nv_temp_paths[NV_TEMP_SLOTS][NV_TEMP_PATH];
// 0 free, 1 being filled, 2 registered.
static volatile sig_atomic_t nv_temp_state[NV_TEMP_SLOTS];

int nv_temp_register(const char *path) {
    size_t n = strlen(path);
    if (n >= NV_TEMP_PATH) return -1;
    for (int i = 0; i < NV_TEMP_SLOTS; i++) {
        if (__sync_bool_compare_and_swap(&nv_temp_state[i], 0, 1)) {
            memcpy(nv_temp_paths[i], path, n + 1);
            __sync_synchronize();
            nv_temp_state[i] = 2;
            return i;
        }
    }
    return -1;
}

void nv_temp_unregister(int slot) {
    if (slot < 0 || slot >= NV_TEMP_SLOTS) return;
    __sync_synchronize();
    nv_temp_state[slot] = 0;
}

static void nv_temp_handler(int sig) {
    for (int i = 0; i < NV_TEMP_SLOTS; i++) {
        if (nv_temp_state[i] == 2) unlink(nv_temp_paths[i]);
    }
    // Then the signal's own ending (exit status 128 + sig, as the shell expects).
    signal(sig, SIG_DFL);
    raise(sig);
}

void nv_temp_install_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = nv_temp_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}
