/*
 * What the kernel families share inside the library: the threaded driver (snn_run), the per-thread gradient
 * accumulators, the recurrent input and its W_rec gradient, the spike and surrogate functions.
 *
 * A family (lif.c, dblock.c) describes a call as a job: its argument struct, its shape, whether the neurons of a
 * sample are coupled (one work unit per sample) or independent (units of up to SNN_CHUNK neurons), how much scratch a
 * unit needs, and the unit function. snn_run plans the units and the scratch, prepares what every unit reads (the
 * input, W_rec's columns), opens the library's only parallel region, and in a backward pass sums the per-thread
 * gradients in a fixed order.
 */
#ifndef SNN_INTERNAL_H
#define SNN_INTERNAL_H

#include <float.h>
#include <math.h>
#include <stdint.h>

#include "snn_kernels.h"
#include "input.h"

/* Neurons per work unit when nothing couples them. */
#define SNN_CHUNK 32

static inline int64_t snn_min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

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

/* One work unit: sample b, neurons [j0, j0 + n), run by thread tid with its scratch and accumulators. */
typedef struct {
    int64_t b, j0, n;
    int64_t row0;   /* (b * N + j0) * T: where the unit's rows start in a [B, N, T] array */
    int tid;
    float *work;    /* work_floats(n, tile) floats */
    int32_t *iwork; /* 2 * chunk + tile ints */
    double *dbeta;  /* backward: dL/dbeta of these n neurons in this sample */
    double *gw_rec; /* backward: this thread's dL/dW_rec, transposed ([N][N]), or NULL */
    double *gb_rec; /* [N] or NULL */
    float *gw_in;   /* this thread's dL/dW_in, transposed ([M][N]), or NULL */
    double *gb_in;  /* [N] or NULL */
} snn_unit;

/* The unit's part of an optional [B, N, T] array (NULL stays NULL). */
#define SNN_ROWS(p, u) ((p) != NULL ? (p) + (u)->row0 : NULL)

typedef struct snn_job snn_job;
typedef void (*snn_unit_fn)(const snn_job *job, const snn_unit *u);

/* A kernel family as the driver sees it. */
typedef struct {
    snn_unit_fn forward_unit;
    snn_unit_fn backward_unit;
    int64_t (*forward_work)(int64_t n, int64_t tile);  /* floats of per-thread scratch for units of n neurons */
    int64_t (*backward_work)(int64_t n, int64_t tile);
    int (*valid)(const void *args);                    /* the family's own argument checks */
} snn_family;

struct snn_job {
    /* what the call states */
    const void *args;             /* the family's argument struct */
    const snn_layer_args *layer;  /* its common part */
    snn_unit_fn unit;
    int64_t (*work_floats)(int64_t n, int64_t tile);
    int forward;                  /* forward pass: the input is projected here, W_rec's columns prepared */
    /* prepared by snn_run for the units */
    int64_t chunk, tile;
    snn_input in;
    float *wt_rec;                /* W_rec's columns as rows: wt_rec[i * N + j] = W_rec[j, i] */
    snn_grads acc;
};

/*
 * A family's forward or backward call: checks the common arguments (and the family's), then runs the job. The
 * neurons of a sample form one unit when they are coupled (recurrence) or share a projected input.
 */
int32_t snn_call(const snn_family *family, const snn_layer_args *layer, int64_t size, const void *args,
        int forward);

/* Runs a job: plan, prepare, one parallel region over the units, reduce; returns SNN_OK or SNN_ERR_MEMORY. */
int32_t snn_run(snn_job *job);

/* wt[i * rows + j] = w[j * cols + i]: the columns of a [rows, cols] matrix as contiguous rows. */
float *snn_transpose(const float *w, int64_t rows, int64_t cols);

/*
 * The recurrent input r = b_rec + the sum of the columns list[0 .. count) of W_rec (wt holds them as rows), from
 * the neurons that spiked; all NaN when `poisoned` (a NaN spike among the sources: LibTorch's product W_rec a is NaN
 * in every row then).
 */
void snn_recurrent_input(float *r, const float *wt, const float *b_rec, int64_t n, const int32_t *list,
        int64_t count, int poisoned);

/* The recurrent input's gradient: dL/dW_rec[:, i] += g for each i in list (gwt[i * n + j]), dL/db_rec += g. */
void snn_recurrent_grad(double *gwt, double *gb, const float *g, int64_t n, const int32_t *list, int64_t count);

/*
 * The forward spike of LibTorch's surrogate trick H(x) + (f(x) - f(x).detach()) for x = V - 1: H(x) for a finite x,
 * NaN for a NaN x, and NaN for an infinite x with the fast sigmoid (f = x / (1 + k|x|) is inf / inf there; the
 * arctan's and the triangle's f stay finite).
 */
static inline float snn_spike(float x, int surrogate)
{
    const float s = x > 0.0f ? 1.0f : 0.0f;
    const int bad = surrogate == SNN_SURR_FAST_SIGMOID ? !(fabsf(x) <= FLT_MAX) : x != x;
    return bad ? NAN : s;
}

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

#endif
