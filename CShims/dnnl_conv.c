// oneDNN (de)convolutions on plain NCHW / OIHW float buffers: forward, backward to the input and
// backward to the weights. oneDNN picks its fastest layout (blocked, nChw16c on AVX-512); the
// plain buffers are reordered in and out. Primitives, reorders and their blocked buffers are built
// once per shape and kept (JIT compilation costs milliseconds; a refinement step runs in 20).
#include "CShims.h"
#include <oneapi/dnnl/dnnl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static dnnl_engine_t engine;
static dnnl_stream_t stream;
static int state;  // 0 not tried, 1 ready, -1 unavailable

static int ready(void) {
    if (state == 0) {
        state = -1;
        if (dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success &&
            dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) == dnnl_success)
            state = 1;
    }
    return state == 1;
}

int nv_dnnl_available(void) {
    pthread_mutex_lock(&lock);
    int ok = ready();
    pthread_mutex_unlock(&lock);
    return ok;
}

// oneDNN runs on OpenMP (libgomp, loaded with it); its thread count is OpenMP's, looked up at run
// time so that nothing links against libgomp's development files.
void nv_dnnl_set_threads(int n) {
    void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (set) set(n > 0 ? n : 1);
}

// One argument of a primitive: its plain (user) memory, and where the primitive wants another
// layout, a memory in that layout and the reorder between them.
typedef struct {
    int arg;
    dnnl_memory_t user, inner;
    dnnl_primitive_t reorder;  // user -> inner for inputs, inner -> user for outputs
    int output;
} slot;

typedef struct entry {
    nv_conv_spec spec;
    int kind;  // 0 forward, 1 backward data, 2 backward weights
    dnnl_primitive_t prim;
    slot slots[4];
    int count;
    struct entry *next;
} entry;

static entry *cache;
static void destroy_entry(entry *e);
static char impl[128];  // the implementation oneDNN chose for the first primitive built

static void plain_md(dnnl_memory_desc_t *md, int n, int c, int h, int w, int any) {
    dnnl_dims_t dims = {n, c, h, w};
    dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, any ? dnnl_format_tag_any : dnnl_nchw);
}

static int add_slot(entry *e, int arg, const dnnl_memory_desc_t *user_md, const dnnl_memory_desc_t *want, int output) {
    slot *s = &e->slots[e->count++];
    s->arg = arg;
    s->output = output;
    if (dnnl_memory_create(&s->user, user_md, engine, DNNL_MEMORY_NONE) != dnnl_success) return -1;
    if (dnnl_memory_desc_equal(user_md, want)) {
        s->inner = s->user;
        return 0;
    }
    if (dnnl_memory_create(&s->inner, want, engine, DNNL_MEMORY_ALLOCATE) != dnnl_success) return -1;
    dnnl_primitive_desc_t rpd;
    const dnnl_memory_desc_t *from = output ? want : user_md, *to = output ? user_md : want;
    if (dnnl_reorder_primitive_desc_create(&rpd, from, engine, to, engine, NULL) != dnnl_success) return -1;
    dnnl_status_t st = dnnl_primitive_create(&s->reorder, rpd);
    dnnl_primitive_desc_destroy(rpd);
    return st == dnnl_success ? 0 : -1;
}

static const dnnl_memory_desc_t *query(const_dnnl_primitive_desc_t pd, dnnl_query_t what) {
    return dnnl_primitive_desc_query_md(pd, what, 0);
}

static entry *build(const nv_conv_spec *sp, int kind) {
    int Ho = sp->Ho, Wo = sp->Wo;
    dnnl_memory_desc_t src, wei, dst, bias, usrc, uwei, udst;
    plain_md(&src, sp->B, sp->Ci, sp->H, sp->W, 1);
    plain_md(&wei, sp->Co, sp->Ci, sp->KH, sp->KW, 1);
    plain_md(&dst, sp->B, sp->Co, Ho, Wo, 1);
    plain_md(&usrc, sp->B, sp->Ci, sp->H, sp->W, 0);
    plain_md(&uwei, sp->Co, sp->Ci, sp->KH, sp->KW, 0);  // oihw has the nchw strides
    plain_md(&udst, sp->B, sp->Co, Ho, Wo, 0);
    dnnl_dims_t bdims = {sp->Co};
    dnnl_memory_desc_init_by_tag(&bias, 1, bdims, dnnl_f32, dnnl_a);
    dnnl_dims_t strides = {sp->SH, sp->SW}, pl = {sp->PT, sp->PL}, pr = {sp->PB, sp->PR};
    dnnl_alg_kind_t alg = sp->deconv ? dnnl_deconvolution_direct : dnnl_convolution_direct;
    // The forward descriptor: every backward primitive is created with the forward's as its hint.
    union {
        dnnl_convolution_desc_t c;
        dnnl_deconvolution_desc_t d;
    } fd, bd;
    dnnl_status_t st =
        sp->deconv ? dnnl_deconvolution_forward_desc_init(&fd.d, dnnl_forward_training, alg, &src, &wei, &bias, &dst,
                                                          strides, pl, pr)
                   : dnnl_convolution_forward_desc_init(&fd.c, dnnl_forward_training, alg, &src, &wei, &bias, &dst,
                                                        strides, pl, pr);
    if (st != dnnl_success) return NULL;
    dnnl_primitive_desc_t fpd, pd = NULL;
    if (dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL) != dnnl_success) return NULL;
    if (kind == 0) {
        pd = fpd;
    } else {
        if (kind == 1)
            st = sp->deconv ? dnnl_deconvolution_backward_data_desc_init(&bd.d, alg, &src, &wei, &dst, strides, pl, pr)
                            : dnnl_convolution_backward_data_desc_init(&bd.c, alg, &src, &wei, &dst, strides, pl, pr);
        else
            st = sp->deconv ? dnnl_deconvolution_backward_weights_desc_init(&bd.d, alg, &src, &wei, NULL, &dst, strides,
                                                                            pl, pr)
                            : dnnl_convolution_backward_weights_desc_init(&bd.c, alg, &src, &wei, NULL, &dst, strides,
                                                                          pl, pr);
        if (st == dnnl_success) st = dnnl_primitive_desc_create(&pd, &bd, NULL, engine, fpd);
        dnnl_primitive_desc_destroy(fpd);
        if (st != dnnl_success) return NULL;
    }
    entry *e = calloc(1, sizeof(entry));
    e->spec = *sp;
    e->kind = kind;
    int bad = dnnl_primitive_create(&e->prim, pd) != dnnl_success;
    if (!bad && kind == 0) {
        bad |= add_slot(e, DNNL_ARG_SRC, &usrc, query(pd, dnnl_query_src_md), 0);
        bad |= add_slot(e, DNNL_ARG_WEIGHTS, &uwei, query(pd, dnnl_query_weights_md), 0);
        bad |= add_slot(e, DNNL_ARG_BIAS, &bias, &bias, 0);
        bad |= add_slot(e, DNNL_ARG_DST, &udst, query(pd, dnnl_query_dst_md), 1);
    } else if (!bad && kind == 1) {
        bad |= add_slot(e, DNNL_ARG_DIFF_DST, &udst, query(pd, dnnl_query_diff_dst_md), 0);
        bad |= add_slot(e, DNNL_ARG_WEIGHTS, &uwei, query(pd, dnnl_query_weights_md), 0);
        bad |= add_slot(e, DNNL_ARG_DIFF_SRC, &usrc, query(pd, dnnl_query_diff_src_md), 1);
    } else if (!bad) {
        bad |= add_slot(e, DNNL_ARG_SRC, &usrc, query(pd, dnnl_query_src_md), 0);
        bad |= add_slot(e, DNNL_ARG_DIFF_DST, &udst, query(pd, dnnl_query_diff_dst_md), 0);
        bad |= add_slot(e, DNNL_ARG_DIFF_WEIGHTS, &uwei, query(pd, dnnl_query_diff_weights_md), 1);
    }
    if (!bad && impl[0] == 0) {
        const char *info = NULL;
        if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info) == dnnl_success && info)
            snprintf(impl, sizeof impl, "%s", info);
    }
    dnnl_primitive_desc_destroy(pd);
    if (bad) {
        destroy_entry(e);
        return NULL;
    }
    e->next = cache;
    cache = e;
    return e;
}

// Entries kept at most: each holds JIT code and blocked buffers, and shapes come from the caller
// (a long-running viewer could meet many); past this the least recently built one goes.
enum { max_entries = 64 };

static void destroy_entry(entry *e) {
    if (e->prim) dnnl_primitive_destroy(e->prim);
    for (int i = 0; i < e->count; i++) {
        slot *s = &e->slots[i];
        if (s->reorder) dnnl_primitive_destroy(s->reorder);
        if (s->inner && s->inner != s->user) dnnl_memory_destroy(s->inner);
        if (s->user) dnnl_memory_destroy(s->user);
    }
    free(e);
}

static entry *find(const nv_conv_spec *sp, int kind) {
    int n = 0;
    for (entry *e = cache; e; e = e->next, n++) {
        if (e->kind == kind && memcmp(&e->spec, sp, sizeof(*sp)) == 0) return e;
        if (n + 1 >= max_entries && e->next) {  // drop the oldest (the list is newest first)
            destroy_entry(e->next);
            e->next = NULL;
        }
    }
    return build(sp, kind);
}

// Runs primitive `kind` with the plain buffers in argument order of its slots.
static int run(const nv_conv_spec *sp, int kind, void *const *buffers) {
    pthread_mutex_lock(&lock);
    entry *e = ready() ? find(sp, kind) : NULL;
    if (!e) {
        pthread_mutex_unlock(&lock);
        return -1;
    }
    dnnl_exec_arg_t args[4];
    for (int i = 0; i < e->count; i++) {
        slot *s = &e->slots[i];
        dnnl_memory_set_data_handle(s->user, buffers[i]);
        if (s->reorder && !s->output) {
            dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, s->user}, {DNNL_ARG_TO, s->inner}};
            dnnl_primitive_execute(s->reorder, stream, 2, r);
        }
        args[i].arg = s->arg;
        args[i].memory = s->inner;
    }
    dnnl_status_t st = dnnl_primitive_execute(e->prim, stream, e->count, args);
    for (int i = 0; i < e->count; i++) {
        slot *s = &e->slots[i];
        if (s->reorder && s->output) {
            dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, s->inner}, {DNNL_ARG_TO, s->user}};
            dnnl_primitive_execute(s->reorder, stream, 2, r);
        }
    }
    dnnl_stream_wait(stream);
    pthread_mutex_unlock(&lock);
    return st == dnnl_success ? 0 : -1;
}

int nv_dnnl_conv_forward(const nv_conv_spec *sp, float *out, const float *inp, const float *weight,
                         const float *bias) {
    void *b[4] = {(void *)inp, (void *)weight, (void *)bias, out};
    return run(sp, 0, b);
}

int nv_dnnl_conv_backward_data(const nv_conv_spec *sp, float *dInp, const float *dOut, const float *weight) {
    void *b[3] = {(void *)dOut, (void *)weight, dInp};
    return run(sp, 1, b);
}

int nv_dnnl_conv_backward_weights(const nv_conv_spec *sp, float *dWeight, const float *inp, const float *dOut) {
    void *b[3] = {(void *)inp, (void *)dOut, dWeight};
    return run(sp, 2, b);
}

// "2.6.0, ISA avx512_core_bf16, first primitive jit:avx512_core": what bench reports.
const char *nv_dnnl_describe(void) {
    static char text[256];
    const dnnl_version_t *v = dnnl_version();
    const char *isa = "unknown";
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_avx512_core_amx: isa = "avx512_core_amx"; break;
    case dnnl_cpu_isa_avx512_core_bf16: isa = "avx512_core_bf16"; break;
    case dnnl_cpu_isa_avx512_core_vnni: isa = "avx512_core_vnni"; break;
    case dnnl_cpu_isa_avx512_core: isa = "avx512_core"; break;
    case dnnl_cpu_isa_avx2_vnni: isa = "avx2_vnni"; break;
    case dnnl_cpu_isa_avx2: isa = "avx2"; break;
    case dnnl_cpu_isa_sse41: isa = "sse41"; break;
    default: break;
    }
    pthread_mutex_lock(&lock);
    snprintf(text, sizeof text, "%d.%d.%d, ISA %s%s%s", v->major, v->minor, v->patch, isa,
             impl[0] ? ", convolutions " : "", impl);
    pthread_mutex_unlock(&lock);
    return text;
}

// ---------------------------------------------------------------- inference chains

// A chain of convolutions, each followed by a LeakyReLU fused into it (oneDNN's eltwise post-op),
// whose activations stay in oneDNN's layout from the first layer to the last: the plain input is
// reordered in once, the last output out once, and the weights were reordered when the chain was
// built (its owner rebuilds it when they change). In bf16 the products run on AVX-512 bf16 with
// fp32 accumulation; the input, biases and output stay fp32.
struct nv_dnnl_chain {
    int layers;
    dnnl_primitive_t *convs;
    dnnl_memory_t *weights, *biases, *acts;  // acts[l]: layer l's input (acts[layers]: the last output)
    dnnl_memory_t user_in, user_out;
    dnnl_primitive_t reorder_in, reorder_out;
};

void nv_dnnl_chain_destroy(nv_dnnl_chain *c) {
    if (!c) return;
    for (int l = 0; l < c->layers; l++) {
        if (c->convs[l]) dnnl_primitive_destroy(c->convs[l]);
        if (c->weights[l]) dnnl_memory_destroy(c->weights[l]);
        if (c->biases[l]) dnnl_memory_destroy(c->biases[l]);
    }
    for (int l = 0; l <= c->layers; l++)
        if (c->acts[l]) dnnl_memory_destroy(c->acts[l]);
    if (c->user_in) dnnl_memory_destroy(c->user_in);
    if (c->user_out) dnnl_memory_destroy(c->user_out);
    if (c->reorder_in) dnnl_primitive_destroy(c->reorder_in);
    if (c->reorder_out) dnnl_primitive_destroy(c->reorder_out);
    free(c->convs);
    free(c->weights);
    free(c->biases);
    free(c->acts);
    free(c);
}

// Reorders src (plain, caller's pointer) into a new memory of descriptor `md`, once.
static dnnl_memory_t copied(const dnnl_memory_desc_t *plain, const float *src, const dnnl_memory_desc_t *md) {
    dnnl_memory_t from, to;
    if (dnnl_memory_create(&from, plain, engine, (void *)src) != dnnl_success) return NULL;
    if (dnnl_memory_create(&to, md, engine, DNNL_MEMORY_ALLOCATE) != dnnl_success) {
        dnnl_memory_destroy(from);
        return NULL;
    }
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r = NULL;
    int ok = dnnl_reorder_primitive_desc_create(&rpd, plain, engine, md, engine, NULL) == dnnl_success;
    if (ok) {
        ok = dnnl_primitive_create(&r, rpd) == dnnl_success;
        dnnl_primitive_desc_destroy(rpd);
    }
    if (ok) {
        dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
        ok = dnnl_primitive_execute(r, stream, 2, a) == dnnl_success && dnnl_stream_wait(stream) == dnnl_success;
        dnnl_primitive_destroy(r);
    }
    dnnl_memory_destroy(from);
    if (!ok) {
        dnnl_memory_destroy(to);
        return NULL;
    }
    return to;
}

static dnnl_primitive_t reorder_between(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to) {
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r = NULL;
    if (dnnl_reorder_primitive_desc_create(&rpd, from, engine, to, engine, NULL) != dnnl_success) return NULL;
    if (dnnl_primitive_create(&r, rpd) != dnnl_success) r = NULL;
    dnnl_primitive_desc_destroy(rpd);
    return r;
}

nv_dnnl_chain *nv_dnnl_chain_create(int layers, const nv_conv_spec *specs, const float *const *weights,
                                    const float *const *biases, float slope, int bf16) {
    pthread_mutex_lock(&lock);
    nv_dnnl_chain *c = NULL;
    if (!ready() || layers < 1) goto done;
    c = calloc(1, sizeof(*c));
    c->layers = layers;
    c->convs = calloc(layers, sizeof(dnnl_primitive_t));
    c->weights = calloc(layers, sizeof(dnnl_memory_t));
    c->biases = calloc(layers, sizeof(dnnl_memory_t));
    c->acts = calloc(layers + 1, sizeof(dnnl_memory_t));
    dnnl_data_type_t ty = bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_memory_desc_t prev;  // the previous layer's output, in its chosen layout
    int bad = 0;
    for (int l = 0; l < layers && !bad; l++) {
        const nv_conv_spec *sp = &specs[l];
        dnnl_dims_t sd = {sp->B, sp->Ci, sp->H, sp->W}, wd = {sp->Co, sp->Ci, sp->KH, sp->KW},
                    dd = {sp->B, sp->Co, sp->Ho, sp->Wo}, bd = {sp->Co};
        dnnl_memory_desc_t src, wei, dst, bias, pwei, pbias;
        dnnl_memory_desc_init_by_tag(&src, 4, sd, ty, dnnl_format_tag_any);
        dnnl_memory_desc_init_by_tag(&wei, 4, wd, ty, dnnl_format_tag_any);
        dnnl_memory_desc_init_by_tag(&dst, 4, dd, ty, dnnl_format_tag_any);
        dnnl_memory_desc_init_by_tag(&bias, 1, bd, dnnl_f32, dnnl_a);
        dnnl_memory_desc_init_by_tag(&pwei, 4, wd, dnnl_f32, dnnl_oihw);
        dnnl_memory_desc_init_by_tag(&pbias, 1, bd, dnnl_f32, dnnl_a);
        if (l > 0) src = prev;
        dnnl_dims_t strides = {sp->SH, sp->SW}, pl = {sp->PT, sp->PL}, pr = {sp->PB, sp->PR};
        dnnl_convolution_desc_t cd;
        dnnl_primitive_attr_t attr = NULL;
        dnnl_post_ops_t ops = NULL;
        dnnl_primitive_desc_t pd = NULL;
        bad = dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &src, &wei,
                                                 &bias, &dst, strides, pl, pr) != dnnl_success;
        // LeakyReLU: oneDNN's eltwise "relu" takes the negative slope as alpha.
        bad = bad || dnnl_post_ops_create(&ops) != dnnl_success ||
              dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, slope, 0.0f) != dnnl_success ||
              dnnl_primitive_attr_create(&attr) != dnnl_success ||
              dnnl_primitive_attr_set_post_ops(attr, ops) != dnnl_success ||
              dnnl_primitive_desc_create(&pd, &cd, attr, engine, NULL) != dnnl_success;
        if (ops) dnnl_post_ops_destroy(ops);
        if (attr) dnnl_primitive_attr_destroy(attr);
        if (bad) break;
        bad = dnnl_primitive_create(&c->convs[l], pd) != dnnl_success;
        const dnnl_memory_desc_t *qsrc = query(pd, dnnl_query_src_md), *qdst = query(pd, dnnl_query_dst_md);
        if (!bad) c->weights[l] = copied(&pwei, weights[l], query(pd, dnnl_query_weights_md));
        if (!bad) c->biases[l] = copied(&pbias, biases[l], &bias);
        bad = bad || !c->weights[l] || !c->biases[l];
        if (!bad && l == 0) bad = dnnl_memory_create(&c->acts[0], qsrc, engine, DNNL_MEMORY_ALLOCATE) != dnnl_success;
        if (!bad) bad = dnnl_memory_create(&c->acts[l + 1], qdst, engine, DNNL_MEMORY_ALLOCATE) != dnnl_success;
        if (!bad && l == 0) {
            dnnl_memory_desc_t plain;
            dnnl_memory_desc_init_by_tag(&plain, 4, sd, dnnl_f32, dnnl_nchw);
            bad = dnnl_memory_create(&c->user_in, &plain, engine, DNNL_MEMORY_NONE) != dnnl_success ||
                  !(c->reorder_in = reorder_between(&plain, qsrc));
        }
        if (!bad && l == layers - 1) {
            dnnl_memory_desc_t plain;
            dnnl_memory_desc_init_by_tag(&plain, 4, dd, dnnl_f32, dnnl_nchw);
            bad = dnnl_memory_create(&c->user_out, &plain, engine, DNNL_MEMORY_NONE) != dnnl_success ||
                  !(c->reorder_out = reorder_between(qdst, &plain));
        }
        if (!bad) prev = *qdst;
        dnnl_primitive_desc_destroy(pd);
    }
    if (bad) {
        nv_dnnl_chain_destroy(c);
        c = NULL;
    }
done:
    pthread_mutex_unlock(&lock);
    return c;
}

int nv_dnnl_chain_run(nv_dnnl_chain *c, const float *input, float *output) {
    pthread_mutex_lock(&lock);
    dnnl_memory_set_data_handle(c->user_in, (void *)input);
    dnnl_memory_set_data_handle(c->user_out, output);
    dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, c->user_in}, {DNNL_ARG_TO, c->acts[0]}};
    int ok = dnnl_primitive_execute(c->reorder_in, stream, 2, r) == dnnl_success;
    for (int l = 0; l < c->layers && ok; l++) {
        dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, c->acts[l]},
                                {DNNL_ARG_WEIGHTS, c->weights[l]},
                                {DNNL_ARG_BIAS, c->biases[l]},
                                {DNNL_ARG_DST, c->acts[l + 1]}};
        ok = dnnl_primitive_execute(c->convs[l], stream, 4, a) == dnnl_success;
    }
    dnnl_exec_arg_t o[2] = {{DNNL_ARG_FROM, c->acts[c->layers]}, {DNNL_ARG_TO, c->user_out}};
    ok = ok && dnnl_primitive_execute(c->reorder_out, stream, 2, o) == dnnl_success;
    ok = ok && dnnl_stream_wait(stream) == dnnl_success;
    pthread_mutex_unlock(&lock);
    return ok ? 0 : -1;
}
