/*
 * The standard LIF layer, step by step (docs/specification.md section 2), forward and backward.
 *
 * One work unit is a sample b and a range of neurons [j0, j0 + n). Time runs in tiles (tile.h): the unit's rows
 * are moved to step-major scratch, the time loop runs over the tile with the neurons as the contiguous inner loop,
 * and the results are moved back. With recurrence the neurons of a sample are coupled through W_rec s_{t-1}, so
 * the unit is the whole sample and the recurrent input is computed here, event-driven:
 * R_t = b_rec + the sum of the columns of W_rec of the neurons that spiked at t-1.
 */
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "snn_kernels.h"
#include "tile.h"
#include "input.h"

/* Neurons per work unit without recurrence. */
#define SNN_CHUNK 32

static inline int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* r = b_rec + sum over p < count of column list[p] of W_rec (wt holds the columns as rows). */
static void recurrent_input(float *r, const float *wt, const float *b_rec, int64_t n, const int32_t *list,
        int64_t count)
{
    for (int64_t j = 0; j < n; j++) {
        r[j] = 0.0f;
    }
    for (int64_t p = 0; p < count; p++) {
        const float *col = wt + (int64_t) list[p] * n;
        for (int64_t j = 0; j < n; j++) {
            r[j] += col[j];
        }
    }
    for (int64_t j = 0; j < n; j++) {
        r[j] = b_rec[j] + r[j];
    }
}

/* Indices j < n with row[j] > 0, in order; returns their count. */
static int64_t spiking(const float *row, int64_t n, int32_t *list)
{
    int64_t count = 0;
    for (int64_t j = 0; j < n; j++) {
        list[count] = (int32_t) j;
        count += row[j] > 0.0f;
    }
    return count;
}

/* Floats of per-thread scratch for a unit of n neurons. */
static int64_t forward_work(int64_t n, int64_t tl)
{
    return 3 * n + 4 * tl * n;
}

static void lif_forward_unit(int mode, const snn_input *in, int64_t b, int64_t N, int64_t j0, int64_t n, int64_t T,
        int64_t tl, const float *beta,
        const float *wt, const float *b_rec, float *spk, float *mem, float *pre, int32_t *first,
        float *work, int32_t *list)
{
    float *v = work;
    float *m = v + n;
    float *r = m + n;
    float *ti = r + n;
    float *ts = ti + tl * n;
    float *tm = ts + tl * n;
    float *tp = tm + tl * n;
    for (int64_t j = 0; j < n; j++) {
        v[j] = 0.0f;
        m[j] = 0.0f;
        r[j] = 0.0f; /* no recurrent input at t = 0 (and none at all without W_rec) */
        if (first != NULL) {
            first[j] = (int32_t) T;
        }
    }
    for (int64_t t0 = 0; t0 < T; t0 += tl) {
        const int64_t len = min64(tl, T - t0);
        snn_input_tile(in, b, N, T, j0, n, t0, len, ti, list);
        for (int64_t s = 0; s < len; s++) {
            const int32_t t = (int32_t) (t0 + s);
            const float *cur = ti + s * n;
            float *so = ts + s * n;
            float *mo = tm + s * n;
            float *po = tp + s * n;
            switch (mode) {
            case SNN_LIF_MULTI:
                for (int64_t j = 0; j < n; j++) {
                    /* U_t = beta V_{t-1} + I_t + R_t */
                    float u = beta[j] * v[j] + cur[j] + r[j];
                    /* s_t = H(U_t - 1); V_t = U_t - s_t (subtractive reset); the membrane reported is U_t */
                    float sp = u - 1.0f > 0.0f ? 1.0f : 0.0f;
                    v[j] = u - sp;
                    so[j] = sp;
                    mo[j] = u;
                }
                break;
            case SNN_LIF_SINGLE:
                for (int64_t j = 0; j < n; j++) {
                    float u = beta[j] * v[j] + cur[j] + r[j];
                    /* open_t = 1 - m_{t-1}; s_t = H(U_t - 1) open_t; V_t = U_t open_t; m_t = max(m_{t-1}, s_t) */
                    float open = 1.0f - m[j];
                    float sp = (u - 1.0f > 0.0f ? 1.0f : 0.0f) * open;
                    float vv = u * open;
                    m[j] = m[j] > sp ? m[j] : sp;
                    v[j] = vv;
                    so[j] = sp;
                    mo[j] = vv;
                    po[j] = u;
                    first[j] = sp > 0.0f ? t : first[j];
                }
                break;
            default:
                for (int64_t j = 0; j < n; j++) {
                    /* V_t = U_t = beta V_{t-1} + I_t: a leaky integrator */
                    float u = beta[j] * v[j] + cur[j];
                    v[j] = u;
                    mo[j] = u;
                }
                break;
            }
            if (wt != NULL && t + 1 < T) {
                /* R_{t+1} = W_rec sg(s_t) + b_rec (eq. 2.1) */
                recurrent_input(r, wt, b_rec, n, list, spiking(so, n, list));
            }
        }
        snn_store_tile(tm, n, len, mem, T, t0);
        if (spk != NULL) {
            snn_store_tile(ts, n, len, spk, T, t0);
        }
        if (pre != NULL) {
            snn_store_tile(tp, n, len, pre, T, t0);
        }
    }
}

SNN_API int32_t snn_lif_forward(int32_t mode, int64_t B, int64_t N, int64_t T,
        const float *cur, const float *x, int64_t M, const float *w_in, const float *b_in,
        uint32_t *ev_pos, float *ev_val, int32_t *ev_count, int64_t ev_cap,
        const float *beta, const float *w_rec, const float *b_rec,
        float *spk, float *mem, float *pre, int32_t *first, int32_t threads)
{
    snn_input in;
    if (snn_input_init(&in, cur, x, M, N, w_in, b_in, ev_pos, ev_val, ev_count, ev_cap) != 0) {
        return -1;
    }
    float *wt = NULL;
    if (w_rec != NULL && (wt = snn_transpose(w_rec, N, N)) == NULL) {
        snn_input_free(&in);
        return -1;
    }
    /* whole samples with recurrence (coupled neurons) or a projected input (scanned once per unit) */
    const int64_t chunk = w_rec != NULL || cur == NULL ? N : min64(N, SNN_CHUNK);
    const int64_t per_sample = (N + chunk - 1) / chunk;
    const int64_t tl = snn_tile_steps(chunk, T);
    int32_t status = 0;
#pragma omp parallel num_threads(threads)
    {
        float *work = malloc((size_t) forward_work(chunk, tl) * sizeof(float));
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
            lif_forward_unit(mode, &in, b, N, j0, n, T, tl, beta + j0, wt, b_rec,
                    spk != NULL ? spk + off : NULL, mem + off, pre != NULL ? pre + off : NULL,
                    first != NULL ? first + b * N + j0 : NULL, work, list);
        }
        free(work);
        free(list);
    }
    free(wt);
    snn_input_free(&in);
    return status;
}

static int64_t backward_work(int64_t n, int64_t tl)
{
    return 4 * n + 6 * (tl + 1) * n;
}

/*
 * Reverse pass over one unit. G_t = dL/dU_t is built from the future (G_{t+1}) and the upstream gradients;
 * dL/dI_t = G_t, dL/dbeta += G_t V_{t-1}, and with recurrence dL/dW_rec[:, i] += G_t for every neuron i that
 * spiked at t-1 and dL/db_rec += G_t (t >= 1).
 */
static void lif_backward_unit(int mode, int surr, float scale, const snn_input *in, int64_t b, int64_t N,
        int64_t j0, int64_t n, int64_t T, int64_t tl, const float *beta,
        const float *spk, const float *mem, const float *pre, const int32_t *first,
        const float *gs, const float *gm, float *gcur, double *dbeta, double *gwt, double *gb,
        float *gwt_in, double *gb_in, float *work, int32_t *list)
{
    const int64_t tn = (tl + 1) * n;
    float *gnext = work;
    float *mu = gnext + n;
    float *h = mu + n;
    float *zero = h + n;
    float *tm = zero + n;
    float *tsk = tm + tn;
    float *tgs = tsk + tn;
    float *tgm = tgs + tn;
    float *tpre = tgm + tn;
    float *tgc = tpre + tn;
    const int need_spikes = spk != NULL && (mode == SNN_LIF_MULTI || gwt != NULL);
    for (int64_t j = 0; j < n; j++) {
        gnext[j] = 0.0f;
        mu[j] = 0.0f;
        zero[j] = 0.0f;
        dbeta[j] = 0.0;
    }
    for (int64_t t0 = (T - 1) / tl * tl; t0 >= 0; t0 -= tl) {
        const int64_t len = min64(tl, T - t0);
        const int64_t off = t0 > 0 ? 1 : 0; /* the membrane and spike tiles also hold step t0 - 1 */
        snn_load_tile(mem, T, t0 - off, len + off, n, tm);
        if (need_spikes) {
            snn_load_tile(spk, T, t0 - off, len + off, n, tsk);
        }
        if (gs != NULL) {
            snn_load_tile(gs, T, t0, len, n, tgs);
        }
        if (gm != NULL) {
            snn_load_tile(gm, T, t0, len, n, tgm);
        }
        if (mode == SNN_LIF_SINGLE) {
            snn_load_tile(pre, T, t0, len, n, tpre);
        }
        for (int64_t s = len - 1; s >= 0; s--) {
            const int32_t t = (int32_t) (t0 + s);
            const float *u = tm + (s + off) * n;   /* step t */
            const float *up = u - n;                /* step t - 1, when t > 0 */
            const float *sk = tsk + (s + off) * n;
            const float *skp = sk - n;
            const float *g_s = gs != NULL ? tgs + s * n : zero;
            const float *g_m = gm != NULL ? tgm + s * n : zero;
            float *g = tgc + s * n;
            switch (mode) {
            case SNN_LIF_MULTI:
                snn_surrogate_row(surr, scale, u, h, n);
                for (int64_t j = 0; j < n; j++) {
                    /* lambda = dL/dV_t = beta G_{t+1}; V_t = U_t - s_t and s_t = H(U_t - 1) give
                     * G_t = g_m + h (g_s - lambda) + lambda (the gradient flows through the reset) */
                    float lam = beta[j] * gnext[j];
                    float gt = g_m[j] + h[j] * (g_s[j] - lam) + lam;
                    gnext[j] = gt;
                    g[j] = gt;
                }
                if (t > 0) {
                    for (int64_t j = 0; j < n; j++) {
                        /* dU_t/dbeta = V_{t-1} = U_{t-1} - s_{t-1} */
                        dbeta[j] += (double) gnext[j] * (double) (up[j] - skp[j]);
                    }
                }
                break;
            case SNN_LIF_SINGLE: {
                const float *p = tpre + s * n;
                snn_surrogate_row(surr, scale, p, h, n);
                for (int64_t j = 0; j < n; j++) {
                    const int32_t ts = first[j];
                    const float shat = p[j] - 1.0f > 0.0f ? 1.0f : 0.0f;
                    /* m_{t-1} = [t > ts], s_t = [t = ts]; torch.maximum(m_{t-1}, s_t) passes its gradient to the
                     * larger input, half to each on a tie: (a, b) = (1, 0) after, (0, 1) at, (1/2, 1/2) before */
                    const float a = t > ts ? 1.0f : (t == ts ? 0.0f : 0.5f);
                    const float bc = t > ts ? 0.0f : (t == ts ? 1.0f : 0.5f);
                    const float open = t > ts ? 0.0f : 1.0f;
                    /* sigma = dL/ds_t (upstream and through m_t); lambda = dL/dV_t (upstream and via U_{t+1}) */
                    const float sigma = g_s[j] + mu[j] * bc;
                    const float lam = g_m[j] + beta[j] * gnext[j];
                    /* s_t = H(U_t - 1) open_t, V_t = U_t open_t */
                    const float gt = sigma * open * h[j] + lam * open;
                    /* open_t = 1 - m_{t-1}: dL/dm_{t-1} = a mu_t - (sigma H(U_t - 1) + lambda U_t) */
                    mu[j] = mu[j] * a - (sigma * shat + lam * p[j]);
                    gnext[j] = gt;
                    g[j] = gt;
                }
                if (t > 0) {
                    for (int64_t j = 0; j < n; j++) {
                        /* dU_t/dbeta = V_{t-1}, the masked membrane */
                        dbeta[j] += (double) gnext[j] * (double) up[j];
                    }
                }
                break;
            }
            default:
                for (int64_t j = 0; j < n; j++) {
                    /* V_t = U_t = beta V_{t-1} + I_t: G_t = g_m + beta G_{t+1} */
                    float gt = g_m[j] + beta[j] * gnext[j];
                    gnext[j] = gt;
                    g[j] = gt;
                }
                if (t > 0) {
                    for (int64_t j = 0; j < n; j++) {
                        dbeta[j] += (double) gnext[j] * (double) up[j];
                    }
                }
                break;
            }
            if (gwt != NULL && t > 0) {
                /* R_t = W_rec s_{t-1} + b_rec: dL/dW_rec[:, i] += G_t for each i with s_{t-1,i} = 1 */
                const int64_t count = spiking(skp, n, list);
                for (int64_t p = 0; p < count; p++) {
                    double *row = gwt + (int64_t) list[p] * n;
                    for (int64_t j = 0; j < n; j++) {
                        row[j] += gnext[j];
                    }
                }
                for (int64_t j = 0; j < n; j++) {
                    gb[j] += gnext[j];
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

SNN_API int32_t snn_lif_backward(int32_t mode, int32_t surrogate, float scale, int32_t recurrent,
        int64_t B, int64_t N, int64_t T, const float *x, int64_t M,
        const uint32_t *ev_pos, const float *ev_val, const int32_t *ev_count, int64_t ev_cap, const float *beta,
        const float *spk, const float *mem, const float *pre, const int32_t *first,
        const float *g_spk, const float *g_mem,
        float *g_cur, float *g_w_in, float *g_b_in, float *g_beta, float *g_w, float *g_b, int32_t threads)
{
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
            lif_backward_unit(mode, surrogate, scale, &in, b, N, j0, n, T, tl, beta + j0,
                    spk != NULL ? spk + off : NULL, mem + off, pre != NULL ? pre + off : NULL,
                    first != NULL ? first + b * N + j0 : NULL,
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
