/*
 * What every kernel shares: the ABI self-description, the threaded driver, the gradient accumulators, the input
 * projection's setup, the recurrent input and its gradient, and the benchmark helpers.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "internal.h"

/* ----- the ABI's self-description ------------------------------------------------------------------------------ */

#define SNN_STRUCT(s) {#s, "", 0, (int64_t) sizeof(s)}
#define SNN_FIELD(s, f) {#s, #f, (int64_t) offsetof(s, f), (int64_t) sizeof(((s *) 0)->f)}
#define SNN_CODE(c) {"code", #c, c, 0}

static const snn_abi_entry SNN_ABI[] = {
    SNN_STRUCT(snn_input_args),
    SNN_FIELD(snn_input_args, cur), SNN_FIELD(snn_input_args, x), SNN_FIELD(snn_input_args, w_in),
    SNN_FIELD(snn_input_args, b_in), SNN_FIELD(snn_input_args, m), SNN_FIELD(snn_input_args, ev_pos),
    SNN_FIELD(snn_input_args, ev_val), SNN_FIELD(snn_input_args, ev_count), SNN_FIELD(snn_input_args, ev_cap),
    SNN_FIELD(snn_input_args, in_off), SNN_FIELD(snn_input_args, in_pos), SNN_FIELD(snn_input_args, in_val),
    SNN_FIELD(snn_input_args, x_bits), SNN_FIELD(snn_input_args, x_nan),

    SNN_STRUCT(snn_grad_args),
    SNN_FIELD(snn_grad_args, cur), SNN_FIELD(snn_grad_args, w_in), SNN_FIELD(snn_grad_args, b_in),
    SNN_FIELD(snn_grad_args, beta), SNN_FIELD(snn_grad_args, w_rec), SNN_FIELD(snn_grad_args, b_rec),
    SNN_FIELD(snn_grad_args, x), SNN_FIELD(snn_grad_args, cur_steps),

    SNN_STRUCT(snn_next_args),
    SNN_FIELD(snn_next_args, g), SNN_FIELD(snn_next_args, w), SNN_FIELD(snn_next_args, k),

    SNN_STRUCT(snn_layer_args),
    SNN_FIELD(snn_layer_args, size), SNN_FIELD(snn_layer_args, surrogate), SNN_FIELD(snn_layer_args, scale),
    SNN_FIELD(snn_layer_args, threads), SNN_FIELD(snn_layer_args, spiking), SNN_FIELD(snn_layer_args, isa),
    SNN_FIELD(snn_layer_args, batch),
    SNN_FIELD(snn_layer_args, neurons), SNN_FIELD(snn_layer_args, steps), SNN_FIELD(snn_layer_args, in),
    SNN_FIELD(snn_layer_args, beta), SNN_FIELD(snn_layer_args, w_rec), SNN_FIELD(snn_layer_args, b_rec),
    SNN_FIELD(snn_layer_args, spk), SNN_FIELD(snn_layer_args, mem), SNN_FIELD(snn_layer_args, first),
    SNN_FIELD(snn_layer_args, g_spk), SNN_FIELD(snn_layer_args, g_mem), SNN_FIELD(snn_layer_args, grad),
    SNN_FIELD(snn_layer_args, spk_bits), SNN_FIELD(snn_layer_args, spk_nan), SNN_FIELD(snn_layer_args, next),

    SNN_STRUCT(snn_lif_args),
    SNN_FIELD(snn_lif_args, layer), SNN_FIELD(snn_lif_args, mode), SNN_FIELD(snn_lif_args, reset),
    SNN_FIELD(snn_lif_args, pre),

    SNN_STRUCT(snn_dblock_args),
    SNN_FIELD(snn_dblock_args, layer), SNN_FIELD(snn_dblock_args, detach), SNN_FIELD(snn_dblock_args, reduction),
    SNN_FIELD(snn_dblock_args, blocks),

    SNN_STRUCT(snn_abi_entry),
    SNN_FIELD(snn_abi_entry, scope), SNN_FIELD(snn_abi_entry, name), SNN_FIELD(snn_abi_entry, value),
    SNN_FIELD(snn_abi_entry, size),

    SNN_CODE(SNN_OK), SNN_CODE(SNN_ERR_MEMORY), SNN_CODE(SNN_ERR_ARGS), SNN_CODE(SNN_ERR_STRUCT_SIZE),
    SNN_CODE(SNN_LIF_MULTI), SNN_CODE(SNN_LIF_SINGLE), SNN_CODE(SNN_LIF_INTEGRATOR),
    SNN_CODE(SNN_RESET_SUBTRACT), SNN_CODE(SNN_RESET_ZERO),
    SNN_CODE(SNN_SURR_FAST_SIGMOID), SNN_CODE(SNN_SURR_ARCTAN), SNN_CODE(SNN_SURR_TRIANGLE),
    SNN_CODE(SNN_REDUCE_MAX), SNN_CODE(SNN_REDUCE_SUM),
    SNN_CODE(SNN_ERR_UNSUPPORTED), SNN_CODE(SNN_ISA_PORTABLE), SNN_CODE(SNN_ISA_AVX2), SNN_CODE(SNN_ISA_AVX512),
    SNN_CODE(SNN_ERR_EVENTS),
};

SNN_API int32_t snn_abi_version(void)
{
    return SNN_ABI_VERSION;
}

SNN_API int32_t snn_abi_describe(snn_abi_entry *table, int32_t capacity)
{
    const int32_t count = (int32_t) (sizeof(SNN_ABI) / sizeof(SNN_ABI[0]));
    for (int32_t i = 0; i < count && i < capacity; i++) {
        table[i] = SNN_ABI[i];
    }
    return count;
}

/* ----- shared pieces ------------------------------------------------------------------------------------------- */

float *snn_transpose(const float *w, int64_t rows, int64_t cols)
{
    float *wt = malloc((size_t) (rows * cols) * sizeof(float));
    if (wt == NULL) {
        return NULL;
    }
    for (int64_t j = 0; j < rows; j++) {
        for (int64_t i = 0; i < cols; i++) {
            wt[i * rows + j] = w[j * cols + i];
        }
    }
    return wt;
}

int snn_input_init(snn_input *in, const snn_input_args *a, int64_t n, int project)
{
    const int dense = a->cur != NULL;
    in->cur = a->cur;
    in->x = dense ? NULL : a->x;
    in->bias = dense ? NULL : a->b_in;
    in->m = a->m;
    in->ev_pos = dense ? NULL : a->ev_pos;
    in->ev_val = dense ? NULL : a->ev_val;
    in->ev_count = !dense && a->ev_pos != NULL && a->ev_val != NULL ? a->ev_count : NULL;
    in->ev_cap = a->ev_cap;
    in->e_off = dense ? NULL : a->in_off;
    in->e_pos = dense ? NULL : a->in_pos;
    in->e_val = dense ? NULL : a->in_val;
    in->x_bits = dense ? NULL : a->x_bits;
    in->x_nan = in->x_bits != NULL ? a->x_nan : NULL;
    in->wt = NULL;
    if (project && !dense) {
        in->wt = snn_transpose(a->w_in, n, a->m);
        if (in->wt == NULL) {
            return SNN_ERR_MEMORY;
        }
    }
    return SNN_OK;
}

int snn_input_events_valid(const snn_input_args *a, int64_t batch, int64_t steps)
{
    if (a->in_off == NULL || a->m > 65536 || steps > 65536 || a->in_off[0] != 0
            || ((a->in_pos == NULL || a->in_val == NULL) && a->in_off[batch] != 0)) {
        return 0;
    }
    const uint64_t limit = (uint64_t) (a->m - 1) << 16 | (uint64_t) (steps - 1);
    for (int64_t b = 0; b < batch; b++) {
        const int64_t lo = a->in_off[b];
        const int64_t hi = a->in_off[b + 1];
        if (hi < lo || hi - lo > a->m * steps) {
            return 0;
        }
        for (int64_t e = lo; e < hi; e++) {
            const uint32_t p = a->in_pos[e];
            /* in range (channel < m, step < steps), and after the previous event of the sample */
            if ((p & 0xffffu) >= (uint32_t) steps || p > limit || (e > lo && p <= a->in_pos[e - 1])) {
                return 0;
            }
        }
    }
    return 1;
}

void snn_input_free(snn_input *in)
{
    free((void *) in->wt);
    in->wt = NULL;
}

/* ----- gradient accumulators ----------------------------------------------------------------------------------- */

static void grads_free(snn_grads *g)
{
    free(g->dbeta);
    free(g->w);
    free(g->b);
    free(g->w_in);
    free(g->b_in);
    memset(g, 0, sizeof(*g));
}

static int grads_init(snn_grads *g, int threads, int64_t batch, int64_t n, int recurrent, int64_t m_in,
        int bias_in)
{
    memset(g, 0, sizeof(*g));
    g->threads = threads;
    g->batch = batch;
    g->n = n;
    g->m = m_in;
    g->dbeta = calloc((size_t) (batch * n), sizeof(double));
    int ok = g->dbeta != NULL;
    if (recurrent) {
        g->w = calloc((size_t) (threads * n * n), sizeof(double));
        g->b = calloc((size_t) (threads * n), sizeof(double));
        ok = ok && g->w != NULL && g->b != NULL;
    }
    if (m_in > 0) {
        g->w_in = calloc((size_t) (threads * m_in * n), sizeof(float));
        ok = ok && g->w_in != NULL;
    }
    if (bias_in) {
        g->b_in = calloc((size_t) (threads * n), sizeof(double));
        ok = ok && g->b_in != NULL;
    }
    if (!ok) {
        grads_free(g);
        return SNN_ERR_MEMORY;
    }
    return SNN_OK;
}

/* out[j] = sum over r < rows of partial[r * n + j], in row order. */
static void reduce_rows(const double *partial, int64_t rows, int64_t n, float *out)
{
    for (int64_t j = 0; j < n; j++) {
        double acc = 0.0;
        for (int64_t r = 0; r < rows; r++) {
            acc += partial[r * n + j];
        }
        out[j] = (float) acc;
    }
}

/* out[j * m + i] = sum over r < copies of acc[(r * m + i) * n + j]: transposed accumulators back to [n, m]. */
#define SNN_REDUCE_TRANSPOSED(name, type)                                                                          \
    static void name(const type *acc, int64_t copies, int64_t m, int64_t n, float *out)                            \
    {                                                                                                              \
        for (int64_t j = 0; j < n; j++) {                                                                          \
            for (int64_t i = 0; i < m; i++) {                                                                      \
                double sum = 0.0;                                                                                  \
                for (int64_t r = 0; r < copies; r++) {                                                             \
                    sum += acc[(r * m + i) * n + j];                                                               \
                }                                                                                                  \
                out[j * m + i] = (float) sum;                                                                      \
            }                                                                                                      \
        }                                                                                                          \
    }
SNN_REDUCE_TRANSPOSED(reduce_transposed, double)
SNN_REDUCE_TRANSPOSED(reduce_transposed_float, float)

static void grads_reduce(const snn_grads *g, const snn_grad_args *out)
{
    if (out->beta != NULL) {
        reduce_rows(g->dbeta, g->batch, g->n, out->beta);
    }
    if (g->w != NULL && out->w_rec != NULL) {
        reduce_transposed(g->w, g->threads, g->n, g->n, out->w_rec);
    }
    if (g->b != NULL && out->b_rec != NULL) {
        reduce_rows(g->b, g->threads, g->n, out->b_rec);
    }
    if (g->w_in != NULL && out->w_in != NULL) {
        reduce_transposed_float(g->w_in, g->threads, g->m, g->n, out->w_in);
    }
    if (g->b_in != NULL && out->b_in != NULL) {
        reduce_rows(g->b_in, g->threads, g->n, out->b_in);
    }
}

/* ----- instruction sets --------------------------------------------------------------------------------------- */

static int cpu_supports(int isa)
{
    switch (isa) {
    case SNN_ISA_PORTABLE:
        return 1;
#ifdef SNN_X86_VARIANTS
    case SNN_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
    case SNN_ISA_AVX512:
        return cpu_supports(SNN_ISA_AVX2) && __builtin_cpu_supports("avx512f")
                && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")
                && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd");
#endif
    default:
        return 0;
    }
}

SNN_API int32_t snn_isa_best(void)
{
    for (int isa = SNN_ISA_AVX512; isa > SNN_ISA_PORTABLE; isa--) {
        if (cpu_supports(isa)) {
            return isa;
        }
    }
    return SNN_ISA_PORTABLE;
}

SNN_API int32_t snn_isa_requested(void)
{
    const char *env = getenv("SNN_CPU_ISA");
    if (env == NULL || env[0] == '\0') {
        return -1;
    }
    return strcmp(env, "avx512") == 0 ? SNN_ISA_AVX512 : strcmp(env, "avx2") == 0 ? SNN_ISA_AVX2
            : strcmp(env, "portable") == 0 ? SNN_ISA_PORTABLE : -2;
}

SNN_API int32_t snn_isa_supported(int32_t isa)
{
    return cpu_supports(isa);
}

/* A family's build for an instruction set the CPU supports (checked by the caller). */
static const snn_family *family_table(int family, int isa)
{
#ifdef SNN_X86_VARIANTS
    if (isa == SNN_ISA_AVX512) {
        return family == SNN_FAMILY_LIF ? &snn_lif_family_avx512 : family == SNN_FAMILY_DBLOCK
                ? &snn_dblock_family_avx512 : &snn_projection_family_avx512;
    }
    if (isa == SNN_ISA_AVX2) {
        return family == SNN_FAMILY_LIF ? &snn_lif_family_avx2 : family == SNN_FAMILY_DBLOCK
                ? &snn_dblock_family_avx2 : &snn_projection_family_avx2;
    }
#endif
    (void) isa;
    return family == SNN_FAMILY_LIF ? &snn_lif_family_portable : family == SNN_FAMILY_DBLOCK
            ? &snn_dblock_family_portable : &snn_projection_family_portable;
}

/* ----- the driver ---------------------------------------------------------------------------------------------- */

/*
 * Denormal floats (magnitudes below 2^-126) are flushed to zero inside the kernels' threads, on input (DAZ) and on
 * output (FTZ), and the threads' previous mode is restored when they leave: the pool is LibTorch's, whose own ops keep
 * their mode. Gradients that decay geometrically over hundreds of steps reach denormal magnitudes, and x86 cores take
 * a microcode assist of about a hundred cycles for each operation on one: a readout's backward pass at the SHD shape
 * took 50 ms instead of 5 with them. Flushed values are below 2^-126, many orders under any tolerance that compares
 * the kernels with LibTorch; spikes compare membranes with 1 and cannot change.
 */
typedef struct {
    unsigned int saved;
} snn_fp_mode;

static snn_fp_mode snn_flush_denormals(void)
{
    snn_fp_mode m = {0};
#if defined(__x86_64__)
    m.saved = _mm_getcsr();
    _mm_setcsr(m.saved | 0x8040); /* FTZ (bit 15) | DAZ (bit 6) */
#endif
    return m;
}

static void snn_restore_fp(snn_fp_mode m)
{
#if defined(__x86_64__)
    _mm_setcsr(m.saved);
#else
    (void) m;
#endif
}

int32_t snn_run(snn_job *job)
{
    const snn_layer_args *l = job->layer;
    const int64_t B = l->batch;
    const int64_t N = l->neurons;
    const int64_t T = l->steps;
    const int threads = l->threads > 0 ? l->threads : 1;
    /* a projected input is scanned once per unit: whole samples then, as with coupled neurons */
    const int whole = l->w_rec != NULL || l->in.cur == NULL;
    job->chunk = whole ? N : snn_min64(N, SNN_CHUNK);
    job->wt_rec = NULL;
    memset(&job->acc, 0, sizeof(job->acc));
    int32_t status = snn_input_init(&job->in, &l->in, N, job->forward);
    if (status == SNN_OK && job->forward && l->w_rec != NULL
            && (job->wt_rec = snn_transpose(l->w_rec, N, N)) == NULL) {
        status = SNN_ERR_MEMORY;
    }
    const snn_grad_args *grad = &l->grad;
    if (status == SNN_OK && !job->forward) {
        status = grads_init(&job->acc, threads, B, N, l->w_rec != NULL && (grad->w_rec != NULL || grad->b_rec != NULL),
                l->in.cur == NULL && grad->w_in != NULL ? l->in.m : 0, grad->b_in != NULL);
    }
    const int64_t chunk = job->chunk;
    const int64_t per_sample = (N + chunk - 1) / chunk;
    const int64_t floats = job->work_floats(job, chunk);
    const int64_t ints = 2 * chunk + 16 + snn_input_scratch_ints(&job->in, T);
    if (status == SNN_OK) {
#pragma omp parallel num_threads(threads)
        {
            const snn_fp_mode fp = snn_flush_denormals();
            const int tid = omp_get_thread_num();
            float *work = aligned_alloc(64, (size_t) (floats + 16) / 16 * 64);
            int32_t *iwork = malloc((size_t) ints * sizeof(int32_t));
            const int ok = work != NULL && iwork != NULL;
            if (!ok) {
#pragma omp atomic write
                status = SNN_ERR_MEMORY;
            }
            const snn_grads *acc = &job->acc;
#pragma omp for schedule(static)
            for (int64_t index = 0; index < B * per_sample; index++) {
                if (!ok) {
                    continue;
                }
                snn_unit u;
                u.b = index / per_sample;
                u.j0 = (index % per_sample) * chunk;
                u.n = snn_min64(chunk, N - u.j0);
                u.row0 = (u.b * N + u.j0) * T;
                u.tid = tid;
                u.work = work;
                u.iwork = iwork;
                u.input_scratch = snn_input_projects(&job->in) ? iwork + 2 * chunk + 16 : NULL;
                u.dbeta = acc->dbeta != NULL ? acc->dbeta + u.b * N + u.j0 : NULL;
                u.gw_rec = acc->w != NULL ? acc->w + (int64_t) tid * N * N : NULL;
                u.gb_rec = acc->b != NULL ? acc->b + (int64_t) tid * N : NULL;
                u.gw_in = acc->w_in != NULL ? acc->w_in + (int64_t) tid * acc->m * N : NULL;
                u.gb_in = acc->b_in != NULL ? acc->b_in + (int64_t) tid * N : NULL;
                job->unit(job, &u);
            }
            free(work);
            free(iwork);
            snn_restore_fp(fp);
        }
    }
    if (status == SNN_OK && !job->forward) {
        grads_reduce(&job->acc, grad);
    }
    grads_free(&job->acc);
    free(job->wt_rec);
    job->wt_rec = NULL;
    snn_input_free(&job->in);
    return status;
}

int32_t snn_call(int family, const snn_layer_args *l, int64_t size, const void *args, int forward)
{
    if (l->size != size) {
        return SNN_ERR_STRUCT_SIZE;
    }
    if (!cpu_supports(l->isa)) {
        return SNN_ERR_UNSUPPORTED;
    }
    const snn_family *f = family_table(family, l->isa);
    const snn_input_args *in = &l->in;
    const int events = in->in_off != NULL || in->in_pos != NULL || in->in_val != NULL;
    if (l->batch < 1 || l->neurons < 1 || l->steps < 1 || l->beta == NULL || l->mem == NULL
            || (l->spiking && l->spk == NULL) || (l->w_rec != NULL && l->b_rec == NULL)
            || l->surrogate < SNN_SURR_FAST_SIGMOID || l->surrogate > SNN_SURR_TRIANGLE
            || (in->cur == NULL && ((in->x == NULL) == !events || in->m < 1
                    || ((forward || l->grad.x != NULL) && in->w_in == NULL)))
            || (in->cur != NULL && (l->grad.x != NULL || l->grad.cur_steps != NULL || in->x_bits != NULL || events))
            || (events && (l->grad.x != NULL || in->ev_pos != NULL || in->ev_val != NULL || in->ev_count != NULL))
            || (in->x_bits != NULL && (in->x == NULL || in->x_nan == NULL))
            || (l->spk_bits != NULL && (!l->spiking || l->spk_nan == NULL))
            || (l->next.g != NULL && (l->next.w == NULL || l->next.k < 1 || !l->spiking))
            || !f->valid(args)) {
        return SNN_ERR_ARGS;
    }
    if (events && !snn_input_events_valid(in, l->batch, l->steps)) {
        return SNN_ERR_EVENTS;
    }
    snn_job job = {.args = args, .layer = l, .unit = forward ? f->forward_unit : f->backward_unit,
            .work_floats = forward ? f->forward_work : f->backward_work, .forward = forward};
    return snn_run(&job);
}

SNN_API int32_t snn_lif_forward(const snn_lif_args *a)
{
    return snn_call(SNN_FAMILY_LIF, &a->layer, (int64_t) sizeof(*a), a, 1);
}

SNN_API int32_t snn_lif_backward(const snn_lif_args *a)
{
    return snn_call(SNN_FAMILY_LIF, &a->layer, (int64_t) sizeof(*a), a, 0);
}

SNN_API int32_t snn_dblock_forward(const snn_dblock_args *a)
{
    return snn_call(SNN_FAMILY_DBLOCK, &a->layer, (int64_t) sizeof(*a), a, 1);
}

SNN_API int32_t snn_dblock_backward(const snn_dblock_args *a)
{
    return snn_call(SNN_FAMILY_DBLOCK, &a->layer, (int64_t) sizeof(*a), a, 0);
}

/* ----- the floating-point mode of LibTorch's threads ----------------------------------------------------------- */

/*
 * FTZ and DAZ on (on = 1), off (on = 0) or left as they are (on = -1) in the MXCSR of the calling thread and of every
 * other thread of its OpenMP team of `threads`: the pool LibTorch's intra-op parallel regions run on when they start
 * from this thread (the library shares LibTorch's libgomp). Returns how many of the team's threads then have both on.
 * MXCSR is per thread and outlives the region; threads the pool starts later copy the starting thread's.
 */
SNN_API int32_t snn_denormal_mode(int32_t on, int32_t threads)
{
    int32_t flushing = 0;
#pragma omp parallel num_threads(threads > 0 ? threads : 1) reduction(+ : flushing)
    {
#if defined(__x86_64__)
        const unsigned int bits = 0x8040; /* FTZ (bit 15) | DAZ (bit 6) */
        const unsigned int csr = _mm_getcsr();
        if (on >= 0) {
            _mm_setcsr(on ? csr | bits : csr & ~bits);
        }
        flushing += (_mm_getcsr() & bits) == bits;
#else
        (void) on;
#endif
    }
    return flushing;
}

/* ----- benchmark helpers --------------------------------------------------------------------------------------- */

/* A plain loop rather than memcpy: glibc's memcpy switches to non-temporal stores for large copies, which the
 * kernels' stores are not, so the floor would not be the same kind of traffic. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
SNN_API void snn_copy_pass(const float *src, float *dst, int64_t n, int32_t threads)
{
    const int64_t chunk = 1 << 14;
    const int64_t pieces = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t p = 0; p < pieces; p++) {
        const int64_t lo = p * chunk;
        const int64_t hi = lo + chunk <= n ? lo + chunk : n;
        for (int64_t i = lo; i < hi; i++) {
            dst[i] = src[i];
        }
    }
}

SNN_API int32_t snn_project(const snn_layer_args *a)
{
    if (a->size != (int64_t) sizeof(*a)) {
        return SNN_ERR_STRUCT_SIZE;
    }
    if (!cpu_supports(a->isa)) {
        return SNN_ERR_UNSUPPORTED;
    }
    const snn_family *f = family_table(SNN_FAMILY_PROJECTION, a->isa);
    if (a->batch < 1 || a->neurons < 1 || a->steps < 1 || a->in.m < 1 || a->mem == NULL || !f->valid(a)) {
        return SNN_ERR_ARGS;
    }
    if (a->in.x == NULL && !snn_input_events_valid(&a->in, a->batch, a->steps)) {
        return SNN_ERR_EVENTS;
    }
    snn_job job = {.args = a, .layer = a, .unit = f->forward_unit, .work_floats = f->forward_work, .forward = 1};
    return snn_run(&job);
}
