/*
 * Where a kernel's input current comes from: either a dense current I [B, N, T], or the input projection
 * I = W_in x + b_in of a sparse input x [B, M, T] computed event by event inside the kernel (each non-zero
 * x[b, i, t] adds column i of W_in to step t of the tile), so that neither the dense matrix product nor the
 * current tensor exists. Spike inputs are sparse (SHD: about 1.5 % of the bins; block layers at most one spike
 * per neuron and block), which makes this much cheaper than the product; see docs/native-kernels.md.
 */
#ifndef SNN_INPUT_H
#define SNN_INPUT_H

#include <stdint.h>
#include <string.h>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "snn_kernels.h"

/*
 * Indices s < len with x[s] != 0 (and NaN), in increasing order, written to idx (which has room for len + 1); returns
 * their count. A vector of values (16, 8 or 4 by instruction set) is tested at once and its events' positions are
 * written without branches: whether a value is an event is unpredictable (1.5 % of SHD's bins).
 */
static inline int64_t snn_nonzeros(const float *x, int64_t len, int32_t *idx)
{
    int64_t count = 0;
    int64_t s = 0;
#if defined(__AVX512F__)
    /* the event positions of 16 values at a time by a compress store: no branch on the data */
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (; s < len; s += 16) {
        /* a single core reads x faster when asked for 4 KiB ahead (measured: +30 % over the hardware prefetcher) */
        __builtin_prefetch(x + s + 1024, 0, 3);
        const __mmask16 valid = (__mmask16) (len - s >= 16 ? 0xffffu : (1u << (len - s)) - 1u);
        const __mmask16 m = _mm512_mask_cmp_ps_mask(valid, _mm512_maskz_loadu_ps(valid, x + s),
                _mm512_setzero_ps(), _CMP_NEQ_UQ);
        _mm512_mask_compressstoreu_epi32(idx + count, m, _mm512_add_epi32(lanes, _mm512_set1_epi32((int) s)));
        count += __builtin_popcount((unsigned) m);
    }
#elif defined(__AVX2__)
    for (; s + 8 <= len; s += 8) {
        __builtin_prefetch(x + s + 1024, 0, 3);
        const unsigned m = (unsigned) _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + s), _mm256_setzero_ps(),
                _CMP_NEQ_UQ));
        for (int k = 0; k < 8; k++) {
            idx[count] = (int32_t) (s + k);
            count += (m >> k) & 1u;
        }
    }
#elif defined(__SSE2__)
    const __m128 zero = _mm_setzero_ps();
    for (; s + 4 <= len; s += 4) {
        const unsigned m = (unsigned) _mm_movemask_ps(_mm_cmpneq_ps(_mm_loadu_ps(x + s), zero));
        for (int k = 0; k < 4; k++) {
            idx[count] = (int32_t) (s + k);
            count += (m >> k) & 1u;
        }
    }
#endif
    for (; s < len; s++) {
        idx[count] = (int32_t) s;
        count += x[s] != 0.0f;
    }
    return count;
}

typedef struct {
    const float *cur;  /* dense current [B, N, T], or NULL */
    const float *x;    /* input [B, M, T], projected when cur is NULL */
    const float *wt;   /* W_in transposed: wt[i * N + j] = W_in[j, i] */
    const float *bias; /* b_in [N], or NULL */
    int64_t m;         /* M */
    /*
     * Optional cache of the input's events, written by the forward pass so that the backward pass need not scan x
     * again: per sample b, ev_count[b] events (i << 16 | t) with their values, at most ev_cap of them; a count of
     * -1 means "not cached" (too many events, or the sequence did not fit one tile) and the backward pass scans.
     */
    uint32_t *ev_pos;
    float *ev_val;
    int32_t *ev_count;
    int64_t ev_cap;
    /*
     * Or the input as the caller's events (x NULL): sample b's are e_pos[e_off[b] .. e_off[b + 1]) (i << 16 | t,
     * sorted by i and then t, checked by snn_input_events_valid) with their values e_val.
     */
    const int64_t *e_off;
    const uint32_t *e_pos;
    const float *e_val;
    const uint64_t *x_bits; /* where x is non-zero [B, M, snn_words(T)], from x's producer, or NULL: scan x */
    const int32_t *x_nan;   /* [B] with x_bits: 0 where every event of the sample is 1 */
} snn_input;

/* Whether the kernel projects its input itself (from x or from the caller's events) rather than reading a current. */
static inline int snn_input_projects(const snn_input *in)
{
    return in->x != NULL || in->e_off != NULL;
}

/* The value of sample b's event at xi[s]: 1 for a producer's spike (x is not read), else read from x. */
static inline float snn_input_value(const snn_input *in, int64_t b, const float *xi, int64_t s)
{
    return in->x_bits != NULL && in->x_nan[b] == 0 ? 1.0f : xi[s];
}

/*
 * The events of channel i of sample b in steps t0 .. t0 + len - 1, as snn_nonzeros finds them in xi (that channel's
 * row from t0): from the producer's bit mask when there is one (then x is read only at the events), else scanned.
 */
static inline int64_t snn_input_nonzeros(const snn_input *in, int64_t b, int64_t i, int64_t T, int64_t t0,
        int64_t len, const float *xi, int32_t *idx)
{
    if (in->x_bits == NULL) {
        return snn_nonzeros(xi, len, idx);
    }
    const uint64_t *row = in->x_bits + (b * in->m + i) * snn_words(T);
    int64_t count = 0;
    for (int64_t w = t0 / 64; w * 64 < t0 + len; w++) {
        for (uint64_t m = row[w]; m != 0; m &= m - 1) {
            const int64_t t = w * 64 + __builtin_ctzll(m);
            if (t >= t0 && t < t0 + len) {
                idx[count++] = (int32_t) (t - t0);
            }
        }
    }
    return count;
}

/* Whether sample b's events are (to be) cached: one tile spans the sequence and positions fit 16 + 16 bits. */
static inline int snn_input_caches(const snn_input *in, int64_t T, int64_t t0, int64_t len)
{
    return in->ev_count != NULL && t0 == 0 && len == T && T <= 65536 && in->m <= 65536;
}

/* Events of one sample a projection sorts by step in its scratch: 1 in 8 bins (denser samples take the direct path). */
static inline int64_t snn_input_scratch_events(const snn_input *in, int64_t T)
{
    return in->m * T / 8 + 64;
}

/* Ints of scratch snn_input_tile needs (0 for a dense current). */
static inline int64_t snn_input_scratch_ints(const snn_input *in, int64_t T)
{
    return snn_input_projects(in) ? (T + 1) + (T + 1) + 3 * snn_input_scratch_events(in, T) : 0;
}

/*
 * Sums a tile from events in the order of a channel-by-channel scan (pos[e] = i << 16 | s, s the step within the
 * tile): counted by step (stably, so each step's events keep the order of the channels), then each step's row is
 * b_in plus the columns x_{i,s} W_in[:, i] of its events, in that order, summed while the row is in L1. start holds
 * len + 1 ints, order `events`.
 */
static inline void snn_input_sum_by_step(const snn_input *in, int64_t N, int64_t j0, int64_t n, int64_t len,
        float *tile, int64_t ld, const uint32_t *pos, const float *val, int64_t events, int32_t *start,
        int32_t *order)
{
    /* counting sort by step: start[s] .. start[s + 1] are step s's events */
    memset(start, 0, (size_t) (len + 1) * sizeof(int32_t));
    for (int64_t e = 0; e < events; e++) {
        start[(pos[e] & 0xffffu) + 1]++;
    }
    for (int64_t s = 0; s < len; s++) {
        start[s + 1] += start[s];
    }
    for (int64_t e = 0; e < events; e++) {
        order[start[pos[e] & 0xffffu]++] = (int32_t) e;
    }
    /* start[s] is now the end of step s's events */
    for (int64_t s = 0, e = 0; s < len; s++) {
        float *row = tile + s * ld;
        memset(row, 0, (size_t) ld * sizeof(float));
        for (; e < start[s]; e++) {
            /* I_t += W_in[:, i] x_{i,t} */
            const int32_t k = order[e];
            const float xv = val[k];
            const float *col = in->wt + (int64_t) (pos[k] >> 16) * N + j0;
            for (int64_t j = 0; j < n; j++) {
                row[j] += col[j] * xv;
            }
        }
        if (in->bias != NULL) {
            const float *bias = in->bias + j0;
            for (int64_t j = 0; j < n; j++) {
                row[j] = row[j] + bias[j];
            }
        }
    }
}

/* Adds b_in to every row of a tile. */
static inline void snn_input_add_bias(const snn_input *in, int64_t j0, int64_t n, int64_t len, float *tile,
        int64_t ld)
{
    if (in->bias != NULL) {
        const float *bias = in->bias + j0;
        for (int64_t s = 0; s < len; s++) {
            float *row = tile + s * ld;
            for (int64_t j = 0; j < n; j++) {
                row[j] = row[j] + bias[j];
            }
        }
    }
}

/*
 * snn_input_tile for the caller's events: the same sums in the same order as a scan of the x they describe. A
 * sample whose events fit the scratch (and a tile that spans the sequence) is summed step by step; otherwise, event
 * by event into the whole tile, in the order of the channels.
 */
static inline void snn_input_tile_events(const snn_input *in, int64_t b, int64_t N, int64_t T, int64_t j0, int64_t n,
        int64_t t0, int64_t len, float *tile, int64_t ld, int32_t *scratch)
{
    const int64_t lo = in->e_off[b];
    const int64_t events = in->e_off[b + 1] - lo;
    const uint32_t *pos = in->e_pos + lo;
    const float *val = in->e_val + lo;
    if (t0 == 0 && len == T && events <= snn_input_scratch_events(in, T)) {
        snn_input_sum_by_step(in, N, j0, n, len, tile, ld, pos, val, events, scratch, scratch + (len + 1));
        return;
    }
    memset(tile, 0, (size_t) (len * ld) * sizeof(float));
    for (int64_t e = 0; e < events; e++) {
        const int64_t s = (int64_t) (pos[e] & 0xffffu) - t0;
        if (s < 0 || s >= len) {
            continue;
        }
        /* I_t += W_in[:, i] x_{i,t} */
        const float xv = val[e];
        const float *col = in->wt + (int64_t) (pos[e] >> 16) * N + j0;
        float *row = tile + s * ld;
        for (int64_t j = 0; j < n; j++) {
            row[j] += col[j] * xv;
        }
    }
    snn_input_add_bias(in, j0, n, len, tile, ld);
}

/*
 * tile[s * ld + j] = I[b, j0 + j, t0 + s] for j < n, s < len (ld >= n; the columns n .. ld - 1 are 0), from the
 * projected input x; scratch holds snn_input_scratch_ints ints (its first len + 1 serve snn_nonzeros).
 *
 * The events of all channels are collected first (and recorded for the backward pass), then sorted by step (stably,
 * so each step's events stay in the order of the channels) and each step's row of the tile is summed while it is in
 * L1: I_t = b_in + the sum of x_{i,t} W_in[:, i] over the step's events, in the order of i, which is the order of a
 * channel-by-channel scan. A sample with more events than the scratch holds (or positions that do not fit 16 + 16
 * bits) takes that channel-by-channel scan directly, with the same sums.
 */
static inline void snn_input_tile(const snn_input *in, int64_t b, int64_t N, int64_t T, int64_t j0, int64_t n,
        int64_t t0, int64_t len, float *tile, int64_t ld, int32_t *scratch)
{
    if (in->e_off != NULL) {
        snn_input_tile_events(in, b, N, T, j0, n, t0, len, tile, ld, scratch);
        return;
    }
    const int cache = snn_input_caches(in, T, t0, len) && j0 == 0;
    const int64_t cap = snn_input_scratch_events(in, T);
    int32_t *idx = scratch;
    int32_t *start = idx + (len + 1);
    int32_t *order = start + (len + 1);
    uint32_t *pos = (uint32_t *) (order + cap);
    float *val = (float *) (void *) (pos + cap);
    const float *xb = in->x + b * in->m * T + t0;
    int64_t events = 0;
    int fits = len <= 65536 && in->m <= 65536;
    for (int64_t i = 0; fits && i < in->m; i++) {
        const float *xi = xb + i * T;
        const int64_t k = snn_input_nonzeros(in, b, i, T, t0, len, xi, idx);
        if (events + k > cap) {
            fits = 0;
            break;
        }
        for (int64_t e = 0; e < k; e++) {
            pos[events + e] = (uint32_t) i << 16 | (uint32_t) idx[e];
            val[events + e] = snn_input_value(in, b, xi, idx[e]);
        }
        events += k;
    }
    if (!fits) {
        /* the channel-by-channel scan, summing into the whole tile */
        memset(tile, 0, (size_t) (len * ld) * sizeof(float));
        int64_t cached = 0;
        uint32_t *cpos = cache ? in->ev_pos + b * in->ev_cap : NULL;
        float *cval = cache ? in->ev_val + b * in->ev_cap : NULL;
        for (int64_t i = 0; i < in->m; i++) {
            const float *xi = xb + i * T;
            const float *col = in->wt + i * N + j0;
            const int64_t k = snn_input_nonzeros(in, b, i, T, t0, len, xi, idx);
            for (int64_t e = 0; e < k; e++) {
                /* I_t += W_in[:, i] x_{i,t} */
                const float xv = snn_input_value(in, b, xi, idx[e]);
                float *row = tile + idx[e] * ld;
                for (int64_t j = 0; j < n; j++) {
                    row[j] += col[j] * xv;
                }
            }
            if (cache && cached >= 0) {
                if (cached + k <= in->ev_cap) {
                    for (int64_t e = 0; e < k; e++) {
                        cpos[cached + e] = (uint32_t) i << 16 | (uint32_t) idx[e];
                        cval[cached + e] = snn_input_value(in, b, xi, idx[e]);
                    }
                    cached += k;
                } else {
                    cached = -1;
                }
            }
        }
        if (cache) {
            in->ev_count[b] = (int32_t) cached;
        }
    } else {
        if (cache) {
            /* the events, in the order of a channel-by-channel scan, for the backward pass */
            if (events <= in->ev_cap) {
                memcpy(in->ev_pos + b * in->ev_cap, pos, (size_t) events * sizeof(uint32_t));
                memcpy(in->ev_val + b * in->ev_cap, val, (size_t) events * sizeof(float));
                in->ev_count[b] = (int32_t) events;
            } else {
                in->ev_count[b] = -1;
            }
        }
        snn_input_sum_by_step(in, N, j0, n, len, tile, ld, pos, val, events, start, order);
        return;
    }
    snn_input_add_bias(in, j0, n, len, tile, ld);
}

/*
 * The projection's gradients from a tile of dL/dI (gtile[s * ld + j], rows j0.., steps t0..): per event,
 * dL/dW_in[j, i] += x_{i,t} dL/dI_{j,t} (accumulated transposed, gwt[i * N + j]); dL/db_in[j] += dL/dI_{j,t}.
 * Either accumulator may be NULL; idx is scratch for len indices.
 */
static inline void snn_input_grad_tile(const snn_input *in, int64_t b, int64_t N, int64_t T, int64_t j0, int64_t n,
        int64_t t0, int64_t len, const float *gtile, int64_t ld, float *gwt, double *gbias, int32_t *idx)
{
    if (gbias != NULL) {
        for (int64_t s = 0; s < len; s++) {
            const float *row = gtile + s * ld;
            for (int64_t j = 0; j < n; j++) {
                gbias[j0 + j] += row[j];
            }
        }
    }
    if (gwt == NULL || !snn_input_projects(in)) {
        return;
    }
    if (in->e_off != NULL) {
        /* the caller's events, in the (i, t) order of a scan */
        const int64_t lo = in->e_off[b];
        const int64_t hi = in->e_off[b + 1];
        for (int64_t e = lo; e < hi; e++) {
            const int64_t s = (int64_t) (in->e_pos[e] & 0xffffu) - t0;
            if (s < 0 || s >= len) {
                continue;
            }
            const float xv = in->e_val[e];
            float *acc = gwt + (int64_t) (in->e_pos[e] >> 16) * N + j0;
            const float *row = gtile + s * ld;
            for (int64_t j = 0; j < n; j++) {
                acc[j] += xv * row[j];
            }
        }
        return;
    }
    if (snn_input_caches(in, T, t0, len) && in->ev_count[b] >= 0) {
        /* the events the forward pass recorded, in the same (i, t) order as a scan */
        const uint32_t *pos = in->ev_pos + b * in->ev_cap;
        const float *val = in->ev_val + b * in->ev_cap;
        const int64_t events = in->ev_count[b];
        for (int64_t e = 0; e < events; e++) {
            const float xv = val[e];
            float *acc = gwt + (int64_t) (pos[e] >> 16) * N + j0;
            const float *row = gtile + (int64_t) (pos[e] & 0xffffu) * ld;
            for (int64_t j = 0; j < n; j++) {
                acc[j] += xv * row[j];
            }
        }
        return;
    }
    const float *xb = in->x + b * in->m * T + t0;
    for (int64_t i = 0; i < in->m; i++) {
        const float *xi = xb + i * T;
        float *acc = gwt + i * N + j0;
        const int64_t events = snn_input_nonzeros(in, b, i, T, t0, len, xi, idx);
        for (int64_t e = 0; e < events; e++) {
            const float xv = snn_input_value(in, b, xi, idx[e]);
            const float *row = gtile + idx[e] * ld;
            for (int64_t j = 0; j < n; j++) {
                acc[j] += xv * row[j];
            }
        }
    }
}

/*
 * Sets up the input a kernel reads: the dense current, or the projected input x with its event cache. With
 * `project` (forward passes) W_in is transposed into owned memory for the projection; a backward pass only reads x
 * and the events. Returns SNN_OK or SNN_ERR_MEMORY.
 */
int snn_input_init(snn_input *in, const snn_input_args *a, int64_t n, int project);

/*
 * Whether the caller's events (a->in_off, in_pos, in_val for `batch` samples) are well formed: all three given
 * (in_pos and in_val may be NULL without events),
 * in_off starting at 0 and not decreasing, each sample's positions strictly increasing with channel < m <= 65536
 * and step < steps <= 65536.
 */
int snn_input_events_valid(const snn_input_args *a, int64_t batch, int64_t steps);
void snn_input_free(snn_input *in);

#endif
