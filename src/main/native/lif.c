/*
 * The standard LIF layer, step by step (docs/specification.md section 2), forward and backward: the units that the
 * driver (common.c) runs, written against the vector vocabulary of simd.h and compiled once per instruction set.
 *
 * A vector holds one step of SNN_W neurons. Time runs in tiles of SNN_W steps: each array's tile is moved between
 * its [neurons, time] rows and a small step-major staging tile (SNN_W steps x the unit's neurons, in L1) through
 * SNN_W x SNN_W register transposes; the recurrences then run over the staged steps with the neurons as vector
 * lanes. Without recurrence the neurons are independent, and each vector group keeps its state in registers across
 * a tile. With recurrence (W_rec s_{t-1} couples every neuron of a sample at every step) the unit is the whole sample,
 * and the forward pass runs each step over all groups before the recurrent input of the next step is formed
 * (recurrent.h); the backward pass does not go through the (detached) recurrence, so its neurons stay independent and
 * the W_rec gradient is formed after the scan.
 */
#include <string.h>

#include "unit.h"

#define W SNN_W

/* U_t = beta V_{t-1} + I_t (+ R_t = W_rec s_{t-1} + b_rec); U_0 = I_0. */
SNN_INLINE vf membrane(int64_t t, vf beta, vf v, vf in, vf r, int rec)
{
    if (t == 0) {
        return in;
    }
    const vf u = vf_add(vf_mul(beta, v), in);
    return rec ? vf_add(u, r) : u;
}

/* One forward step of one group: the state (v, m, first) in and out, the outputs (spike, membrane, pre) out. */
SNN_INLINE void forward_step(int mode, int reset, int surr, int64_t t, vf beta, vf in, vf r, int rec, vf *v,
        vf *m, vf *first, vf *so, vf *mo, vf *po)
{
    const vf one = vf_set1(1.0f);
    const vf u = membrane(t, beta, *v, in, r, rec);
    if (mode == SNN_LIF_MULTI) {
        /* s_t = H(U_t - 1); V_t = U_t - s_t (subtractive reset) or U_t - U_t s_t (reset to 0, as LibTorch computes
         * U_t (1 - s_t)); the membrane reported is U_t */
        const vf sp = vf_spike(vf_sub(u, one), surr);
        *v = vf_sub(u, reset == SNN_RESET_ZERO ? vf_mul(u, sp) : sp);
        *so = sp;
        *mo = u;
    } else if (mode == SNN_LIF_SINGLE) {
        /* open_t = 1 - m_{t-1}; s_t = H(U_t - 1) open_t; V_t = U_t open_t; m_t = max(m_{t-1}, s_t), NaN when either
         * is (torch.maximum) */
        const vf open = vf_sub(one, *m);
        const vf sp = vf_mul(vf_spike(vf_sub(u, one), surr), open);
        const vf vv = vf_mul(u, open);
        *m = vf_select(vm_or(vf_ge(*m, sp), vf_isnan(*m)), *m, sp);
        *first = vf_select(vf_gt(sp, vf_zero()), vf_set1((float) t), *first);
        *v = vv;
        *so = sp;
        *mo = vv;
        *po = u;
    } else {
        /* V_t = U_t = beta V_{t-1} + I_t: a leaky integrator */
        *v = u;
        *mo = u;
    }
}

/*
 * Staging tiles (input, membrane, spikes, pre), state (v, m, first, r, beta), a group's rows of the three outputs
 * (W x T each, streamed out when the group is done) and the projected input [T][ld].
 */
static int64_t forward_work(const snn_job *job, int64_t n)
{
    const int64_t ld = snn_pad(n);
    return 4 * W * ld + 5 * ld + 3 * W * job->layer->steps + snn_layer_work(job->layer, n, 0);
}

static void forward_unit(const snn_job *job, const snn_unit *un)
{
    const snn_lif_args *a = job->args;
    const snn_layer_args *l = &a->layer;
    const int mode = a->mode;
    const int reset = a->reset;
    const int surr = l->surrogate;
    const int rec = job->wt_rec != NULL;
    const int64_t N = l->neurons;
    const int64_t T = l->steps;
    const int64_t n = un->n;
    const int64_t ld = snn_pad(n);
    float *s_in = un->work;
    float *s_mem = s_in + W * ld;
    float *s_spk = s_mem + W * ld;
    float *s_pre = s_spk + W * ld;
    float *v = s_pre + W * ld;
    float *m = v + ld;
    float *first = m + ld;
    float *r = first + ld;
    float *beta = r + ld;
    float *o_mem = beta + ld;
    float *o_spk = o_mem + W * T;
    float *o_pre = o_spk + W * T;
    float *projected = snn_layer_scratch_at(job, un, 0, o_pre + W * T).projected;
    const float *cur = SNN_ROWS(l->in.cur, un);
    float *mem = SNN_ROWS(l->mem, un);
    float *spk = SNN_ROWS(l->spk, un);
    float *pre = SNN_ROWS(a->pre, un);
    int32_t *list = un->iwork;
    for (int64_t j = 0; j < ld; j++) {
        v[j] = 0.0f;
        m[j] = 0.0f;
        r[j] = 0.0f; /* no recurrent input at t = 0 (and none at all without W_rec) */
        first[j] = (float) T;
        beta[j] = j < n ? l->beta[un->j0 + j] : 0.0f;
    }
    if (cur == NULL) {
        snn_input_tile(&job->in, un->b, N, T, un->j0, n, 0, T, projected, ld, un->input_scratch);
    }
    if (!rec) {
        /* independent neurons: each group scans all steps with its state in registers */
        for (int64_t g = 0; g < n; g += W) {
            const int rn = snn_lanes(n, g);
            const vf bb = vf_load(beta + g);
            vf vv = vf_zero(), mm = vf_zero(), ff = vf_set1((float) T);
            for (int64_t t0 = 0; t0 < T; t0 += W) {
                const int len = (int) snn_min64(W, T - t0);
                vf in[W], so[W], mo[W], po[W];
                vf_current_tile(cur, projected, ld, T, g, rn, t0, len, in);
                for (int s = 0; s < len; s++) {
                    so[s] = mo[s] = po[s] = vf_zero();
                    forward_step(mode, reset, surr, t0 + s, bb, in[s], vf_zero(), 0, &vv, &mm, &ff, &so[s], &mo[s], &po[s]);
                }
                vf_tile_out(mo, rn, len, o_mem + t0, T);
                if (spk != NULL) {
                    vf_tile_out(so, rn, len, o_spk + t0, T);
                }
                if (pre != NULL) {
                    vf_tile_out(po, rn, len, o_pre + t0, T);
                }
            }
            vf_stream(mem + g * T, o_mem, rn * T);
            if (spk != NULL) {
                vf_stream(spk + g * T, o_spk, rn * T);
            }
            if (pre != NULL) {
                vf_stream(pre + g * T, o_pre, rn * T);
            }
            vf_store(first + g, ff);
        }
    }
    /* with recurrence every step needs all neurons' spikes of the step before: steps outer, groups inner */
    for (int64_t t0 = 0; rec && t0 < T; t0 += W) {
        const int len = (int) snn_min64(W, T - t0);
        const float *in = cur != NULL ? s_in : projected + t0 * ld;
        if (cur != NULL) {
            vf_stage_in(cur + t0, T, n, len, s_in, ld, SNN_PREFETCH_AHEAD);
        }
        for (int s = 0; s < len; s++) {
            const int64_t t = t0 + s;
            /* the sources of R_{t+1}, gathered as each group's spikes are formed (padding lanes never spike) */
            int64_t count = 0;
            vm nan = vm_none();
            for (int64_t g = 0; g < n; g += W) {
                /* m and first are the single-spike mode's state only */
                const int single = mode == SNN_LIF_SINGLE;
                vf vv = vf_load(v + g), mm = single ? vf_load(m + g) : vf_zero(),
                        ff = single ? vf_load(first + g) : vf_zero();
                vf so = vf_zero(), mo = vf_zero(), po = vf_zero();
                forward_step(mode, reset, surr, t, vf_load(beta + g), vf_load(in + s * ld + g), vf_load(r + g), 1, &vv, &mm,
                        &ff, &so, &mo, &po);
                vf_store(v + g, vv);
                vf_store(s_spk + s * ld + g, so);
                vf_store(s_mem + s * ld + g, mo);
                count += vm_compress(list + count, vf_gt(so, vf_zero()), (int32_t) g);
                nan = vm_or(nan, vf_isnan(so));
                if (single) {
                    vf_store(m + g, mm);
                    vf_store(first + g, ff);
                    vf_store(s_pre + s * ld + g, po);
                }
            }
            if (t + 1 < T) {
                /* R_{t+1} = W_rec sg(s_t) + b_rec (eq. 2.1) */
                snn_recurrent_input(r, job->wt_rec, l->b_rec, n, list, count, vm_bits(nan) != 0);
            }
        }
        vf_stage_out(s_mem, ld, n, len, mem + t0, T, SNN_PREFETCH_AHEAD);
        if (spk != NULL) {
            vf_stage_out(s_spk, ld, n, len, spk + t0, T, SNN_PREFETCH_AHEAD);
        }
        if (pre != NULL) {
            vf_stage_out(s_pre, ld, n, len, pre + t0, T, SNN_PREFETCH_AHEAD);
        }
    }
    if (mode == SNN_LIF_SINGLE) {
        for (int64_t g = 0; g < n; g += W) {
            vf_store_i32(l->first + un->b * N + un->j0 + g, vf_load(first + g), snn_lanes(n, g));
        }
    }
}

/*
 * One backward step of one group. G_t = dL/dU_t is built from the future (gnext = G_{t+1}) and the upstream
 * gradients; dL/dI_t = G_t. dL/dbeta gets G_{t+1} V_t here, at step t (the term the step t+1 contributes through
 * U_{t+1} = beta V_t + ...), which adds the same products in the same order as summing G_t V_{t-1} at each t.
 * mem is U_t (multi, integrator; unused by single), pre is U_t (single).
 */
SNN_INLINE void backward_step(int mode, int reset, int surr, float scale, int64_t t, int64_t T, vf beta, vf mem,
        vf pre, vf gs, vf gm, vf first, vf *gnext, vf *mu, vdd *dbeta, vf *g)
{
    const vf one = vf_set1(1.0f);
    if (mode == SNN_LIF_MULTI) {
        /* the forward pass's spike s_t = H(U_t - 1) and carried state V_t = U_t - s_t or U_t - U_t s_t */
        const int zero = reset == SNN_RESET_ZERO;
        const vf sp = vf_spike(vf_sub(mem, one), surr);
        if (t + 1 < T) {
            *dbeta = vdd_add(*dbeta, vdd_mul(vdd_of(*gnext), vdd_of(vf_sub(mem, zero ? vf_mul(mem, sp) : sp))));
        }
        /* lambda = dL/dV_t = beta G_{t+1}, and s_t = H(U_t - 1) with surrogate h. The gradient flows through the
         * reset: subtracting, G_t = g_m + h (g_s - lambda) + lambda; to zero, dV_t/dU_t = (1 - s_t) - U_t h, so
         * G_t = g_m + lambda - lambda s_t + h (g_s - lambda U_t), summed in the order LibTorch's autograd adds the
         * four terms (the membrane, the two arguments of U_t - U_t s_t, then the spike) */
        const vf h = vf_surrogate(surr, scale, mem);
        const vf lam = vf_mul(beta, *gnext);
        *gnext = zero ? vf_add(vf_sub(vf_add(gm, lam), vf_mul(lam, sp)), vf_mul(h, vf_sub(gs, vf_mul(lam, mem))))
                      : vf_add(vf_add(gm, vf_mul(h, vf_sub(gs, lam))), lam);
    } else if (mode == SNN_LIF_SINGLE) {
        const vf tv = vf_set1((float) t);
        const vm after = vf_gt(tv, first);
        const vm at = vf_eq(tv, first);
        const vf open = vf_select(after, vf_zero(), one);
        if (t + 1 < T) {
            /* dU_{t+1}/dbeta = V_t, the masked membrane U_t open_t (recomputed as the forward pass computed it) */
            *dbeta = vdd_add(*dbeta, vdd_mul(vdd_of(*gnext), vdd_of(vf_mul(pre, open))));
        }
        const vf h = vf_surrogate(surr, scale, pre);
        const vf half = vf_set1(0.5f);
        const vf shat = vf_select(vf_gt(vf_sub(pre, one), vf_zero()), one, vf_zero());
        /* m_{t-1} = [t > ts], s_t = [t = ts]; torch.maximum(m_{t-1}, s_t) passes its gradient to the larger input,
         * half to each on a tie: (a, b) = (1, 0) after, (0, 1) at, (1/2, 1/2) before */
        const vf ga = vf_select(after, one, vf_select(at, vf_zero(), half));
        const vf gb = vf_select(after, vf_zero(), vf_select(at, one, half));
        /* sigma = dL/ds_t (upstream and through m_t); lambda = dL/dV_t (upstream and via U_{t+1}) */
        const vf sigma = vf_add(gs, vf_mul(*mu, gb));
        const vf lam = vf_add(gm, vf_mul(beta, *gnext));
        /* s_t = H(U_t - 1) open_t, V_t = U_t open_t; open_t = 1 - m_{t-1}: dL/dm_{t-1} = a mu_t - (sigma H + lambda U_t) */
        *mu = vf_sub(vf_mul(*mu, ga), vf_add(vf_mul(sigma, shat), vf_mul(lam, pre)));
        *gnext = vf_add(vf_mul(vf_mul(sigma, open), h), vf_mul(lam, open));
    } else {
        if (t + 1 < T) {
            *dbeta = vdd_add(*dbeta, vdd_mul(vdd_of(*gnext), vdd_of(mem)));
        }
        /* V_t = U_t = beta V_{t-1} + I_t: G_t = g_m + beta G_{t+1} */
        *gnext = vf_add(gm, vf_mul(beta, *gnext));
    }
    *g = *gnext;
}

/*
 * State (first, beta), dL/dbeta in double, a group's rows of dL/dI (W x T, streamed out when the group is done), G_t
 * step-major [T][ld] when the W_rec gradient needs it and the layer does not project its input (which keeps dL/dI = G
 * there), and the layer's scratch.
 */
static int64_t backward_work(const snn_job *job, int64_t n)
{
    const snn_layer_args *l = job->layer;
    const int64_t ld = snn_pad(n);
    const int64_t steps = l->w_rec != NULL && l->in.cur != NULL ? l->steps * ld : 0;
    return 4 * ld + W * l->steps + steps + snn_layer_work(l, n, 1);
}

/*
 * The spikes of steps t0 .. t0 + len - 1 (len <= 64) of a sample's n rows, as one bit mask of steps per neuron (bit
 * s: step t0 + s): multi-spike, s_t = H(U_t - 1) from the membrane rows, as the forward pass computed it;
 * single-spike, the neuron's first spike step.
 */
static void tile_spikes(int mode, int surr, const float *mem, const float *first, int64_t T, int64_t t0, int len,
        int64_t n, uint64_t *bits)
{
    for (int64_t i = 0; i < n; i++) {
        if (mode == SNN_LIF_SINGLE) {
            const int64_t ts = (int64_t) first[i] - t0;
            bits[i] = ts >= 0 && ts < len ? (uint64_t) 1 << ts : 0;
            continue;
        }
        uint64_t b = 0;
        for (int s = 0; s < len; s += W) {
            const int lanes = len - s < W ? len - s : W;
            const vf u = vf_load_n(mem + i * T + t0 + s, lanes);
            const uint32_t all = (1u << lanes) - 1u;
            b |= (uint64_t) (vm_bits(vf_gt(vf_spike(vf_sub(u, vf_set1(1.0f)), surr), vf_zero())) & all) << s;
        }
        bits[i] = b;
    }
}

/*
 * Backward, one unit. The LIF's recurrence is detached (no gradient flows back through s_{t-1}), so the neurons are
 * independent here even with W_rec: each group scans all steps backwards with its state in registers, and the W_rec
 * gradient, which needs every neuron's G_{t+1} for each spike, is formed afterwards from G_t kept step-major.
 */
static void backward_unit(const snn_job *job, const snn_unit *un)
{
    const snn_lif_args *a = job->args;
    const snn_layer_args *l = &a->layer;
    const int mode = a->mode;
    const int reset = a->reset;
    const int surr = l->surrogate;
    const float scale = l->scale;
    const int64_t N = l->neurons;
    const int64_t T = l->steps;
    const int64_t n = un->n;
    const int64_t ld = snn_pad(n);
    float *first = un->work;
    float *beta = first + ld;
    double *dbeta = (double *) (beta + ld);
    float *o_gcur = (float *) (dbeta + ld);
    float *own_steps = o_gcur + W * T;
    const int64_t own = l->w_rec != NULL && l->in.cur != NULL ? T * ld : 0;
    const snn_layer_scratch ls = snn_layer_scratch_at(job, un, 1, own_steps + own);
    /* G_t step-major: the projected input's dL/dI, or the unit's own rows for the W_rec gradient */
    float *g_steps = ls.projected != NULL ? ls.projected : un->gw_rec != NULL ? own_steps : NULL;
    const float *mem = SNN_ROWS(l->mem, un);
    const float *pre = SNN_ROWS(a->pre, un);
    const float *gs = SNN_ROWS(l->g_spk, un);
    const float *gm = SNN_ROWS(l->g_mem, un);
    float *gcur = SNN_ROWS(l->grad.cur, un);
    for (int64_t j = 0; j < ld; j++) {
        beta[j] = j < n ? l->beta[un->j0 + j] : 0.0f;
        first[j] = 0.0f;
    }
    if (mode == SNN_LIF_SINGLE) {
        for (int64_t g = 0; g < n; g += W) {
            vf_store(first + g, vf_load_i32(l->first + un->b * N + un->j0 + g, snn_lanes(n, g)));
        }
    }
    for (int64_t g = 0; g < n; g += W) {
        const int rn = snn_lanes(n, g);
        const vf bb = vf_load(beta + g), ff = vf_load(first + g);
        vf gn = vf_zero(), mm = vf_zero();
        vdd db = vdd_zero();
        for (int64_t t0 = (T - 1) / W * W; t0 >= 0; t0 -= W) {
            const int len = (int) snn_min64(W, T - t0);
            vf um[W], up[W], dsp[W], dm[W], gc[W];
            if (mode != SNN_LIF_SINGLE) {
                vf_tile_prefetch(mem + g * T + t0, -SNN_PREFETCH_AHEAD, T, rn, 0);
                vf_tile_in(mem + g * T + t0, T, rn, len, um);
            } else {
                vf_tile_prefetch(pre + g * T + t0, -SNN_PREFETCH_AHEAD, T, rn, 0);
                vf_tile_in(pre + g * T + t0, T, rn, len, up);
            }
            if (gs != NULL) {
                vf_tile_prefetch(gs + g * T + t0, -SNN_PREFETCH_AHEAD, T, rn, 0);
                vf_tile_in(gs + g * T + t0, T, rn, len, dsp);
            }
            if (gm != NULL) {
                vf_tile_prefetch(gm + g * T + t0, -SNN_PREFETCH_AHEAD, T, rn, 0);
                vf_tile_in(gm + g * T + t0, T, rn, len, dm);
            }
            for (int s = len - 1; s >= 0; s--) {
                backward_step(mode, reset, surr, scale, t0 + s, T, bb, mode != SNN_LIF_SINGLE ? um[s] : vf_zero(),
                        mode == SNN_LIF_SINGLE ? up[s] : vf_zero(),
                        gs != NULL ? dsp[s] : vf_zero(), gm != NULL ? dm[s] : vf_zero(), ff, &gn, &mm, &db,
                        &gc[s]);
            }
            if (g_steps != NULL) {
                for (int s = 0; s < len; s++) {
                    vf_store(g_steps + (t0 + s) * ld + g, gc[s]);
                }
            }
            if (gcur != NULL) {
                vf_tile_out(gc, rn, len, o_gcur + t0, T);
            }
        }
        if (gcur != NULL) {
            vf_stream(gcur + g * T, o_gcur, rn * T);
        }
        vdd_store(dbeta + g, db, W);
    }
    if (un->gw_rec != NULL) {
        /* R_{t+1} = W_rec s_t + b_rec: dL/dW_rec[:, i] += G_{t+1} for each spike s_{t,i} with t + 1 < T, 64 steps
         * at a time (the unit's iwork has room for n masks of 64 bits) */
        uint64_t *bits = (uint64_t *) un->iwork;
        for (int64_t t0 = 0; t0 + 1 < T; t0 += 64) {
            const int len = (int) snn_min64(64, T - 1 - t0);
            tile_spikes(mode, surr, mem, first, T, t0, len, n, bits);
            snn_recurrent_grad_tile(ls.gw_rec, ls.gb_rec, g_steps + t0 * ld, n, ld, bits, len);
        }
    }
    snn_backward_finish(job, un, dbeta, &ls);
}

/*
 * The LIF-specific checks: a known mode and reset (zero for multi-spike only), spikes exactly when not integrating,
 * and the single-spike buffers.
 */
static int valid(const void *args)
{
    const snn_lif_args *a = args;
    const snn_layer_args *l = &a->layer;
    const int single = a->mode == SNN_LIF_SINGLE;
    return a->mode >= SNN_LIF_MULTI && a->mode <= SNN_LIF_INTEGRATOR
            && (a->reset == SNN_RESET_SUBTRACT || (a->reset == SNN_RESET_ZERO && a->mode == SNN_LIF_MULTI))
            && l->spiking == (a->mode != SNN_LIF_INTEGRATOR) && (!single || (a->pre != NULL && l->first != NULL))
            && (l->w_rec == NULL || l->spiking)
            /* the LIF layers do not hand their spikes on as bits (yet): only the d-block family produces them */
            && l->spk_bits == NULL && l->next.g == NULL;
}

const snn_family SNN_ISA_SYMBOL(snn_lif_family) = {forward_unit, backward_unit, forward_work, backward_work, valid};
