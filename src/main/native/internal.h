/*
 * What the kernel families share inside the library: the threaded driver (snn_call, snn_run), the per-thread gradient
 * accumulators, and the per-ISA family tables.
 *
 * A family (lif.c, dblock.c, each compiled once per instruction set) describes itself to the driver as a snn_family:
 * its unit functions, how much scratch a unit needs, and its own argument checks. snn_run plans the work units (a
 * sample when its neurons are coupled by recurrence or share a projected input, else SNN_CHUNK neurons of a sample),
 * prepares what every unit reads (the input, W_rec's columns), opens the library's only parallel region, and in a
 * backward pass sums the per-thread gradients in a fixed order.
 */
#ifndef SNN_INTERNAL_H
#define SNN_INTERNAL_H

#include <stdint.h>

#include "snn_kernels.h"
#include "input.h"

/* Neurons per work unit when nothing couples them (a multiple of every ISA's vector width). */
#define SNN_CHUNK 64

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
    float *work;    /* work_floats(job, chunk) floats, 64-byte aligned */
    int32_t *iwork; /* 2 * chunk + 16 ints (recurrent source lists, or 64-bit spike masks per neuron) */
    int32_t *input_scratch; /* snn_input_scratch_ints ints for a projected input, else NULL */
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

/* A kernel family as the driver sees it: one per family and instruction set. */
typedef struct {
    snn_unit_fn forward_unit;
    snn_unit_fn backward_unit;
    int64_t (*forward_work)(const snn_job *job, int64_t n);  /* floats of per-thread scratch, units of n neurons */
    int64_t (*backward_work)(const snn_job *job, int64_t n);
    int (*valid)(const void *args);                          /* the family's own argument checks */
} snn_family;

struct snn_job {
    /* what the call states */
    const void *args;             /* the family's argument struct */
    const snn_layer_args *layer;  /* its common part */
    snn_unit_fn unit;
    int64_t (*work_floats)(const snn_job *job, int64_t n);
    int forward;                  /* forward pass: the input is projected here, W_rec's columns prepared */
    /* prepared by snn_run for the units */
    int64_t chunk;
    snn_input in;
    float *wt_rec;                /* W_rec's columns as rows: wt_rec[i * N + j] = W_rec[j, i] */
    snn_grads acc;
};

/*
 * A family's forward or backward call: checks the common arguments (and the family's), then runs the job with the
 * family's units for the selected instruction set.
 */
int32_t snn_call(int family, const snn_layer_args *layer, int64_t size, const void *args, int forward);

/* wt[i * rows + j] = w[j * cols + i]: the columns of a [rows, cols] matrix as contiguous rows (malloc'd). */
float *snn_transpose(const float *w, int64_t rows, int64_t cols);

/* Runs a job: plan, prepare, one parallel region over the units, reduce; returns SNN_OK or SNN_ERR_MEMORY. */
int32_t snn_run(snn_job *job);

/* The families, as snn_call names them. */
enum { SNN_FAMILY_LIF = 0, SNN_FAMILY_DBLOCK = 1, SNN_FAMILY_PROJECTION = 2 };

/* The family tables of each instruction set's build (lif.c, dblock.c, projection.c). */
extern const snn_family snn_lif_family_portable;
extern const snn_family snn_dblock_family_portable;
extern const snn_family snn_projection_family_portable;
#ifdef SNN_X86_VARIANTS
extern const snn_family snn_lif_family_avx2;
extern const snn_family snn_dblock_family_avx2;
extern const snn_family snn_projection_family_avx2;
extern const snn_family snn_lif_family_avx512;
extern const snn_family snn_dblock_family_avx512;
extern const snn_family snn_projection_family_avx512;
#endif

#endif
