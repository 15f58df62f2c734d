/*
 * The parts of a work unit that both families (lif.c, dblock.c) share around their scans: the scratch that the layer's
 * input and recurrence need besides each family's own state, and the end of a backward unit (the beta, W_rec and
 * input projection gradients of the unit). Written against simd.h, so each ISA build compiles its own copy.
 */
#ifndef SNN_UNIT_H
#define SNN_UNIT_H

#include <string.h>

#include "internal.h"
#include "input_grad.h"
#include "recurrent.h"

/*
 * The layer's scratch of a unit of n neurons, after the family's own in the unit's work area: the projected input or,
 * backward, its dL/dI, step-major [T][snn_pad(n)] (when the layer projects x); backward only, the sample's dL/dW_rec
 * (transposed, n rows of snn_pad(n)) and dL/db_rec in float (when W_rec is there) and dL/dI as rows [n][T] (when dL/dx
 * is wanted). Absent parts are NULL.
 */
typedef struct {
    float *projected;
    float *gw_rec;
    float *gb_rec;
    float *rows;
} snn_layer_scratch;

/*
 * The cached buffer in which a unit forms `arrays` outputs of whole rows before streaming them out (vf_stream): its
 * floats, or 0 when the rows of a full unit (job->chunk of them) would not fit the budget, a share of the L2 cache;
 * the unit then writes its outputs in place. Decided per job, so that every unit agrees with the work area's size.
 */
#define SNN_STREAM_BUDGET ((int64_t) 1 << 18)
SNN_INLINE int64_t snn_stream_floats(const snn_job *job, int arrays)
{
    const int64_t floats = arrays * job->chunk * job->layer->steps;
    return floats <= SNN_STREAM_BUDGET ? floats : 0;
}

/* Floats of the layer's scratch of a unit of n neurons. */
SNN_INLINE int64_t snn_layer_work(const snn_layer_args *l, int64_t n, int backward)
{
    const int64_t ld = snn_pad(n);
    const int64_t projected = l->in.cur == NULL ? l->steps * ld : 0;
    if (!backward) {
        return projected;
    }
    return projected + (l->w_rec != NULL ? (n + 1) * ld : 0) + (l->grad.x != NULL ? n * l->steps : 0);
}

/* The layer's scratch of the unit starting at `at`; a backward pass's W_rec gradient starts at zero when wanted. */
SNN_INLINE snn_layer_scratch snn_layer_scratch_at(const snn_job *job, const snn_unit *un, int backward, float *at)
{
    const snn_layer_args *l = job->layer;
    const int64_t n = un->n;
    const int64_t ld = snn_pad(n);
    snn_layer_scratch s = {NULL, NULL, NULL, NULL};
    if (l->in.cur == NULL) {
        s.projected = at;
        at += l->steps * ld;
    }
    if (backward && l->w_rec != NULL) {
        s.gw_rec = at;
        s.gb_rec = at + n * ld;
        if (un->gw_rec != NULL) {
            memset(at, 0, (size_t) ((n + 1) * ld) * sizeof(float));
        }
        at += (n + 1) * ld;
    }
    if (backward && l->grad.x != NULL) {
        s.rows = at;
    }
    return s;
}

/*
 * Marks a step's spikes in a group's bit mask rows (bits of the group's first neuron; `words` per row): lane l of
 * `lanes` set puts step t into neuron l's row. Spikes are rare, so the loop runs once per spike.
 */
SNN_INLINE void snn_mark_spikes(uint64_t *bits, int64_t words, unsigned lanes, int64_t t)
{
    for (unsigned m = lanes; m != 0; m &= m - 1) {
        bits[(int64_t) __builtin_ctz(m) * words + t / 64] |= (uint64_t) 1 << (t % 64);
    }
}

/* Floats of scratch for a consumer's share of the spikes' gradient (snn_next_grad), for a unit of n neurons. */
SNN_INLINE int64_t snn_next_work(const snn_layer_args *l, int64_t n)
{
    return l->next.g != NULL ? l->steps * snn_pad(n) : 0;
}

/*
 * A consumer's share of the unit's spikes' gradient, dL/ds = W'^T dL/dI' (snn_next_args), step-major [T][ld] at `at`
 * (snn_next_work floats), or NULL without a consumer. Each element sums the consumer's K terms in order with fused
 * multiply-adds from zero, exactly as the consumer's dL/dx (snn_input_grad_x) sums them, so that the spikes'
 * gradient is the same whichever way it travels.
 */
SNN_INLINE float *snn_next_grad(const snn_job *job, const snn_unit *un, float *at)
{
    const snn_layer_args *l = job->layer;
    if (l->next.g == NULL) {
        return NULL;
    }
    const int64_t N = l->neurons;
    const int64_t T = l->steps;
    const int64_t K = l->next.k;
    const int64_t n = un->n;
    const int64_t ld = snn_pad(n);
    const float *gb = l->next.g + un->b * T * K;
    const float *w = l->next.w + un->j0;
    for (int64_t t = 0; t < T; t++) {
        const float *gt = gb + t * K;
        for (int64_t g = 0; g < ld; g += SNN_W) {
            const int rn = g < n ? snn_lanes(n, g) : 0;
            vf acc = vf_zero();
            for (int64_t k = 0; k < K; k++) {
                acc = vf_fma(vf_set1(gt[k]), vf_load_n(w + k * N + g, rn), acc);
            }
            vf_store(at + t * ld + g, acc);
        }
    }
    return at;
}

/*
 * The end of a backward unit: its dL/dbeta (double, snn_pad(n)), its sample's W_rec gradient added to the thread's
 * accumulators, and, for a projected input, whose dL/dI the scratch now holds for the whole sample, the gradients of
 * W_in, b_in and (when wanted) x.
 */
SNN_INLINE void snn_backward_finish(const snn_job *job, const snn_unit *un, const double *dbeta,
        const snn_layer_scratch *s)
{
    const snn_layer_args *l = job->layer;
    const int64_t n = un->n;
    const int64_t ld = snn_pad(n);
    const int64_t T = l->steps;
    for (int64_t j = 0; j < n; j++) {
        un->dbeta[j] = dbeta[j];
    }
    if (un->gw_rec != NULL) {
        snn_recurrent_grad_flush(un->gw_rec, un->gb_rec, s->gw_rec, s->gb_rec, n, ld);
    }
    if (s->projected != NULL) {
        snn_input_grad_tile(&job->in, un->b, l->neurons, T, un->j0, n, 0, T, s->projected, ld, un->gw_in, un->gb_in,
                un->input_scratch);
        if (l->grad.x != NULL) {
            /* dL/dx = W_in^T dL/dI (the unit is the whole sample: a projected input is scanned once per sample) */
            snn_input_grad_x(l->in.w_in, l->in.m, n, T, s->projected, ld, l->grad.x + un->b * l->in.m * T, s->rows);
        }
        if (l->grad.cur_steps != NULL) {
            /* dL/dI step-major for x's producer, which forms W_in^T dL/dI itself (snn_next_grad) */
            float *out = l->grad.cur_steps + un->b * T * n;
            for (int64_t t = 0; t < T; t++) {
                memcpy(out + t * n, s->projected + t * ld, (size_t) n * sizeof(float));
            }
        }
    }
}

#endif
