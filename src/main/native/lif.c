/*
 * The standard LIF layer, step by step (docs/specification.md section 2), forward and backward: the units that the
 * driver (common.c, snn_run) runs.
 *
 * One work unit is a sample b and a range of neurons [j0, j0 + n). Time runs in tiles (tile.h): the unit's rows
 * are moved to step-major scratch, the time loop runs over the tile with the neurons as the contiguous inner loop,
 * and the results are moved back. With recurrence the neurons of a sample are coupled through W_rec s_{t-1}, so
 * the unit is the whole sample and the recurrent input is computed event-driven (snn_recurrent_input).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tile.h"

/* Indices j < n with row[j] > 0, in order; returns their count and sets *nan when a spike is NaN. */
static int64_t spiking(const float *row, int64_t n, int32_t *list, int *nan)
{
    int64_t count = 0;
    int any_nan = 0;
    for (int64_t j = 0; j < n; j++) {
        list[count] = (int32_t) j;
        count += row[j] > 0.0f;
        any_nan |= row[j] != row[j];
    }
    *nan = any_nan;
    return count;
}

static int64_t forward_work(int64_t n, int64_t tl)
{
    return 3 * n + 4 * tl * n;
}

static void forward_unit(const snn_job *job, const snn_unit *un)
{
    const snn_lif_args *a = job->args;
    const snn_layer_args *l = &a->layer;
    const int mode = a->mode;
    const int surr = l->surrogate;
    const int64_t N = l->neurons;
    const int64_t T = l->steps;
    const int64_t tl = job->tile;
    const int64_t b = un->b;
    const int64_t j0 = un->j0;
    const int64_t n = un->n;
    const float *beta = l->beta + j0;
    const float *wt = job->wt_rec;
    float *spk = SNN_ROWS(l->spk, un);
    float *mem = SNN_ROWS(l->mem, un);
    float *pre = SNN_ROWS(a->pre, un);
    int32_t *first = l->first != NULL ? l->first + b * N + j0 : NULL;
    int32_t *list = un->iwork;
    float *v = un->work;
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
        const int64_t len = snn_min64(tl, T - t0);
        snn_input_tile(&job->in, b, N, T, j0, n, t0, len, ti, list);
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
                    u = t == 0 ? cur[j] : u; /* U_0 = I_0 */
                    /* s_t = H(U_t - 1); V_t = U_t - s_t (subtractive reset); the membrane reported is U_t */
                    float sp = snn_spike(u - 1.0f, surr);
                    v[j] = u - sp;
                    so[j] = sp;
                    mo[j] = u;
                }
                break;
            case SNN_LIF_SINGLE:
                for (int64_t j = 0; j < n; j++) {
                    float u = beta[j] * v[j] + cur[j] + r[j];
                    u = t == 0 ? cur[j] : u;
                    /* open_t = 1 - m_{t-1}; s_t = H(U_t - 1) open_t; V_t = U_t open_t; m_t = max(m_{t-1}, s_t),
                     * NaN when either is (torch.maximum) */
                    float open = 1.0f - m[j];
                    float sp = snn_spike(u - 1.0f, surr) * open;
                    float vv = u * open;
                    m[j] = m[j] >= sp || m[j] != m[j] ? m[j] : sp;
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
                    u = t == 0 ? cur[j] : u;
                    v[j] = u;
                    mo[j] = u;
                }
                break;
            }
            if (wt != NULL && t + 1 < T) {
                /* R_{t+1} = W_rec sg(s_t) + b_rec (eq. 2.1) */
                int nan;
                const int64_t count = spiking(so, n, list, &nan);
                snn_recurrent_input(r, wt, l->b_rec, n, list, count, nan);
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

static int64_t backward_work(int64_t n, int64_t tl)
{
    return 4 * n + 6 * (tl + 1) * n;
}

/*
 * Reverse pass over one unit. G_t = dL/dU_t is built from the future (G_{t+1}) and the upstream gradients;
 * dL/dI_t = G_t, dL/dbeta += G_t V_{t-1}, and with recurrence dL/dW_rec[:, i] += G_t for every neuron i that
 * spiked at t-1 and dL/db_rec += G_t (t >= 1).
 */
static void backward_unit(const snn_job *job, const snn_unit *un)
{
    const snn_lif_args *a = job->args;
    const snn_layer_args *l = &a->layer;
    const int mode = a->mode;
    const int surr = l->surrogate;
    const float scale = l->scale;
    const int64_t N = l->neurons;
    const int64_t T = l->steps;
    const int64_t tl = job->tile;
    const int64_t b = un->b;
    const int64_t j0 = un->j0;
    const int64_t n = un->n;
    const float *beta = l->beta + j0;
    const float *spk = SNN_ROWS(l->spk, un);
    const float *mem = SNN_ROWS(l->mem, un);
    const float *pre = SNN_ROWS(a->pre, un);
    const int32_t *first = l->first != NULL ? l->first + b * N + j0 : NULL;
    const float *gs = SNN_ROWS(l->g_spk, un);
    const float *gm = SNN_ROWS(l->g_mem, un);
    float *gcur = SNN_ROWS(l->grad.cur, un);
    double *dbeta = un->dbeta;
    double *gwt = un->gw_rec;
    int32_t *list = un->iwork;
    const int64_t tn = (tl + 1) * n;
    float *gnext = un->work;
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
        const int64_t len = snn_min64(tl, T - t0);
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
                    const float ga = t > ts ? 1.0f : (t == ts ? 0.0f : 0.5f);
                    const float gb = t > ts ? 0.0f : (t == ts ? 1.0f : 0.5f);
                    const float open = t > ts ? 0.0f : 1.0f;
                    /* sigma = dL/ds_t (upstream and through m_t); lambda = dL/dV_t (upstream and via U_{t+1}) */
                    const float sigma = g_s[j] + mu[j] * gb;
                    const float lam = g_m[j] + beta[j] * gnext[j];
                    /* s_t = H(U_t - 1) open_t, V_t = U_t open_t */
                    const float gt = sigma * open * h[j] + lam * open;
                    /* open_t = 1 - m_{t-1}: dL/dm_{t-1} = a mu_t - (sigma H(U_t - 1) + lambda U_t) */
                    mu[j] = mu[j] * ga - (sigma * shat + lam * p[j]);
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
                int nan;
                const int64_t count = spiking(skp, n, list, &nan);
                snn_recurrent_grad(gwt, un->gb_rec, gnext, n, list, count);
            }
        }
        if (gcur != NULL) {
            snn_store_tile(tgc, n, len, gcur, T, t0);
        }
        /* dL/dI is known for this tile: the projection's gradients */
        snn_input_grad_tile(&job->in, b, N, T, j0, n, t0, len, tgc, un->gw_in, un->gb_in, list);
    }
}

/* The LIF-specific checks: a known mode, spikes exactly when not integrating, and the single-spike buffers. */
static int valid(const void *args)
{
    const snn_lif_args *a = args;
    const snn_layer_args *l = &a->layer;
    const int single = a->mode == SNN_LIF_SINGLE;
    return a->mode >= SNN_LIF_MULTI && a->mode <= SNN_LIF_INTEGRATOR
            && l->spiking == (a->mode != SNN_LIF_INTEGRATOR) && (!single || (a->pre != NULL && l->first != NULL))
            && (l->w_rec == NULL || l->spiking);
}

static const snn_family LIF = {forward_unit, backward_unit, forward_work, backward_work, valid};

SNN_API int32_t snn_lif_forward(const snn_lif_args *a)
{
    return snn_call(&LIF, &a->layer, (int64_t) sizeof(*a), a, 1);
}

SNN_API int32_t snn_lif_backward(const snn_lif_args *a)
{
    return snn_call(&LIF, &a->layer, (int64_t) sizeof(*a), a, 0);
}
