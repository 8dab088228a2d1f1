// Open MPI, loaded at run time. nerfinv is built and runs without Open MPI: only a process that
// mpirun started (OMPI_COMM_WORLD_SIZE in its environment) opens libmpi.so.40 and looks up the
// handful of functions and predefined handles data-parallel training needs. Open MPI's handles
// (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are the addresses of exported objects, which is what
// lets dlsym stand in for mpi.h; MPICH's are integers, so this bridge is Open MPI's alone.
#include "CShims.h"
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*nv_init_thread_fn)(int *, char ***, int, int *);
typedef int (*nv_comm_int_fn)(void *, int *);
typedef int (*nv_allreduce_fn)(const void *, void *, int, void *, void *, void *);
typedef int (*nv_comm_fn)(void *);
typedef int (*nv_abort_fn)(void *, int);
typedef int (*nv_void_fn)(void);

static struct {
    void *lib;
    nv_allreduce_fn allreduce;
    nv_comm_fn barrier;
    nv_abort_fn abort_;
    nv_void_fn finalize;
    void *comm_world, *type_float, *type_double, *op_sum, *op_max;
    int rank, size;
} nv_mpi;

// Open MPI's MPI_IN_PLACE and MPI_THREAD_FUNNELED (mpi.h of 4.x).
#define NV_MPI_IN_PLACE ((void *)1)
#define NV_MPI_THREAD_FUNNELED 1

int nv_mpi_launched(void) {
    const char *size = getenv("OMPI_COMM_WORLD_SIZE");
    return size != NULL && atoi(size) >= 1;
}

static int nv_mpi_fail(char *error, size_t capacity, const char *what) {
    snprintf(error, capacity, "%s", what);
    return -1;
}

int nv_mpi_init(char *error, size_t capacity) {
    if (nv_mpi.lib) return 0;
    void *lib = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
        char message[512];
        snprintf(message, sizeof message, "cannot load Open MPI's libmpi.so.40 (%s): install openmpi-bin", dlerror());
        return nv_mpi_fail(error, capacity, message);
    }
    nv_init_thread_fn init_thread = (nv_init_thread_fn)dlsym(lib, "MPI_Init_thread");
    nv_comm_int_fn comm_rank = (nv_comm_int_fn)dlsym(lib, "MPI_Comm_rank");
    nv_comm_int_fn comm_size = (nv_comm_int_fn)dlsym(lib, "MPI_Comm_size");
    nv_mpi.allreduce = (nv_allreduce_fn)dlsym(lib, "MPI_Allreduce");
    nv_mpi.barrier = (nv_comm_fn)dlsym(lib, "MPI_Barrier");
    nv_mpi.abort_ = (nv_abort_fn)dlsym(lib, "MPI_Abort");
    nv_mpi.finalize = (nv_void_fn)dlsym(lib, "MPI_Finalize");
    nv_mpi.comm_world = dlsym(lib, "ompi_mpi_comm_world");
    nv_mpi.type_float = dlsym(lib, "ompi_mpi_float");
    nv_mpi.type_double = dlsym(lib, "ompi_mpi_double");
    nv_mpi.op_sum = dlsym(lib, "ompi_mpi_op_sum");
    nv_mpi.op_max = dlsym(lib, "ompi_mpi_op_max");
    if (!init_thread || !comm_rank || !comm_size || !nv_mpi.allreduce || !nv_mpi.barrier || !nv_mpi.abort_ ||
        !nv_mpi.finalize || !nv_mpi.comm_world || !nv_mpi.type_float || !nv_mpi.type_double || !nv_mpi.op_sum ||
        !nv_mpi.op_max) {
        dlclose(lib);
        return nv_mpi_fail(error, capacity, "libmpi.so.40 lacks Open MPI's functions or handles: is it Open MPI 4?");
    }
    int provided = 0;
    if (init_thread(NULL, NULL, NV_MPI_THREAD_FUNNELED, &provided) != 0)
        return nv_mpi_fail(error, capacity, "MPI_Init_thread failed");
    if (comm_rank(nv_mpi.comm_world, &nv_mpi.rank) != 0 || comm_size(nv_mpi.comm_world, &nv_mpi.size) != 0)
        return nv_mpi_fail(error, capacity, "MPI_Comm_rank or MPI_Comm_size failed");
    nv_mpi.lib = lib;
    return 0;
}

int nv_mpi_rank(void) { return nv_mpi.lib ? nv_mpi.rank : 0; }
int nv_mpi_size(void) { return nv_mpi.lib ? nv_mpi.size : 1; }

// MPI counts are ints: long buffers go in chunks.
static int nv_mpi_allreduce(void *buffer, long count, size_t width, void *type, void *op) {
    if (!nv_mpi.lib) return 0;
    char *p = (char *)buffer;
    while (count > 0) {
        int n = count > INT_MAX ? INT_MAX : (int)count;
        if (nv_mpi.allreduce(NV_MPI_IN_PLACE, p, n, type, op, nv_mpi.comm_world) != 0) return -1;
        p += (size_t)n * width;
        count -= n;
    }
    return 0;
}

int nv_mpi_allreduce_sum_float(float *buffer, long count) {
    return nv_mpi_allreduce(buffer, count, sizeof(float), nv_mpi.type_float, nv_mpi.op_sum);
}

int nv_mpi_allreduce_max_double(double *buffer, long count) {
    return nv_mpi_allreduce(buffer, count, sizeof(double), nv_mpi.type_double, nv_mpi.op_max);
}

int nv_mpi_barrier(void) { return nv_mpi.lib ? nv_mpi.barrier(nv_mpi.comm_world) : 0; }

void nv_mpi_abort(int code) {
    if (nv_mpi.lib) nv_mpi.abort_(nv_mpi.comm_world, code);
}

int nv_mpi_finalize(void) {
    if (!nv_mpi.lib) return 0;
    int rc = nv_mpi.finalize();
    return rc;
}
