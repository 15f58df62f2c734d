/*
 * Fused CPU kernels for the neuron dynamics of snn (docs/specification.md sections 2-4), called from Java through the
 * Foreign Function & Memory API (package snn.nativekernels).
 *
 * Conventions shared by every kernel:
 *  - Tensors are float32, contiguous, laid out [batch B, neurons N, time T]: row (b, j) is the T steps of
 *    neuron j in sample b, at offset (b * N + j) * T. The kernels read and write that memory in place.
 *  - beta is the clamped decay, one value per neuron ([N]; a shared beta is expanded by the caller).
 *  - Optional inputs and outputs are NULL when absent (no recurrence, no upstream gradient, no gradient wanted).
 *  - Work is split over samples (and, with a dense current and no recurrence, over chunks of neurons) with
 *    OpenMP, `threads` wide, statically. Parameter gradients are accumulated per sample or per thread and summed
 *    in a fixed order in double precision, so results do not vary from run to run for a given thread count.
 *  - Arithmetic follows LibTorch's order where the torch path's is known (a * b + c as two roundings: compile
 *    with -ffp-contract=off), so spikes agree exactly except where a membrane is within rounding of the threshold.
 *  - Every function returns 0 on success, -1 when scratch memory cannot be allocated, -2 or -3 for bad arguments.
 */
#ifndef SNN_KERNELS_H
#define SNN_KERNELS_H

#include <math.h>
#include <stdint.h>

#define SNN_API __attribute__((visibility("default")))

/* Bumped whenever a signature changes; the Java side refuses a library with another version. */
#define SNN_KERNELS_ABI 3

/* LIF variants (docs/specification.md table 2.2). */
enum { SNN_LIF_MULTI = 0, SNN_LIF_SINGLE = 1, SNN_LIF_INTEGRATOR = 2 };

/* Surrogate derivatives dH/du of the spike function, u = V - threshold (docs/specification.md 2.4). */
enum { SNN_SURR_FAST_SIGMOID = 0, SNN_SURR_ARCTAN = 1, SNN_SURR_TRIANGLE = 2 };

/* d-block recurrent reduction a_k = max_u s_u or sum_u s_u (docs/specification.md 4.2.4). */
enum { SNN_REC_MAX = 0, SNN_REC_SUM = 1 };

/* h[j] = dH/du at u = v[j] - 1 for j < n: one loop per kind, so that each vectorises. */
static inline void snn_surrogate_row(int kind, float scale, const float *v, float *h, int64_t n)
{
    switch (kind) {
    case SNN_SURR_ARCTAN:
        for (int64_t j = 0; j < n; j++) {
            float x = (float) M_PI * scale * (v[j] - 1.0f) / 2.0f;
            h[j] = (scale / 2.0f) / (1.0f + x * x);
        }
        break;
    case SNN_SURR_TRIANGLE:
        for (int64_t j = 0; j < n; j++) {
            float a = 1.0f - scale * fabsf(v[j] - 1.0f);
            h[j] = a > 0.0f ? a : 0.0f;
        }
        break;
    default:
        for (int64_t j = 0; j < n; j++) {
            float d = scale * fabsf(v[j] - 1.0f) + 1.0f;
            h[j] = 1.0f / (d * d);
        }
        break;
    }
}

SNN_API int32_t snn_abi_version(void);

/*
 * The input current I of every layer kernel is either
 *  cur [B,N,T], a dense current (x, w_in, b_in NULL), or
 *  x [B,M,T] with w_in [N,M] and b_in [N] (or NULL): I = W_in x + b_in, computed event by event (input.h),
 *  optionally recording the events (ev_pos, ev_val [B, ev_cap], ev_count [B]; NULL for none) for the backward
 *  pass, which then takes the same four arguments.
 *
 * Standard LIF forward (docs/specification.md 2.1-2.2): U_t = beta V_{t-1} + I_t (+ W_rec s_{t-1} + b_rec for t >= 1).
 *  w_rec [N,N], b_rec [N]: recurrence, or NULL.
 *  spk  [B,N,T] spikes (NULL for the integrator).
 *  mem  [B,N,T] the reported membrane: U_t (multi, integrator) or the masked V_t (single).
 *  pre  [B,N,T] single only: the unmasked U_t, which the backward pass needs after the spike; else NULL.
 *  first [B,N] single only: the step of the one spike, or T; else NULL.
 */
SNN_API int32_t snn_lif_forward(int32_t mode, int64_t B, int64_t N, int64_t T,
        const float *cur, const float *x, int64_t M, const float *w_in, const float *b_in,
        uint32_t *ev_pos, float *ev_val, int32_t *ev_count, int64_t ev_cap,
        const float *beta, const float *w_rec, const float *b_rec,
        float *spk, float *mem, float *pre, int32_t *first, int32_t threads);

/*
 * Standard LIF backward: from upstream gradients g_spk, g_mem (either may be NULL, meaning zero) to
 *  g_cur [B,N,T] = dL/dI, g_w_in [N,M] and g_b_in [N] (projected input x only), g_beta [N], g_w [N,N] and
 *  g_b [N] (recurrent only); any output may be NULL. x is the forward pass's projected input, or NULL.
 * recurrent tells whether the forward pass had W_rec (its spikes enter the W_rec gradient; sg(s) passes none back).
 */
SNN_API int32_t snn_lif_backward(int32_t mode, int32_t surrogate, float scale, int32_t recurrent,
        int64_t B, int64_t N, int64_t T, const float *x, int64_t M,
        const uint32_t *ev_pos, const float *ev_val, const int32_t *ev_count, int64_t ev_cap, const float *beta,
        const float *spk, const float *mem, const float *pre, const int32_t *first,
        const float *g_spk, const float *g_mem,
        float *g_cur, float *g_w_in, float *g_b_in, float *g_beta, float *g_w, float *g_b, int32_t threads);

/*
 * Block and d-block forward (docs/specification.md 3.1 and 4.2). Time is cut into d blocks of L = floor(T/d) steps and,
 * when r = T - dL > 0, one final block of r steps; d = 1 is the block layer. Each block starts from rest:
 *  V_0 = I_0 + c_k, V_u = beta V_{u-1} + I_u (no reset), faulty spikes H(V_u - 1), first of them kept.
 * With w_rec, c_{k+1} = W_rec a_k + b_rec where a_k marks the neurons that spiked in block k; c_0 = 0.
 *  spk [B,N,T] (NULL when not spiking), mem [B,N,T] the no-reset membrane,
 *  first [B,K,N] (K blocks; NULL when not spiking): the local step of each block's spike, or -1.
 */
SNN_API int32_t snn_dblock_forward(int64_t B, int64_t N, int64_t T, int64_t d,
        const float *cur, const float *x, int64_t M, const float *w_in, const float *b_in,
        uint32_t *ev_pos, float *ev_val, int32_t *ev_count, int64_t ev_cap,
        const float *beta, const float *w_rec, const float *b_rec,
        float *spk, float *mem, int32_t *first, int32_t threads);

/*
 * Block and d-block backward: straight-through first-spike selection (reverse double cumsum, eq. 3.2), the
 * reverse beta scan, the recurrent injection's gradients and, unless detach, the gradient through a_k into
 * block k (amax splits it evenly among ties, sum passes it to every step). w_rec is needed only when !detach;
 * spk only tells whether the layer spikes (its values are not read: first holds the spike positions).
 * Gradient outputs as for snn_lif_backward.
 */
SNN_API int32_t snn_dblock_backward(int32_t surrogate, float scale, int32_t recurrent, int32_t detach,
        int32_t reduction, int64_t B, int64_t N, int64_t T, int64_t d, const float *x, int64_t M,
        const uint32_t *ev_pos, const float *ev_val, const int32_t *ev_count, int64_t ev_cap,
        const float *beta, const float *w_rec, const float *spk, const float *mem, const int32_t *first,
        const float *g_spk, const float *g_mem,
        float *g_cur, float *g_w_in, float *g_b_in, float *g_beta, float *g_w, float *g_b, int32_t threads);

/* Reference floor for benchmarks: dst = src over n floats, one parallel pass. */
SNN_API void snn_copy_pass(const float *src, float *dst, int64_t n, int32_t threads);

/*
 * Event-driven input projection I[b,:,t] = W x[b,:,t] + bias for a sparse x [B,M,T]: costs one column of W per
 * non-zero input instead of a full matrix product. out [B,N,T], w [N,M], bias [N] or NULL.
 */
SNN_API int32_t snn_sparse_projection(int64_t B, int64_t M, int64_t N, int64_t T,
        const float *x, const float *w, const float *bias, float *out, int32_t threads);

/* ----- internal helpers shared by the kernel files ----- */

/* wt[i * rows + j] = w[j * cols + i]: the columns of a [rows, cols] matrix as contiguous rows. */
float *snn_transpose(const float *w, int64_t rows, int64_t cols);

/* Per-thread double accumulators of the parameter gradients, summed in a fixed order after the parallel region. */
typedef struct {
    int threads;
    int64_t batch, n, m;
    double *dbeta; /* [B, N] per sample and neuron */
    double *w;     /* [threads][N][N] W_rec, transposed; NULL when not wanted */
    double *b;     /* [threads][N] b_rec */
    float *w_in;   /* [threads][M][N] W_in, transposed (float: one thread's share of the events) */
    double *b_in;  /* [threads][N] b_in */
} snn_grads;

int snn_grads_init(snn_grads *g, int threads, int64_t batch, int64_t n, int recurrent, int64_t m_in, int bias_in);
void snn_grads_reduce(const snn_grads *g, float *g_beta, float *g_w, float *g_b, float *g_w_in, float *g_b_in);
void snn_grads_free(snn_grads *g);

static inline double *snn_grads_w(const snn_grads *g, int tid)
{
    return g->w != NULL ? g->w + (int64_t) tid * g->n * g->n : NULL;
}

static inline double *snn_grads_b(const snn_grads *g, int tid)
{
    return g->b != NULL ? g->b + (int64_t) tid * g->n : NULL;
}

static inline float *snn_grads_w_in(const snn_grads *g, int tid)
{
    return g->w_in != NULL ? g->w_in + (int64_t) tid * g->m * g->n : NULL;
}

static inline double *snn_grads_b_in(const snn_grads *g, int tid)
{
    return g->b_in != NULL ? g->b_in + (int64_t) tid * g->n : NULL;
}

#endif
