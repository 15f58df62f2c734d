/*
 * The block (d = 1) and d-block layers (docs/specification.md sections 3 and 4), forward and backward, O(T) per neuron:
 * a sequential beta scan replaces the O(T^2) convolution and the first spike is found while scanning. These are the
 * units that the driver (common.c) runs, written against the vector vocabulary of simd.h and compiled once per
 * instruction set.
 *
 * Blocks couple the neurons of a sample only at their boundaries (c_{k+1} = W_rec a_k + b_rec), so a unit runs block
 * by block, and inside a block each group of SNN_W neurons scans all its steps with the state in registers: tiles of
 * SNN_W steps move between the [neurons, time] rows and the registers through SNN_W x SNN_W transposes, with no
 * staging copy. The straight-through sums, the surrogate and the first-spike logic are fused into the scans.
 */
#include <string.h>

#include "unit.h"

#define W SNN_W

/* `fired` of a neuron whose block holds a NaN faulty spike: its later spikes and a_k are NaN. */
#define SNN_FIRED_NAN (-2.0f)

/* Blocks: d regular ones of L = floor(T/d) steps, then one of r = T - dL steps when r > 0 (eq. 4.1). */
SNN_INLINE int64_t block_count(int64_t T, int64_t d)
{
    return T - d * (T / d) > 0 ? d + 1 : d;
}

SNN_INLINE int64_t block_length(int64_t T, int64_t d, int64_t k)
{
    return k < d ? T / d : T - d * (T / d);
}

/* Injection c (ld), fired (ld), a_k (ld), beta (ld), the rows of the two outputs when streamed, the projected input. */
static int64_t forward_work(const snn_job *job, int64_t n)
{
    const int64_t ld = snn_pad(n);
    return 4 * ld + snn_stream_floats(job, 2) + snn_layer_work(job->layer, n, 0);
}

static void forward_unit(const snn_job *job, const snn_unit *un)
{
    const snn_dblock_args *a = job->args;
    const snn_layer_args *l = &a->layer;
    const int surr = l->surrogate;
    const int64_t N = l->neurons;
    const int64_t T = l->steps;
    const int64_t d = a->blocks;
    const int64_t n = un->n;
    const int64_t ld = snn_pad(n);
    const int64_t blocks = block_count(T, d);
    float *c = un->work;
    float *fired = c + ld;
    float *act = fired + ld;
    float *beta = act + ld;
    const int64_t streamed = snn_stream_floats(job, 2);
    float *projected = snn_layer_scratch_at(job, un, 0, beta + ld + streamed).projected;
    const float *cur = SNN_ROWS(l->in.cur, un);
    float *mem = SNN_ROWS(l->mem, un);
    float *spk = SNN_ROWS(l->spk, un);
    /* where the outputs' rows are formed: the cached buffer, streamed out at the end, or in place */
    float *o_mem = streamed ? beta + ld : mem;
    float *o_spk = streamed ? beta + ld + n * T : spk;
    int32_t *first = l->first != NULL ? l->first + un->b * blocks * N + un->j0 : NULL;
    int32_t *list = un->iwork;
    const int64_t words = snn_words(T);
    uint64_t *bits = spk != NULL && l->spk_bits != NULL ? l->spk_bits + un->row0 / T * words : NULL;
    if (bits != NULL) {
        memset(bits, 0, (size_t) (n * words) * sizeof(uint64_t));
    }
    for (int64_t j = 0; j < ld; j++) {
        c[j] = 0.0f; /* c_0 = 0 */
        beta[j] = j < n ? l->beta[un->j0 + j] : 0.0f;
    }
    if (cur == NULL) {
        snn_input_tile(&job->in, un->b, N, T, un->j0, n, 0, T, projected, ld, un->input_scratch);
    }
    const vf one = vf_set1(1.0f);
    for (int64_t k = 0, k0 = 0; k < blocks; k0 += block_length(T, d, k), k++) {
        const int64_t blen = block_length(T, d, k);
        for (int64_t g = 0; g < n; g += W) {
            const int rn = snn_lanes(n, g);
            const vf bb = vf_load(beta + g);
            const vf cc = vf_load(c + g);
            vf v = vf_zero();
            vf fi = vf_set1(-1.0f); /* the block's spike step, -1 before it, SNN_FIRED_NAN after a NaN */
            for (int64_t s0 = 0; s0 < blen; s0 += W) {
                const int len = (int) snn_min64(W, blen - s0);
                vf in[W], vo[W], so[W];
                vf_current_tile(cur, projected, ld, T, g, rn, k0 + s0, len, in);
                for (int s = 0; s < len; s++) {
                    const int64_t u = s0 + s;
                    /* V_0 = I_0 + c_k: the block starts from rest (eq. 4.2.2); V_u = beta V_{u-1} + I_u (no reset) */
                    v = u == 0 ? vf_add(in[s], cc) : vf_add(vf_mul(bb, v), in[s]);
                    vo[s] = v;
                    if (spk == NULL) {
                        continue;
                    }
                    /* faulty spike H(V_u - 1); only the block's first is kept (z_u = 1, eq. 3.1.4-5); from a NaN
                     * faulty spike on, the cumulative sums and so the block's spikes are NaN */
                    const vf f = vf_spike(vf_sub(v, one), surr);
                    const vm nan = vm_or(vf_isnan(f), vf_eq(fi, vf_set1(SNN_FIRED_NAN)));
                    const vm now = vm_andnot(vm_and(vf_gt(f, vf_zero()), vf_eq(fi, vf_set1(-1.0f))), nan);
                    so[s] = vf_select(nan, vf_set1(NAN), vf_select(now, one, vf_zero()));
                    fi = vf_select(nan, vf_set1(SNN_FIRED_NAN), vf_select(now, vf_set1((float) u), fi));
                    if (bits != NULL) {
                        const unsigned nans = vm_bits(nan) & ((1u << rn) - 1u);
                        snn_mark_spikes(bits + g * words, words, (vm_bits(now) | nans) & ((1u << rn) - 1u), k0 + u);
                        if (nans != 0) {
                            __atomic_store_n(l->spk_nan + un->b, 1, __ATOMIC_RELAXED);
                        }
                    }
                }
                if (!streamed) {
                    vf_tile_prefetch(mem + g * T + k0 + s0, SNN_PREFETCH_AHEAD, T, rn, 1);
                }
                vf_tile_out(vo, rn, len, o_mem + g * T + k0 + s0, T);
                if (spk != NULL) {
                    if (!streamed) {
                        vf_tile_prefetch(spk + g * T + k0 + s0, SNN_PREFETCH_AHEAD, T, rn, 1);
                    }
                    vf_tile_out(so, rn, len, o_spk + g * T + k0 + s0, T);
                }
            }
            vf_store(fired + g, fi);
            /* a_k: 1 for a neuron that spiked in block k, NaN after a NaN spike, else 0 */
            vf_store(act + g, vf_select(vf_eq(fi, vf_set1(SNN_FIRED_NAN)), vf_set1(NAN),
                    vf_select(vf_ge(fi, vf_zero()), one, vf_zero())));
            if (first != NULL) {
                vf_store_i32(first + k * N + g, fi, rn);
            }
        }
        if (job->wt_rec != NULL && k + 1 < blocks) {
            /* c_{k+1} = W_rec a_k + b_rec (eq. 4.2.4) */
            int nan;
            const int64_t count = snn_sources(act, n, list, &nan);
            snn_recurrent_input(c, job->wt_rec, l->b_rec, n, list, count, nan);
        }
    }
    if (streamed) {
        vf_stream(mem, o_mem, n * T);
        if (spk != NULL) {
            vf_stream(spk, o_spk, n * T);
        }
    }
}

/*
 * c_0 of the block (ld), dL/da (ld), beta (ld), a_{k-1} (ld), dL/dbeta in double (2 ld), the rows of dL/dI when
 * streamed, dL/dI [T][ld], and the sample's dL/dW_rec, dL/db_rec in float.
 */
static int64_t backward_work(const snn_job *job, int64_t n)
{
    const int64_t ld = snn_pad(n);
    return 4 * ld + 2 * ld + snn_stream_floats(job, 1) + snn_layer_work(job->layer, n, 1)
            + snn_next_work(job->layer, n);
}

/*
 * Reverse pass over one unit, block by block from the last. Inside a block, with delta_u = dL/ds_u:
 *   A_u = sum_{t>=u} delta_t, B_u = sum_{t>=u} A_t = dL/dshat_u          (straight-through g, eq. 3.2)
 *   dL/dV_u = B_u H'(V_u - 1) + g_mem_u,  C_u = dL/dV_u + beta C_{u+1} = dL/dI_u
 *   dL/dbeta += C_{u+1} V_u (u + 1 < the block's length: V_0 has no beta because the block starts from rest)
 * C_0 is dL/dc_k for the injection c_k = W_rec a_{k-1} + b_rec, which gives the W_rec and b_rec gradients and,
 * unless detached, dL/da_{k-1} = W_rec^T C_0, spread over block k-1 by the max (or sum) reduction.
 */
static void backward_unit(const snn_job *job, const snn_unit *un)
{
    const snn_dblock_args *a = job->args;
    const snn_layer_args *l = &a->layer;
    const int surr = l->surrogate;
    const float scale = l->scale;
    const int64_t N = l->neurons;
    const int64_t T = l->steps;
    const int64_t d = a->blocks;
    const int64_t n = un->n;
    const int64_t ld = snn_pad(n);
    const int64_t blocks = block_count(T, d);
    const int attached = l->w_rec != NULL && !a->detach;
    float *c0 = un->work;
    float *ga = c0 + ld;
    float *beta = ga + ld;
    float *act = beta + ld;
    double *dbeta = (double *) (act + ld);
    const int64_t streamed = l->grad.cur != NULL ? snn_stream_floats(job, 1) : 0;
    float *o_gcur = (float *) (dbeta + ld);
    const snn_layer_scratch ls = snn_layer_scratch_at(job, un, 1, o_gcur + snn_stream_floats(job, 1));
    float *g_projected = ls.projected;
    /* a consumer's share of dL/ds, step-major [T][ld] after the layer's scratch */
    float *g_next = snn_next_grad(job, un, o_gcur + snn_stream_floats(job, 1) + snn_layer_work(l, n, 1));
    const float *mem = SNN_ROWS(l->mem, un);
    const int32_t *first = l->first != NULL ? l->first + un->b * blocks * N + un->j0 : NULL;
    const float *gs = SNN_ROWS(l->g_spk, un);
    const float *gm = SNN_ROWS(l->g_mem, un);
    float *gcur = SNN_ROWS(l->grad.cur, un);
    if (!streamed) {
        o_gcur = gcur;
    }
    int32_t *list = un->iwork;
    int has_ga = 0;
    for (int64_t j = 0; j < ld; j++) {
        dbeta[j] = 0.0;
        ga[j] = 0.0f;
        beta[j] = j < n ? l->beta[un->j0 + j] : 0.0f;
    }
    const vf one = vf_set1(1.0f);
    int64_t k0 = T;
    for (int64_t k = blocks - 1; k >= 0; k--) {
        const int64_t blen = block_length(T, d, k);
        k0 -= blen;
        const vf count = vf_set1((float) blen);
        for (int64_t g = 0; g < n; g += W) {
            const int rn = snn_lanes(n, g);
            const vf bb = vf_load(beta + g);
            const vf dga = vf_load(ga + g);
            /* the local step of the block's spike, for the amax split of dL/da_k */
            const vf fk = has_ga && first != NULL ? vf_load_i32(first + k * N + g, rn) : vf_set1(-1.0f);
            vdd acc_a = vdd_zero(), acc_b = vdd_zero();
            vdd db = vdd_load(dbeta + g, W);
            vf acc_c = vf_zero();
            for (int64_t s0 = (blen - 1) / W * W; s0 >= 0; s0 -= W) {
                const int len = (int) snn_min64(W, blen - s0);
                const int64_t t0 = k0 + s0;
                vf v[W], dsp[W], dm[W], gc[W];
                vf_tile_prefetch(mem + g * T + t0, -SNN_PREFETCH_AHEAD, T, rn, 0);
                vf_tile_in(mem + g * T + t0, T, rn, len, v);
                if (gs != NULL) {
                    vf_tile_prefetch(gs + g * T + t0, -SNN_PREFETCH_AHEAD, T, rn, 0);
                    vf_tile_in(gs + g * T + t0, T, rn, len, dsp);
                }
                if (gm != NULL) {
                    vf_tile_prefetch(gm + g * T + t0, -SNN_PREFETCH_AHEAD, T, rn, 0);
                    vf_tile_in(gm + g * T + t0, T, rn, len, dm);
                }
                for (int s = len - 1; s >= 0; s--) {
                    const int64_t u = s0 + s;
                    const vf g_m = gm != NULL ? dm[s] : vf_zero();
                    if (u + 1 < blen) {
                        /* dV_{u+1}/dbeta = V_u */
                        db = vdd_add(db, vdd_mul(vdd_of(acc_c), vdd_of(v[s])));
                    }
                    vf cc;
                    if (l->spiking) {
                        vf g_s = gs != NULL ? dsp[s] : vf_zero();
                        if (g_next != NULL) {
                            g_s = vf_add(g_s, vf_load(g_next + (t0 + s) * ld + g));
                        }
                        if (has_ga) {
                            /* dL/da_k reaches s_u: sum -> every step; amax -> the spike, or split evenly over the
                             * blen tied zeros of a silent block */
                            g_s = vf_add(g_s, a->reduction == SNN_REDUCE_SUM ? dga
                                    : vf_select(vf_ge(fk, vf_zero()),
                                            vf_select(vf_eq(fk, vf_set1((float) u)), dga, vf_zero()),
                                            vf_div(dga, count)));
                        }
                        acc_a = vdd_add(acc_a, vdd_of(g_s));
                        acc_b = vdd_add(acc_b, acc_a);
                        const vf gv = vf_add(vf_mul(vdd_to_vf(acc_b), vf_surrogate(surr, scale, v[s])), g_m);
                        cc = vf_add(gv, vf_mul(bb, acc_c));
                    } else {
                        cc = vf_add(g_m, vf_mul(bb, acc_c));
                    }
                    acc_c = cc;
                    gc[s] = cc;
                }
                if (l->in.cur == NULL) {
                    for (int s = 0; s < len; s++) {
                        vf_store(g_projected + (t0 + s) * ld + g, gc[s]);
                    }
                }
                if (gcur != NULL) {
                    if (!streamed) {
                        vf_tile_prefetch(gcur + g * T + t0, -SNN_PREFETCH_AHEAD, T, rn, 1);
                    }
                    vf_tile_out(gc, rn, len, o_gcur + g * T + t0, T);
                }
            }
            /* step 0 of block k: C_0 = dL/dc_k */
            vf_store(c0 + g, acc_c);
            vdd_store(dbeta + g, db, W);
        }
        has_ga = 0;
        if (l->w_rec != NULL && k > 0) {
            if (un->gw_rec != NULL) {
                for (int64_t g = 0; g < n; g += W) {
                    const vf fp = vf_load_i32(first + (k - 1) * N + g, snn_lanes(n, g));
                    vf_store(act + g, vf_select(vf_ge(fp, vf_zero()), one, vf_zero()));
                }
                int nan;
                const int64_t sources = snn_sources(act, n, list, &nan);
                snn_recurrent_grad(ls.gw_rec, ls.gb_rec, c0, n, ld, list, sources);
            }
            if (attached) {
                /* dL/da_{k-1} = W_rec^T dL/dc_k */
                snn_recurrent_back(ga, l->w_rec, c0, n);
                has_ga = 1;
            }
        }
    }
    if (streamed) {
        vf_stream(gcur, o_gcur, n * T);
    }
    snn_backward_finish(job, un, dbeta, &ls);
}

/* The d-block-specific checks: 1 <= d <= T, a known reduction, and recurrence only with spikes and `first`. */
static int valid(const void *args)
{
    const snn_dblock_args *a = args;
    const snn_layer_args *l = &a->layer;
    return a->blocks >= 1 && a->blocks <= l->steps && a->reduction >= SNN_REDUCE_MAX
            && a->reduction <= SNN_REDUCE_SUM && (l->w_rec == NULL || (l->spiking && l->first != NULL));
}

const snn_family SNN_ISA_SYMBOL(snn_dblock_family) = {forward_unit, backward_unit, forward_work, backward_work,
        valid};
