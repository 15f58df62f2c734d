/*
 * The block (d = 1) and d-block layers (docs/specification.md sections 3 and 4), forward and backward, O(T) per neuron:
 * a sequential beta scan replaces the O(T^2) convolution and the first spike is found while scanning.
 *
 * Work units and time tiles are as in lif.c; with recurrence the unit is the whole sample, because block k+1
 * receives c_{k+1} = W_rec a_k + b_rec from every neuron of block k.
 */
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "snn_kernels.h"
#include "tile.h"
#include "input.h"

#define SNN_CHUNK 32

static inline int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

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

static int64_t forward_work(int64_t n, int64_t tl)
{
    return 2 * n + 3 * tl * n;
}

static void dblock_forward_unit(const snn_input *in, int64_t b, int64_t N, int64_t j0, int64_t n, int64_t T,
        int64_t tl, int64_t d, const float *beta,
        const float *wt, const float *b_rec, float *spk, float *mem, int32_t *first, int64_t first_stride,
        float *work, int32_t *fired, int32_t *list)
{
    const int64_t blocks = block_count(T, d);
    float *v = work;
    float *c = v + n;
    float *ti = c + n;
    float *tm = ti + tl * n;
    float *ts = tm + tl * n;
    for (int64_t j = 0; j < n; j++) {
        c[j] = 0.0f; /* c_0 = 0 */
    }
    for (int64_t t0 = 0; t0 < T; t0 += tl) {
        const int64_t len = min64(tl, T - t0);
        snn_input_tile(in, b, N, T, j0, n, t0, len, ti, list);
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
                    /* faulty spike H(V_u - 1); only the block's first is kept (z_u = 1, eq. 3.1.4-5) */
                    const int first_spike = mo[j] - 1.0f > 0.0f && fired[j] < 0;
                    so[j] = first_spike ? 1.0f : 0.0f;
                    fired[j] = first_spike ? uu : fired[j];
                }
            }
            if (u == blen - 1) {
                if (first != NULL) {
                    memcpy(first + k * first_stride, fired, (size_t) n * sizeof(int32_t));
                }
                if (wt != NULL && k + 1 < blocks) {
                    /* c_{k+1} = W_rec a_k + b_rec, a_k = [neuron spiked in block k] (eq. 4.2.4) */
                    int64_t count = 0;
                    for (int64_t i = 0; i < n; i++) {
                        list[count] = (int32_t) i;
                        count += fired[i] >= 0;
                    }
                    for (int64_t j = 0; j < n; j++) {
                        c[j] = 0.0f;
                    }
                    for (int64_t p = 0; p < count; p++) {
                        const float *col = wt + (int64_t) list[p] * n;
                        for (int64_t j = 0; j < n; j++) {
                            c[j] += col[j];
                        }
                    }
                    for (int64_t j = 0; j < n; j++) {
                        c[j] = b_rec[j] + c[j];
                    }
                }
            }
        }
        snn_store_tile(tm, n, len, mem, T, t0);
        if (spk != NULL) {
            snn_store_tile(ts, n, len, spk, T, t0);
        }
    }
}

SNN_API int32_t snn_dblock_forward(int64_t B, int64_t N, int64_t T, int64_t d,
        const float *cur, const float *x, int64_t M, const float *w_in, const float *b_in,
        uint32_t *ev_pos, float *ev_val, int32_t *ev_count, int64_t ev_cap,
        const float *beta, const float *w_rec, const float *b_rec,
        float *spk, float *mem, int32_t *first, int32_t threads)
{
    if (d < 1 || d > T) {
        return -2;
    }
    snn_input in;
    if (snn_input_init(&in, cur, x, M, N, w_in, b_in, ev_pos, ev_val, ev_count, ev_cap) != 0) {
        return -1;
    }
    float *wt = NULL;
    if (w_rec != NULL && (wt = snn_transpose(w_rec, N, N)) == NULL) {
        snn_input_free(&in);
        return -1;
    }
    const int64_t blocks = block_count(T, d);
    /* whole samples with recurrence (coupled neurons) or a projected input (scanned once per unit) */
    const int64_t chunk = w_rec != NULL || cur == NULL ? N : min64(N, SNN_CHUNK);
    const int64_t per_sample = (N + chunk - 1) / chunk;
    const int64_t tl = snn_tile_steps(chunk, T);
    int32_t status = 0;
#pragma omp parallel num_threads(threads)
    {
        float *work = malloc((size_t) forward_work(chunk, tl) * sizeof(float));
        /* fired (chunk), then spike lists (chunk) and non-zero input steps (tl) */
        int32_t *iwork = malloc((size_t) (chunk + (chunk > tl ? chunk : tl)) * sizeof(int32_t));
        const int ok = work != NULL && iwork != NULL;
        if (!ok) {
#pragma omp atomic write
            status = -1;
        }
#pragma omp for schedule(static)
        for (int64_t unit = 0; unit < B * per_sample; unit++) {
            if (!ok) {
                continue;
            }
            const int64_t b = unit / per_sample;
            const int64_t j0 = (unit % per_sample) * chunk;
            const int64_t n = min64(chunk, N - j0);
            const int64_t off = (b * N + j0) * T;
            dblock_forward_unit(&in, b, N, j0, n, T, tl, d, beta + j0, wt, b_rec, spk != NULL ? spk + off : NULL,
                    mem + off, first != NULL ? first + b * blocks * N + j0 : NULL, N, work, iwork, iwork + chunk);
        }
        free(work);
        free(iwork);
    }
    free(wt);
    snn_input_free(&in);
    return status;
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
static void dblock_backward_unit(int surr, float scale, int recurrent, int detach, int reduction,
        const snn_input *in, int64_t b, int64_t N, int64_t j0, int64_t n, int64_t T, int64_t tl, int64_t d,
        const float *beta, const float *w_rec, int spiking, const float *mem, const int32_t *first,
        int64_t first_stride, const float *gs, const float *gm, float *gcur, double *dbeta, double *gwt, double *gb,
        float *gwt_in, double *gb_in, float *work, int32_t *list)
{
    const int64_t tn = (tl + 1) * n;
    double *acc_a = (double *) work;
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
        const int64_t len = min64(tl, T - t0);
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
            if (spiking) {
                if (has_ga) {
                    /* dL/da_k reaches s_u: sum -> every step; amax -> the spike, or split evenly over the
                     * blen tied zeros of a silent block */
                    const int32_t *fk = first + k * first_stride;
                    const int32_t uu = (int32_t) u;
                    const float count = (float) blen;
                    if (reduction == SNN_REC_SUM) {
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
                    const int32_t *fp = first + (k - 1) * first_stride;
                    if (gwt != NULL) {
                        int64_t count = 0;
                        for (int64_t i = 0; i < n; i++) {
                            list[count] = (int32_t) i;
                            count += fp[i] >= 0;
                        }
                        for (int64_t p = 0; p < count; p++) {
                            double *row = gwt + (int64_t) list[p] * n;
                            for (int64_t j = 0; j < n; j++) {
                                row[j] += acc_c[j];
                            }
                        }
                        for (int64_t j = 0; j < n; j++) {
                            gb[j] += acc_c[j];
                        }
                    }
                    if (!detach) {
                        /* dL/da_{k-1} = W_rec^T dL/dc_k */
                        for (int64_t i = 0; i < n; i++) {
                            ga[i] = 0.0f;
                        }
                        for (int64_t j = 0; j < n; j++) {
                            const float cj = acc_c[j];
                            const float *row = w_rec + j * n;
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
        snn_input_grad_tile(in, b, N, T, j0, n, t0, len, tgc, gwt_in, gb_in, list);
    }
}

SNN_API int32_t snn_dblock_backward(int32_t surrogate, float scale, int32_t recurrent, int32_t detach,
        int32_t reduction, int64_t B, int64_t N, int64_t T, int64_t d, const float *x, int64_t M,
        const uint32_t *ev_pos, const float *ev_val, const int32_t *ev_count, int64_t ev_cap,
        const float *beta, const float *w_rec, const float *spk, const float *mem, const int32_t *first,
        const float *g_spk, const float *g_mem,
        float *g_cur, float *g_w_in, float *g_b_in, float *g_beta, float *g_w, float *g_b, int32_t threads)
{
    if (d < 1 || d > T) {
        return -2;
    }
    if (recurrent && (first == NULL || (!detach && w_rec == NULL))) {
        return -3;
    }
    const int64_t blocks = block_count(T, d);
    snn_input in = {.cur = NULL, .x = x, .wt = NULL, .bias = NULL, .m = M, .ev_pos = (uint32_t *) ev_pos,
            .ev_val = (float *) ev_val, .ev_count = (int32_t *) ev_count, .ev_cap = ev_cap};
    const int want_rec = recurrent && (g_w != NULL || g_b != NULL);
    const int64_t chunk = recurrent || x != NULL ? N : min64(N, SNN_CHUNK);
    const int64_t per_sample = (N + chunk - 1) / chunk;
    const int64_t tl = snn_tile_steps(chunk, T);
    snn_grads acc;
    if (snn_grads_init(&acc, threads, B, N, want_rec, x != NULL && g_w_in != NULL ? M : 0, g_b_in != NULL) != 0) {
        return -1;
    }
    int32_t status = 0;
#pragma omp parallel num_threads(threads)
    {
        const int tid = omp_get_thread_num();
        float *work = malloc((size_t) backward_work(chunk, tl) * sizeof(float));
        /* spike lists (chunk) and non-zero input steps (tl) */
        int32_t *list = malloc((size_t) (chunk > tl ? chunk : tl) * sizeof(int32_t));
        const int ok = work != NULL && list != NULL;
        if (!ok) {
#pragma omp atomic write
            status = -1;
        }
#pragma omp for schedule(static)
        for (int64_t unit = 0; unit < B * per_sample; unit++) {
            if (!ok) {
                continue;
            }
            const int64_t b = unit / per_sample;
            const int64_t j0 = (unit % per_sample) * chunk;
            const int64_t n = min64(chunk, N - j0);
            const int64_t off = (b * N + j0) * T;
            dblock_backward_unit(surrogate, scale, recurrent, detach, reduction, &in, b, N, j0, n, T, tl, d,
                    beta + j0, w_rec, spk != NULL, mem + off, first != NULL ? first + b * blocks * N + j0 : NULL, N,
                    g_spk != NULL ? g_spk + off : NULL, g_mem != NULL ? g_mem + off : NULL,
                    g_cur != NULL ? g_cur + off : NULL, acc.dbeta + b * N + j0, snn_grads_w(&acc, tid),
                    snn_grads_b(&acc, tid), snn_grads_w_in(&acc, tid), snn_grads_b_in(&acc, tid), work, list);
        }
        free(work);
        free(list);
    }
    if (status == 0) {
        snn_grads_reduce(&acc, g_beta, g_w, g_b, g_w_in, g_b_in);
    }
    snn_grads_free(&acc);
    return status;
}
