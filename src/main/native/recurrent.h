/*
 * The recurrent input and its gradients, shared by the LIF (every step) and d-block (every block boundary) kernels.
 * The input is event-driven: b_rec plus one column of W_rec per neuron that spiked. Inline, so that each ISA build of
 * the kernels vectorises them with its own instructions.
 */
#ifndef SNN_RECURRENT_H
#define SNN_RECURRENT_H

#include <math.h>
#include <stdint.h>

#include "simd.h"

/* How many vectors of neurons one pass over the sources sums at once: each has its own chain of additions, so that
 * the chains overlap. */
#define SNN_REC_CHAINS 8

/*
 * r = b_rec + the sum of the columns list[0 .. count) of W_rec (wt holds them as rows: wt[i * n + j] = W_rec[j, i]),
 * from the neurons that spiked; all NaN when `poisoned` (a NaN spike among the sources: LibTorch's product W_rec a
 * is NaN in every row then). Each r[j] adds its terms in list order.
 */
SNN_INLINE void snn_recurrent_input(float *r, const float *wt, const float *b_rec, int64_t n, const int32_t *list,
        int64_t count, int poisoned)
{
    for (int64_t g0 = 0; g0 < n; g0 += SNN_REC_CHAINS * SNN_W) {
        vf acc[SNN_REC_CHAINS];
        int lanes[SNN_REC_CHAINS];
        for (int c = 0; c < SNN_REC_CHAINS; c++) {
            const int64_t g = g0 + c * SNN_W;
            acc[c] = vf_zero();
            lanes[c] = g < n ? snn_lanes(n, g) : 0;
        }
        for (int64_t p = 0; p < count; p++) {
            const float *col = wt + (int64_t) list[p] * n + g0;
            for (int c = 0; c < SNN_REC_CHAINS; c++) {
                if (lanes[c] > 0) {
                    acc[c] = vf_add(acc[c], vf_load_n(col + c * SNN_W, lanes[c]));
                }
            }
        }
        for (int c = 0; c < SNN_REC_CHAINS; c++) {
            const int64_t g = g0 + c * SNN_W;
            if (lanes[c] > 0) {
                vf_store_n(r + g, poisoned ? vf_set1(NAN) : vf_add(vf_load_n(b_rec + g, lanes[c]), acc[c]), lanes[c]);
            }
        }
    }
}

/*
 * The recurrent input's weight gradient within one sample, accumulated in float (gwf[i * ld + j], ld >= n):
 * dL/dW_rec[:, i] += g for each i in list, dL/db_rec += g (gbf). snn_recurrent_grad_flush adds a sample's sums to
 * the thread's double accumulators, so that only one sample's terms are ever summed in float.
 */
SNN_INLINE void snn_recurrent_grad(float *gwf, float *gbf, const float *g, int64_t n, int64_t ld, const int32_t *list,
        int64_t count)
{
    for (int64_t q = 0; q < n; q += SNN_W) {
        const vf gq = vf_load(g + q);
        for (int64_t p = 0; p < count; p++) {
            float *row = gwf + (int64_t) list[p] * ld + q;
            vf_store(row, vf_add(vf_load(row), gq));
        }
        vf_store(gbf + q, vf_add(vf_load(gbf + q), gq));
    }
}

/*
 * The recurrent input's weight gradient over a tile of steps t0 .. t0 + len - 1 of one sample, into the same float
 * sums as snn_recurrent_grad: R_{t+1} = W_rec s_t + b_rec gives dL/dW_rec[:, i] += G_{t+1} for each spike s_{t,i} and
 * dL/db_rec += G_{t+1}, for the tile's steps with t + 1 < T (the first `len` ones). g holds G_{t0+1} .. G_{t0+len}
 * step-major (G_{t0+s} at g[s * ld], s = 1 .. len); bits[i] has bit s set when neuron i spiked at t0 + s (s < len <= 64).
 * Each neuron's row is read and written once per tile, in neuron order, however many times it spiked: a step-by-step
 * update touches a row per spike per step, scattered over an n x ld array larger than the L1 cache.
 */
SNN_INLINE void snn_recurrent_grad_tile(float *gwf, float *gbf, const float *g, int64_t n, int64_t ld,
        const uint64_t *bits, int len)
{
    for (int64_t q = 0; q < ld; q += SNN_W) {
        vf acc = vf_load(gbf + q);
        for (int s = 1; s <= len; s++) {
            acc = vf_add(acc, vf_load(g + s * ld + q));
        }
        vf_store(gbf + q, acc);
    }
    for (int64_t i = 0; i < n; i++) {
        const uint64_t b = bits[i];
        if (b == 0) {
            continue;
        }
        float *row = gwf + i * ld;
        for (int64_t q0 = 0; q0 < ld; q0 += SNN_REC_CHAINS * SNN_W) {
            vf acc[SNN_REC_CHAINS];
            for (int c = 0; c < SNN_REC_CHAINS; c++) {
                acc[c] = vf_zero();
            }
            for (uint64_t m = b; m != 0; m &= m - 1) {
                const float *gs = g + (int64_t) (__builtin_ctzll(m) + 1) * ld + q0;
                for (int c = 0; c < SNN_REC_CHAINS; c++) {
                    if (q0 + c * SNN_W < ld) {
                        acc[c] = vf_add(acc[c], vf_load(gs + c * SNN_W));
                    }
                }
            }
            for (int c = 0; c < SNN_REC_CHAINS; c++) {
                if (q0 + c * SNN_W < ld) {
                    vf_store(row + q0 + c * SNN_W, vf_add(vf_load(row + q0 + c * SNN_W), acc[c]));
                }
            }
        }
    }
}

/* gwt[i * n + j] += gwf[i * ld + j], gb[j] += gbf[j] for i, j < n, in that order; then gwf and gbf are zeroed. */
SNN_INLINE void snn_recurrent_grad_flush(double *gwt, double *gb, float *gwf, float *gbf, int64_t n, int64_t ld)
{
    for (int64_t i = 0; i < n; i++) {
        for (int64_t q = 0; q < n; q += SNN_W) {
            const int lanes = snn_lanes(n, q);
            double *row = gwt + i * n + q;
            vdd_store(row, vdd_add(vdd_load(row, lanes), vdd_of(vf_load(gwf + i * ld + q))), lanes);
            vf_store(gwf + i * ld + q, vf_zero());
        }
    }
    for (int64_t q = 0; q < n; q += SNN_W) {
        const int lanes = snn_lanes(n, q);
        vdd_store(gb + q, vdd_add(vdd_load(gb + q, lanes), vdd_of(vf_load(gbf + q))), lanes);
        vf_store(gbf + q, vf_zero());
    }
}

/* The gradient through the recurrent input into its sources: ga = W_rec^T g (w_rec [n, n], row-major). */
SNN_INLINE void snn_recurrent_back(float *ga, const float *w_rec, const float *g, int64_t n)
{
    for (int64_t q = 0; q < n; q += SNN_W) {
        const int lanes = snn_lanes(n, q);
        vf acc = vf_zero();
        for (int64_t j = 0; j < n; j++) {
            acc = vf_add(acc, vf_mul(vf_load_n(w_rec + j * n + q, lanes), vf_set1(g[j])));
        }
        vf_store_n(ga + q, acc, lanes);
    }
}

/*
 * The sources of a recurrent input: the indices j < n with s[j] > 0 (a spike, or a_k = 1), in order, one vector of
 * neurons at a time and without branches (their pattern is unpredictable); returns their count and sets *nan when one
 * of them is NaN. s has snn_pad(n) entries, list room for snn_pad(n).
 */
SNN_INLINE int64_t snn_sources(const float *s, int64_t n, int32_t *list, int *nan)
{
    int64_t count = 0;
    vm any_nan = vm_none();
    for (int64_t g = 0; g < n; g += SNN_W) {
        const vf v = vf_load_n(s + g, snn_lanes(n, g));
        count += vm_compress(list + count, vf_gt(v, vf_zero()), (int32_t) g);
        any_nan = vm_or(any_nan, vf_isnan(v));
    }
    *nan = vm_bits(any_nan) != 0;
    return count;
}

#endif
