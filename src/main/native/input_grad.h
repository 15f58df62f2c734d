/*
 * The input's gradient through an input projection the kernel computed itself: dL/dx = W_in^T dL/dI, per sample from
 * the step-major dL/dI of the backward pass. Written against simd.h, so each ISA build vectorises it over time.
 */
#ifndef SNN_INPUT_GRAD_H
#define SNN_INPUT_GRAD_H

#include <stdint.h>

#include "simd.h"

/*
 * dx[i * T + t] = sum_{j < n} w_in[j * M + i] g[t * ld + j] for i < M, t < T: one sample's dL/dx [M, T] from its
 * dL/dI, step-major g [T][ld]; gt is scratch for n * T floats (dL/dI transposed to rows). Fused multiply-adds: a
 * gradient, compared within a tolerance.
 */
SNN_INLINE void snn_input_grad_x(const float *w_in, int64_t M, int64_t n, int64_t T, const float *g, int64_t ld,
        float *dx, float *gt)
{
    for (int64_t grp = 0; grp < n; grp += SNN_W) {
        const int rn = snn_lanes(n, grp);
        for (int64_t t0 = 0; t0 < T; t0 += SNN_W) {
            const int len = (int) (T - t0 < SNN_W ? T - t0 : SNN_W);
            vf tile[SNN_W];
            for (int s = 0; s < SNN_W; s++) {
                tile[s] = s < len ? vf_load(g + (t0 + s) * ld + grp) : vf_zero();
            }
            vf_tile_out(tile, rn, len, gt + grp * T + t0, T);
        }
    }
    for (int64_t i = 0; i < M; i++) {
        for (int64_t t0 = 0; t0 < T; t0 += SNN_W) {
            const int len = (int) (T - t0 < SNN_W ? T - t0 : SNN_W);
            vf acc = vf_zero();
            for (int64_t j = 0; j < n; j++) {
                acc = vf_fma(vf_set1(w_in[j * M + i]), vf_load_n(gt + j * T + t0, len), acc);
            }
            vf_store_n(dx + i * T + t0, acc, len);
        }
    }
}

#endif
