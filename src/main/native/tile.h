/*
 * Time tiles: the kernels read and write [neurons, time] rows (time contiguous), but their recurrences run over
 * time with every neuron independent (or coupled through W_rec). Each kernel therefore moves a tile of steps of
 * its n rows into a step-major scratch tile[s * n + j], computes with the neurons as the contiguous inner loop
 * (which the compiler vectorises), and moves the results back.
 *
 * The n rows of a unit are consecutive in memory, so a tile spanning whole rows is one contiguous block: tiles
 * are as long as the cache budget allows (whole rows at the usual sizes), which keeps every memory stream
 * sequential. Short tiles (many short row segments) measured two to four times slower on the stores.
 */
#ifndef SNN_TILE_H
#define SNN_TILE_H

#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

/* Floats per tile (256 KiB): a few tiles per thread stay in a 1-2 MiB L2 cache. */
#define SNN_TILE_FLOATS 65536

/* Steps per tile for units of n neurons: whole rows when they fit, and a multiple of 4 otherwise. */
static inline int64_t snn_tile_steps(int64_t n, int64_t T)
{
    int64_t steps = SNN_TILE_FLOATS / (n > 0 ? n : 1);
    steps = steps < 16 ? 16 : steps & ~(int64_t) 3;
    return steps < T ? steps : T;
}

/* tile[s * n + j] = src[j * T + t0 + s] for j < n, s < len. */
static inline void snn_load_tile(const float *src, int64_t T, int64_t t0, int64_t len, int64_t n, float *tile)
{
    int64_t j = 0;
#ifdef __SSE2__
    for (; j + 4 <= n; j += 4) {
        const float *r0 = src + j * T + t0;
        int64_t s = 0;
        for (; s + 4 <= len; s += 4) {
            __m128 a = _mm_loadu_ps(r0 + s);
            __m128 b = _mm_loadu_ps(r0 + T + s);
            __m128 c = _mm_loadu_ps(r0 + 2 * T + s);
            __m128 d = _mm_loadu_ps(r0 + 3 * T + s);
            _MM_TRANSPOSE4_PS(a, b, c, d);
            _mm_storeu_ps(tile + s * n + j, a);
            _mm_storeu_ps(tile + (s + 1) * n + j, b);
            _mm_storeu_ps(tile + (s + 2) * n + j, c);
            _mm_storeu_ps(tile + (s + 3) * n + j, d);
        }
        for (; s < len; s++) {
            for (int64_t q = 0; q < 4; q++) {
                tile[s * n + j + q] = r0[q * T + s];
            }
        }
    }
#endif
    for (; j < n; j++) {
        const float *row = src + j * T + t0;
        for (int64_t s = 0; s < len; s++) {
            tile[s * n + j] = row[s];
        }
    }
}

/* dst[j * T + t0 + s] = tile[s * n + j] for j < n, s < len. */
static inline void snn_store_tile(const float *tile, int64_t n, int64_t len, float *dst, int64_t T, int64_t t0)
{
    int64_t j = 0;
#ifdef __SSE2__
    for (; j + 4 <= n; j += 4) {
        float *r0 = dst + j * T + t0;
        int64_t s = 0;
        for (; s + 4 <= len; s += 4) {
            __m128 a = _mm_loadu_ps(tile + s * n + j);
            __m128 b = _mm_loadu_ps(tile + (s + 1) * n + j);
            __m128 c = _mm_loadu_ps(tile + (s + 2) * n + j);
            __m128 d = _mm_loadu_ps(tile + (s + 3) * n + j);
            _MM_TRANSPOSE4_PS(a, b, c, d);
            _mm_storeu_ps(r0 + s, a);
            _mm_storeu_ps(r0 + T + s, b);
            _mm_storeu_ps(r0 + 2 * T + s, c);
            _mm_storeu_ps(r0 + 3 * T + s, d);
        }
        for (; s < len; s++) {
            for (int64_t q = 0; q < 4; q++) {
                r0[q * T + s] = tile[s * n + j + q];
            }
        }
    }
#endif
    for (; j < n; j++) {
        float *row = dst + j * T + t0;
        for (int64_t s = 0; s < len; s++) {
            row[s] = tile[s * n + j];
        }
    }
}

#endif
