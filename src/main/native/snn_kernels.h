/*
 * Fused CPU kernels for the neuron dynamics of snn (docs/specification.md sections 2-4), called from Java through the
 * Foreign Function & Memory API (package snn.nativekernels). This header is the library's whole ABI: one argument
 * struct per kernel family, the integer codes, and a self-description (snn_abi_describe) that the Java side compares
 * with its own layouts before it calls anything.
 *
 * Conventions shared by every kernel:
 *  - Tensors are float32, contiguous, laid out [batch B, neurons N, time T]: row (b, j) is the T steps of
 *    neuron j in sample b, at offset (b * N + j) * T. The kernels read and write that memory in place.
 *  - beta is the clamped decay, one value per neuron ([N]; a shared beta is expanded by the caller).
 *  - Optional inputs and outputs are NULL when absent (no recurrence, no upstream gradient, no gradient wanted).
 *  - One argument struct serves a family's forward and backward call: the forward pass fills the outputs that the
 *    backward pass then reads (spikes, membrane, saved state), and the backward pass adds the upstream gradients and
 *    the gradient outputs.
 *  - Work is split over samples (and, with a dense current and no recurrence, over groups of neurons) with OpenMP,
 *    `threads` wide, statically. Parameter gradients are accumulated per sample or per thread and summed in a fixed
 *    order in double precision, so results do not vary from run to run for a given thread count.
 *  - Arithmetic follows LibTorch's order where the torch path's is known (a * b + c as two roundings: compile with
 *    -ffp-contract=off), so spikes agree exactly except where a membrane is within rounding of the threshold.
 *  - A non-finite membrane gives a NaN spike where the LibTorch path's surrogate trick H + (f - f.detach()) does:
 *    for a NaN membrane, and for an infinite one with the fast sigmoid (whose f is then inf / inf). NaN spikes
 *    spread as LibTorch's ops spread them (through the reset, the single-spike mask, the first-spike selection and
 *    the recurrent input, which a NaN spike makes NaN for every neuron).
 *  - Every function returns SNN_OK, or a negative SNN_ERR_* code.
 */
#ifndef SNN_KERNELS_H
#define SNN_KERNELS_H

#include <stdint.h>

#define SNN_API __attribute__((visibility("default")))

/* Bumped whenever a struct or a signature changes; the Java side refuses a library with another version. */
#define SNN_ABI_VERSION 10

/* Status codes. */
enum { SNN_OK = 0, SNN_ERR_MEMORY = -1, SNN_ERR_ARGS = -2, SNN_ERR_STRUCT_SIZE = -3, SNN_ERR_UNSUPPORTED = -4,
        SNN_ERR_EVENTS = -5 };

/* LIF variants (docs/specification.md table 2.2). */
enum { SNN_LIF_MULTI = 0, SNN_LIF_SINGLE = 1, SNN_LIF_INTEGRATOR = 2 };

/* The multi-spike LIF's reset (docs/specification.md 2.2): V_t = U_t - s_t, or V_t = U_t (1 - s_t). */
enum { SNN_RESET_SUBTRACT = 0, SNN_RESET_ZERO = 1 };

/* Surrogate derivatives dH/du of the spike function, u = V - threshold (docs/specification.md 2.4). */
enum { SNN_SURR_FAST_SIGMOID = 0, SNN_SURR_ARCTAN = 1, SNN_SURR_TRIANGLE = 2 };

/* d-block recurrent reduction a_k = max_u s_u or sum_u s_u (docs/specification.md 4.2.4). */
enum { SNN_REDUCE_MAX = 0, SNN_REDUCE_SUM = 1 };

/*
 * Instruction sets the kernels are built for: x86-64 with AVX-512 (x86-64-v4), with AVX2 and FMA (x86-64-v3), and a
 * portable build for any CPU. The library keeps no choice of its own: every call names its instruction set
 * (snn_layer_args.isa), and the caller chooses it once, from snn_isa_best and snn_isa_requested.
 */
enum { SNN_ISA_PORTABLE = 0, SNN_ISA_AVX2 = 1, SNN_ISA_AVX512 = 2 };

/*
 * Where a layer kernel's input current comes from: either
 *  cur [B,N,T], a dense current (x, w_in, b_in NULL), or
 *  x [B,M,T] with w_in [N,M] and b_in [N] (or NULL): I = W_in x + b_in, computed event by event inside the kernel,
 *  optionally recording the events (ev_pos, ev_val [B, ev_cap], ev_count [B]; NULL for none) in the forward pass
 *  for the backward pass, which reads the same fields. x_bits [B, M, snn_words(T)] (or NULL): where x is non-zero,
 *  as the layer that produced x wrote it (snn_layer_args.spk_bits); the kernel then takes the events' positions from
 *  the bits instead of scanning x; x_nan [B] (with x_bits): 0 where all of sample b's events are 1 (spikes), so
 *  that x itself is not read, else 1 (NaN spikes: the values are read from x at the events); or
 *  the same projection of an input the caller gives as events (x and x_bits NULL, w_in, b_in and m as above):
 *  sample b's events are in_pos[in_off[b] .. in_off[b + 1]) (channel << 16 | step) with their values in_val, sorted
 *  by channel and then step without repeats (the order of a channel-by-channel scan of x), channel < m <= 65536,
 *  step < steps <= 65536; in_off [B + 1] starts at 0 (in_pos and in_val may be NULL when there are no events).
 *  Neither x nor a scan of it exists, and the backward pass reads the same events (ev_* must be NULL). Events that
 *  break these rules are refused (SNN_ERR_EVENTS) before anything is computed.
 */
typedef struct {
    const float *cur;
    const float *x;
    const float *w_in;
    const float *b_in;
    int64_t m;
    uint32_t *ev_pos;
    float *ev_val;
    int32_t *ev_count;
    int64_t ev_cap;
    const int64_t *in_off;
    const uint32_t *in_pos;
    const float *in_val;
    const uint64_t *x_bits;
    const int32_t *x_nan;
} snn_input_args;

/* 64-bit words of a row of T steps in a bit mask [.., snn_words(T)]: bit t % 64 of word t / 64 is step t. */
static inline int64_t snn_words(int64_t T)
{
    return (T + 63) / 64;
}

/*
 * Gradient outputs of a backward call, each NULL when not wanted: dL/dI [B,N,T] (cur), and with a projected input
 * dL/dW_in [N,M], dL/db_in [N] and dL/dx = W_in^T dL/dI [B,M,T] (x); dL/dbeta [N]; with recurrence dL/dW_rec [N,N]
 * and dL/db_rec [N]. cur_steps [B,T,N]: with a projected input, dL/dI step-major, for a producer of x that adds
 * W_in^T dL/dI to its own spikes' gradient (snn_next_args) instead of receiving dL/dx.
 */
typedef struct {
    float *cur;
    float *w_in;
    float *b_in;
    float *beta;
    float *w_rec;
    float *b_rec;
    float *x;
    float *cur_steps;
} snn_grad_args;

/*
 * A consumer's share of the spikes' gradient, handed to the layer that produced the spikes (backward only): the
 * consumer projected the spikes itself (I' = W' s + b') and gives its dL/dI' step-major, g [B,T,K], with W' [K,N];
 * the backward pass adds dL/ds = W'^T dL/dI' to g_spk at every step. g NULL: none.
 */
typedef struct {
    const float *g;
    const float *w;
    int64_t k;
} snn_next_args;

/*
 * What every layer kernel reads and writes; the first member of each family's argument struct.
 *  beta [N]; w_rec [N,N] and b_rec [N], or NULL without recurrence.
 *  spk, mem [B,N,T]: the spikes (NULL when the layer does not spike) and the reported membrane, written by the
 *  forward pass; first: the family's record of where the spikes are (see below), or NULL; spk_bits
 *  [B,N,snn_words(T)] (or NULL): the forward pass marks where spk is non-zero (a spike, or NaN), for a consumer that
 *  projects the spikes event by event (snn_input_args.x_bits); spk_nan [B] (with spk_bits, zeroed by the caller):
 *  set to 1 for a sample with a NaN spike.
 *  g_spk, g_mem [B,N,T]: the upstream gradients of a backward pass (either NULL: zero); next: a consumer's share of
 *  the spikes' gradient, added to g_spk; grad: the backward pass's outputs.
 */
typedef struct {
    int64_t size; /* sizeof the family's struct: the callee refuses another size */
    int32_t surrogate; /* SNN_SURR_* */
    float scale; /* the surrogate's steepness */
    int32_t threads;
    int32_t spiking; /* 0 for a layer that reports its membrane only */
    int32_t isa; /* SNN_ISA_*: the build of the kernels this call runs on; one this CPU cannot run is refused */
    int64_t batch;
    int64_t neurons;
    int64_t steps;
    snn_input_args in;
    const float *beta;
    const float *w_rec;
    const float *b_rec;
    float *spk;
    float *mem;
    int32_t *first;
    const float *g_spk;
    const float *g_mem;
    snn_grad_args grad;
    uint64_t *spk_bits;
    int32_t *spk_nan;
    snn_next_args next;
} snn_layer_args;

/*
 * The standard LIF layer (docs/specification.md 2.1-2.2):
 *  U_t = beta V_{t-1} + I_t (+ W_rec s_{t-1} + b_rec for t >= 1, when w_rec is given).
 * The reported membrane (layer.mem) is U_t (multi, integrator) or the masked V_t (single). Single-spike only:
 *  pre [B,N,T] the unmasked U_t, which the backward pass needs after the spike, and layer.first [B,N] the step of
 *  the one spike, or T; both NULL otherwise.
 */
typedef struct {
    snn_layer_args layer;
    int32_t mode;  /* SNN_LIF_*: layer.spiking is 0 exactly for the integrator */
    int32_t reset; /* SNN_RESET_*: SNN_RESET_ZERO for SNN_LIF_MULTI only */
    float *pre;
} snn_lif_args;

/*
 * The block (blocks = 1, no recurrence) and d-block layers (docs/specification.md 3.1 and 4.2). Time is cut into
 * d = blocks blocks of L = floor(T/d) steps and, when r = T - dL > 0, one final block of r steps. Each block starts
 * from rest: V_0 = I_0 + c_k, V_u = beta V_{u-1} + I_u (no reset), faulty spikes H(V_u - 1), the first of them kept.
 * With w_rec, c_{k+1} = W_rec a_k + b_rec where a_k marks the neurons that spiked in block k (max, or sum of the
 * block's spikes); c_0 = 0. layer.mem is the no-reset membrane; layer.first [B,K,N] (K blocks; recurrent only) the
 * local step of each block's spike, or -1.
 * Backward: the straight-through first-spike selection (reverse double cumsum, eq. 3.2), the reverse beta scan, the
 * recurrent injection's gradients and, unless detach, the gradient through a_k into block k (max splits it evenly
 * among ties, sum passes it to every step); spk is not read (first holds the spike positions).
 */
typedef struct {
    snn_layer_args layer;
    int32_t detach; /* no gradient through a_k */
    int32_t reduction; /* SNN_REDUCE_* */
    int64_t blocks;
} snn_dblock_args;

/*
 * One line of the library's self-description: a struct (scope = its name, name = "", value = 0, size = sizeof),
 * one of its fields (scope = the struct's name, value = the field's offset, size = its size), or an integer code
 * (scope = "code", value = the code, size = 0).
 */
typedef struct {
    const char *scope;
    const char *name;
    int64_t value;
    int64_t size;
} snn_abi_entry;

SNN_API int32_t snn_abi_version(void);

/* Writes up to `capacity` entries of the self-description to `table`; returns how many there are in all. */
SNN_API int32_t snn_abi_describe(snn_abi_entry *table, int32_t capacity);

SNN_API int32_t snn_lif_forward(const snn_lif_args *a);
SNN_API int32_t snn_lif_backward(const snn_lif_args *a);
SNN_API int32_t snn_dblock_forward(const snn_dblock_args *a);
SNN_API int32_t snn_dblock_backward(const snn_dblock_args *a);

/* The best instruction set this CPU can run (SNN_ISA_*), from CPUID. */
SNN_API int32_t snn_isa_best(void);

/* What the environment variable SNN_CPU_ISA asks for now: -1 nothing, -2 a name that is no ISA, else the ISA's code. */
SNN_API int32_t snn_isa_requested(void);

/* 1 when this CPU can run the kernels built for `isa` (and the library has them), else 0. */
SNN_API int32_t snn_isa_supported(int32_t isa);

/* Reference floor for benchmarks: dst = src over n floats, one parallel pass of ordinary loads and stores. */
SNN_API void snn_copy_pass(const float *src, float *dst, int64_t n, int32_t threads);

/*
 * The event-driven input projection on its own, as the layer kernels compute it when they project their input:
 * mem[b,:,t] = W_in x[b,:,t] + b_in for a sparse x [B,M,T] (layer.in.x, in.w_in [N,M], in.b_in [N] or NULL, in.m = M),
 * one column of W_in per non-zero input. Reads size, threads, isa, batch, neurons, steps and in; writes mem [B,N,T].
 * Everything else (cur, the event cache, beta, the recurrence, spk, the gradients) must be NULL and is not read.
 */
SNN_API int32_t snn_project(const snn_layer_args *a);

/*
 * The denormal mode of LibTorch's threads: FTZ and DAZ set (on = 1), cleared (on = 0) or only read (on = -1) in the
 * calling thread and the other threads of its OpenMP team of `threads`. Returns how many of those threads then flush.
 */
SNN_API int32_t snn_denormal_mode(int32_t on, int32_t threads);

#endif
