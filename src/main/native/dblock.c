/*
 * The block (d = 1) and d-block layers (docs/specification.md sections 3 and 4), forward and backward, O(T) per neuron:
 * a sequential beta scan replaces the O(T^2) convolution and the first spike is found while scanning. These are the
 * units that the driver (common.c, snn_run) runs.
 *
 * Work units and time tiles are as in lif.c; with recurrence the unit is the whole sample, because block k+1
 * receives c_{k+1} = W_rec a_k + b_rec from every neuron of block k.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tile.h"

/* `fired` of a neuron whose block holds a NaN faulty spike: its later spikes and a_k are NaN. */
#define SNN_FIRED_NAN (-2)

/* Blocks: d regular ones of L = floor(T/d) steps, then one of r = T - dL steps when r > 0 (eq. 4.1). */
static inline int64_t block_count(int64_t T, int64_t d)
{
    return T - d * (T / d) > 0 ? d + 1 : d;
}

/* Where step t falls: block *k, local step *u, block length *len. */
static inline void locate(int64_t t, int64_t T, int64_t d, int64_t *k, int64_t *u, int64_t *len)
{
    const int64_t l = T / d;
    *k = t < d * l ? t / l : d;
    *u = t - *k * l;
    *len = *k < d ? l : T - d * l;
}

/* The neurons that spiked in a block (fired >= 0), in order; *nan is set when one of them holds a NaN spike. */
static int64_t fired_list(const int32_t *fired, int64_t n, int32_t *list, int *nan)
{
    int64_t count = 0;
    int any_nan = 0;
    for (int64_t i = 0; i < n; i++) {
        list[count] = (int32_t) i;
        count += fired[i] >= 0;
        any_nan |= fired[i] == SNN_FIRED_NAN;
    }
    *nan = any_nan;
    return count;
}

static int64_t forward_work(int64_t n, int64_t tl)
{
    return 2 * n + 3 * tl * n;
}

static void forward_unit(const snn_job *job, const snn_unit *un)
{
    const snn_dblock_args *a = job->args;
    const snn_layer_args *l = &a->layer;
    const int surr = l->surrogate;
    const int64_t N = l->neurons;
    const int64_t T = l->steps;
    const int64_t tl = job->tile;
    const int64_t d = a->blocks;
    const int64_t b = un->b;
    const int64_t j0 = un->j0;
    const int64_t n = un->n;
    const int64_t blocks = block_count(T, d);
    const float *beta = l->beta + j0;
    const float *wt = job->wt_rec;
    float *spk = SNN_ROWS(l->spk, un);
    float *mem = SNN_ROWS(l->mem, un);
    int32_t *first = l->first != NULL ? l->first + b * blocks * N + j0 : NULL;
    int32_t *fired = un->iwork;
    int32_t *list = fired + job->chunk;
    float *v = un->work;
    float *c = v + n;
    float *ti = c + n;
    float *tm = ti + tl * n;
    float *ts = tm + tl * n;
    for (int64_t j = 0; j < n; j++) {
        c[j] = 0.0f; /* c_0 = 0 */
    }
    for (int64_t t0 = 0; t0 < T; t0 += tl) {
        const int64_t len = snn_min64(tl, T - t0);
        snn_input_tile(&job->in, b, N, T, j0, n, t0, len, ti, list);
        for (int64_t s = 0; s < len; s++) {
            int64_t k, u, blen;
            locate(t0 + s, T, d, &k, &u, &blen);
            const float *cur = ti + s * n;
            float *mo = tm + s * n;
            float *so = ts + s * n;
            if (u == 0) {
                for (int64_t j = 0; j < n; j++) {
                    /* V_0 = I_0 + c_k: the block starts from rest (eq. 4.2.2) */
                    float vv = cur[j] + c[j];
                    v[j] = vv;
                    mo[j] = vv;
                    fired[j] = -1;
                }
            } else {
                for (int64_t j = 0; j < n; j++) {
                    /* V_u = beta V_{u-1} + I_u (no reset) */
                    float vv = beta[j] * v[j] + cur[j];
                    v[j] = vv;
                    mo[j] = vv;
                }
            }
            if (spk != NULL) {
                const int32_t uu = (int32_t) u;
                for (int64_t j = 0; j < n; j++) {
                    /* faulty spike H(V_u - 1); only the block's first is kept (z_u = 1, eq. 3.1.4-5); from a NaN
                     * faulty spike on, the cumulative sums and so the block's spikes are NaN */
                    const float f = snn_spike(mo[j] - 1.0f, surr);
                    const int nan = f != f || fired[j] == SNN_FIRED_NAN;
                    const int first_spike = !nan && f > 0.0f && fired[j] == -1;
                    so[j] = nan ? NAN : (first_spike ? 1.0f : 0.0f);
                    fired[j] = nan ? SNN_FIRED_NAN : (first_spike ? uu : fired[j]);
                }
            }
            if (u == blen - 1) {
                if (first != NULL) {
                    memcpy(first + k * N, fired, (size_t) n * sizeof(int32_t));
                }
                if (wt != NULL && k + 1 < blocks) {
                    /* c_{k+1} = W_rec a_k + b_rec, a_k = [neuron spiked in block k] (eq. 4.2.4) */
                    int nan;
                    const int64_t count = fired_list(fired, n, list, &nan);
                    snn_recurrent_input(c, wt, l->b_rec, n, list, count, nan);
                }
            }
        }
        snn_store_tile(tm, n, len, mem, T, t0);
        if (spk != NULL) {
            snn_store_tile(ts, n, len, spk, T, t0);
        }
    }
}

static int64_t backward_work(int64_t n, int64_t tl)
{
    /* acc_a, acc_b (double), acc_c, ga, h, zero, g, and four tiles */
    return 4 * n + 5 * n + 4 * (tl + 1) * n;
}

/*
 * Reverse pass over one unit, from the last step. Inside a block, with delta_u = dL/ds_u:
 *   A_u = sum_{t>=u} delta_t, B_u = sum_{t>=u} A_t = dL/dshat_u          (straight-through g, eq. 3.2)
 *   dL/dV_u = B_u H'(V_u - 1) + g_mem_u,  C_u = dL/dV_u + beta C_{u+1} = dL/dI_u
 *   dL/dbeta += C_u V_{u-1} (u >= 1; V_0 has no beta because the block starts from rest)
 * C_0 is dL/dc_k for the injection c_k = W_rec a_{k-1} + b_rec, which gives the W_rec and b_rec gradients and,
 * unless detached, dL/da_{k-1} = W_rec^T C_0, spread over block k-1 by the max (or sum) reduction.
 */
static void backward_unit(const snn_job *job, const snn_unit *un)
{
    const snn_dblock_args *a = job->args;
    const snn_layer_args *l = &a->layer;
    const int surr = l->surrogate;
    const float scale = l->scale;
    const int recurrent = l->w_rec != NULL;
    const int64_t N = l->neurons;
    const int64_t T = l->steps;
    const int64_t tl = job->tile;
    const int64_t d = a->blocks;
    const int64_t b = un->b;
    const int64_t j0 = un->j0;
    const int64_t n = un->n;
    const int64_t blocks = block_count(T, d);
    const float *beta = l->beta + j0;
    const float *mem = SNN_ROWS(l->mem, un);
    const int32_t *first = l->first != NULL ? l->first + b * blocks * N + j0 : NULL;
    const float *gs = SNN_ROWS(l->g_spk, un);
    const float *gm = SNN_ROWS(l->g_mem, un);
    float *gcur = SNN_ROWS(l->grad.cur, un);
    double *dbeta = un->dbeta;
    double *gwt = un->gw_rec;
    int32_t *list = un->iwork;
    const int64_t tn = (tl + 1) * n;
    double *acc_a = (double *) un->work;
    double *acc_b = acc_a + n;
    float *acc_c = (float *) (acc_b + n);
    float *ga = acc_c + n;
    float *h = ga + n;
    float *zero = h + n;
    float *gsum = zero + n;
    float *tm = gsum + n;
    float *tgs = tm + tn;
    float *tgm = tgs + tn;
    float *tgc = tgm + tn;
    int has_ga = 0;
    for (int64_t j = 0; j < n; j++) {
        dbeta[j] = 0.0;
        zero[j] = 0.0f;
    }
    for (int64_t t0 = (T - 1) / tl * tl; t0 >= 0; t0 -= tl) {
        const int64_t len = snn_min64(tl, T - t0);
        const int64_t off = t0 > 0 ? 1 : 0; /* the membrane tile also holds step t0 - 1 */
        snn_load_tile(mem, T, t0 - off, len + off, n, tm);
        if (gs != NULL) {
            snn_load_tile(gs, T, t0, len, n, tgs);
        }
        if (gm != NULL) {
            snn_load_tile(gm, T, t0, len, n, tgm);
        }
        for (int64_t s = len - 1; s >= 0; s--) {
            int64_t k, u, blen;
            locate(t0 + s, T, d, &k, &u, &blen);
            if (u == blen - 1) {
                /* the last step of block k: its sums start here */
                for (int64_t j = 0; j < n; j++) {
                    acc_a[j] = 0.0;
                    acc_b[j] = 0.0;
                    acc_c[j] = 0.0f;
                }
            }
            const float *v = tm + (s + off) * n;
            const float *vp = v - n;
            const float *g_s = gs != NULL ? tgs + s * n : zero;
            const float *g_m = gm != NULL ? tgm + s * n : zero;
            float *g = tgc + s * n;
            if (l->spiking) {
                if (has_ga) {
                    /* dL/da_k reaches s_u: sum -> every step; amax -> the spike, or split evenly over the
                     * blen tied zeros of a silent block */
                    const int32_t *fk = first + k * N;
                    const int32_t uu = (int32_t) u;
                    const float count = (float) blen;
                    if (a->reduction == SNN_REDUCE_SUM) {
                        for (int64_t j = 0; j < n; j++) {
                            gsum[j] = g_s[j] + ga[j];
                        }
                    } else {
                        for (int64_t j = 0; j < n; j++) {
                            gsum[j] = g_s[j] + (fk[j] >= 0 ? (fk[j] == uu ? ga[j] : 0.0f) : ga[j] / count);
                        }
                    }
                    g_s = gsum;
                }
                snn_surrogate_row(surr, scale, v, h, n);
                for (int64_t j = 0; j < n; j++) {
                    acc_a[j] += g_s[j];
                    acc_b[j] += acc_a[j];
                    const float gv = (float) acc_b[j] * h[j] + g_m[j];
                    const float cc = gv + beta[j] * acc_c[j];
                    acc_c[j] = cc;
                    g[j] = cc;
                }
            } else {
                for (int64_t j = 0; j < n; j++) {
                    const float cc = g_m[j] + beta[j] * acc_c[j];
                    acc_c[j] = cc;
                    g[j] = cc;
                }
            }
            if (u > 0) {
                for (int64_t j = 0; j < n; j++) {
                    /* dV_u/dbeta = V_{u-1} */
                    dbeta[j] += (double) acc_c[j] * (double) vp[j];
                }
            } else {
                /* step 0 of block k: C_0 = dL/dc_k */
                has_ga = 0;
                if (recurrent && k > 0) {
                    if (gwt != NULL) {
                        int nan;
                        const int64_t count = fired_list(first + (k - 1) * N, n, list, &nan);
                        snn_recurrent_grad(gwt, un->gb_rec, acc_c, n, list, count);
                    }
                    if (!a->detach) {
                        /* dL/da_{k-1} = W_rec^T dL/dc_k */
                        for (int64_t i = 0; i < n; i++) {
                            ga[i] = 0.0f;
                        }
                        for (int64_t j = 0; j < n; j++) {
                            const float cj = acc_c[j];
                            const float *row = l->w_rec + j * n;
                            for (int64_t i = 0; i < n; i++) {
                                ga[i] += row[i] * cj;
                            }
                        }
                        has_ga = 1;
                    }
                }
            }
        }
        if (gcur != NULL) {
            snn_store_tile(tgc, n, len, gcur, T, t0);
        }
        /* dL/dI is known for this tile: the projection's gradients */
        snn_input_grad_tile(&job->in, b, N, T, j0, n, t0, len, tgc, un->gw_in, un->gb_in, list);
    }
}

/* The d-block-specific checks: 1 <= d <= T, a known reduction, and recurrence only with spikes and `first`. */
static int valid(const void *args)
{
    const snn_dblock_args *a = args;
    const snn_layer_args *l = &a->layer;
    return a->blocks >= 1 && a->blocks <= l->steps && a->reduction >= SNN_REDUCE_MAX
            && a->reduction <= SNN_REDUCE_SUM && (l->w_rec == NULL || (l->spiking && l->first != NULL));
}

static const snn_family DBLOCK = {forward_unit, backward_unit, forward_work, backward_work, valid};

SNN_API int32_t snn_dblock_forward(const snn_dblock_args *a)
{
    return snn_call(&DBLOCK, &a->layer, (int64_t) sizeof(*a), a, 1);
}

SNN_API int32_t snn_dblock_backward(const snn_dblock_args *a)
{
    return snn_call(&DBLOCK, &a->layer, (int64_t) sizeof(*a), a, 0);
}
