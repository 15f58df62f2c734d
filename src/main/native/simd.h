/*
 * The small vector vocabulary the kernel bodies (lif.c, dblock.c) are written against, one section per instruction
 * set; build.sh compiles those files once per section with its own flags, and the driver picks one at load
 * (common.c). A vector holds SNN_W floats, one per neuron of a group:
 *   AVX-512 (x86-64-v4): 16 lanes, masks in k registers;
 *   AVX2 (x86-64-v3): 8 lanes, masks as all-ones lanes;
 *   portable (any compiler and CPU): 4 lanes as a plain array, which the compiler vectorises as it can.
 * Plain arithmetic only: a * b + c is written as a multiply and an add (the library is built with
 * -ffp-contract=off, so they round twice as in LibTorch's forward pass); vf_fma is used only where a tolerance
 * applies. The tile functions at the end move W x W register tiles between [rows, time] memory and step vectors.
 */
#ifndef SNN_SIMD_H
#define SNN_SIMD_H

#include <float.h>
#include <math.h>
#include <stdint.h>

#include "snn_kernels.h"

/* Everything here is small and must dissolve into the loops that use it. */
#define SNN_INLINE static inline __attribute__((always_inline))

#if defined(__AVX512F__) && defined(__AVX512DQ__)
/* ----- AVX-512 ------------------------------------------------------------------------------------------------- */
#include <immintrin.h>
#define SNN_W 16
#define SNN_ISA_NAME avx512
typedef __m512 vf;
typedef __mmask16 vm;
typedef __m512d vd;

SNN_INLINE vf vf_zero(void) { return _mm512_setzero_ps(); }
SNN_INLINE vf vf_set1(float x) { return _mm512_set1_ps(x); }
SNN_INLINE __mmask16 snn_first(int n) { return (__mmask16) ((1u << n) - 1u); }
SNN_INLINE vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
SNN_INLINE vf vf_load_n(const float *p, int n) { return _mm512_maskz_loadu_ps(snn_first(n), p); }
SNN_INLINE void vf_store(float *p, vf a) { _mm512_storeu_ps(p, a); }
SNN_INLINE void vf_store_n(float *p, vf a, int n) { _mm512_mask_storeu_ps(p, snn_first(n), a); }
/* A non-temporal store to a 64-byte aligned p, and the fence that orders such stores before what follows. */
SNN_INLINE void vf_store_nt(float *p, vf a) { _mm512_stream_ps(p, a); }
SNN_INLINE void vf_fence_nt(void) { _mm_sfence(); }
SNN_INLINE vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
SNN_INLINE vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
SNN_INLINE vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
SNN_INLINE vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
SNN_INLINE vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
SNN_INLINE vf vf_abs(vf a) { return _mm512_abs_ps(a); }
/* max(a, b), b when either is NaN (as the scalar a > b ? a : b) */
SNN_INLINE vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
SNN_INLINE vm vf_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
SNN_INLINE vm vf_ge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
SNN_INLINE vm vf_eq(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
SNN_INLINE vm vf_isnan(vf a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
/* !(a <= b): true for NaN */
SNN_INLINE vm vf_nle(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_NLE_UQ); }
/* m ? t : f, per lane */
SNN_INLINE vf vf_select(vm m, vf t, vf f) { return _mm512_mask_blend_ps(m, f, t); }
SNN_INLINE vm vm_or(vm a, vm b) { return (vm) (a | b); }
SNN_INLINE vm vm_and(vm a, vm b) { return (vm) (a & b); }
SNN_INLINE vm vm_andnot(vm a, vm b) { return (vm) (a & ~b); }
SNN_INLINE vm vm_none(void) { return 0; }
SNN_INLINE unsigned vm_bits(vm m) { return (unsigned) m; }
/* Writes base + the indices of m's set lanes to out, in order, without branches; returns how many. */
SNN_INLINE int vm_compress(int32_t *out, vm m, int32_t base)
{
    const __m512i lanes = _mm512_add_epi32(_mm512_set1_epi32(base),
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    _mm512_mask_compressstoreu_epi32(out, m, lanes);
    return __builtin_popcount((unsigned) m);
}

SNN_INLINE vf vf_load_i32(const int32_t *p, int n)
{
    return _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(snn_first(n), p));
}
SNN_INLINE void vf_store_i32(int32_t *p, vf a, int n)
{
    _mm512_mask_storeu_epi32(p, snn_first(n), _mm512_cvttps_epi32(a));
}

/* Doubles: a vector of W floats widens to two halves. */
typedef struct {
    vd lo, hi;
} vdd;
SNN_INLINE vdd vdd_zero(void) { return (vdd) {_mm512_setzero_pd(), _mm512_setzero_pd()}; }
SNN_INLINE vdd vdd_of(vf a)
{
    return (vdd) {_mm512_cvtps_pd(_mm512_castps512_ps256(a)), _mm512_cvtps_pd(_mm512_extractf32x8_ps(a, 1))};
}
SNN_INLINE vf vdd_to_vf(vdd a)
{
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(a.lo)), _mm512_cvtpd_ps(a.hi), 1);
}
SNN_INLINE vdd vdd_add(vdd a, vdd b) { return (vdd) {_mm512_add_pd(a.lo, b.lo), _mm512_add_pd(a.hi, b.hi)}; }
SNN_INLINE vdd vdd_mul(vdd a, vdd b) { return (vdd) {_mm512_mul_pd(a.lo, b.lo), _mm512_mul_pd(a.hi, b.hi)}; }
SNN_INLINE vdd vdd_load(const double *p, int n)
{
    return (vdd) {_mm512_maskz_loadu_pd((__mmask8) (n >= 8 ? 0xff : (1u << n) - 1u), p),
            _mm512_maskz_loadu_pd((__mmask8) (n >= 16 ? 0xff : n > 8 ? (1u << (n - 8)) - 1u : 0u), p + 8)};
}
SNN_INLINE void vdd_store(double *p, vdd a, int n)
{
    _mm512_mask_storeu_pd(p, (__mmask8) (n >= 8 ? 0xff : (1u << n) - 1u), a.lo);
    _mm512_mask_storeu_pd(p + 8, (__mmask8) (n >= 16 ? 0xff : n > 8 ? (1u << (n - 8)) - 1u : 0u), a.hi);
}

/* r[q] (row q, W consecutive steps) -> r[s] (step s, W rows): 64 shuffles. */
SNN_INLINE void vf_transpose(vf r[SNN_W])
{
    vf t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        /* u[4i + c], lane L: rows 4i .. 4i+3 of column 4L + c */
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[4 * i]), _mm512_castps_pd(t[4 * i + 2])));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[4 * i]),
                _mm512_castps_pd(t[4 * i + 2])));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[4 * i + 1]),
                _mm512_castps_pd(t[4 * i + 3])));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[4 * i + 1]),
                _mm512_castps_pd(t[4 * i + 3])));
    }
    for (int c = 0; c < 4; c++) {
        vf p0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x44);
        vf p1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xee);
        vf q0 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x44);
        vf q1 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xee);
        t[c] = _mm512_shuffle_f32x4(p0, q0, 0x88);
        t[4 + c] = _mm512_shuffle_f32x4(p0, q0, 0xdd);
        t[8 + c] = _mm512_shuffle_f32x4(p1, q1, 0x88);
        t[12 + c] = _mm512_shuffle_f32x4(p1, q1, 0xdd);
    }
    for (int i = 0; i < 16; i++) {
        r[i] = t[i];
    }
}

#elif defined(__AVX2__) && defined(__FMA__)
/* ----- AVX2 ---------------------------------------------------------------------------------------------------- */
#include <immintrin.h>
#define SNN_W 8
#define SNN_ISA_NAME avx2
typedef __m256 vf;
typedef __m256 vm;
typedef __m256d vd;

SNN_INLINE __m256i snn_first(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
SNN_INLINE vf vf_zero(void) { return _mm256_setzero_ps(); }
SNN_INLINE vf vf_set1(float x) { return _mm256_set1_ps(x); }
SNN_INLINE vf vf_load(const float *p) { return _mm256_loadu_ps(p); }
SNN_INLINE vf vf_load_n(const float *p, int n) { return _mm256_maskload_ps(p, snn_first(n)); }
SNN_INLINE void vf_store(float *p, vf a) { _mm256_storeu_ps(p, a); }
SNN_INLINE void vf_store_n(float *p, vf a, int n) { _mm256_maskstore_ps(p, snn_first(n), a); }
SNN_INLINE void vf_store_nt(float *p, vf a) { _mm256_stream_ps(p, a); }
SNN_INLINE void vf_fence_nt(void) { _mm_sfence(); }
SNN_INLINE vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
SNN_INLINE vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
SNN_INLINE vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
SNN_INLINE vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
SNN_INLINE vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
SNN_INLINE vf vf_abs(vf a) { return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))); }
SNN_INLINE vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
SNN_INLINE vm vf_gt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
SNN_INLINE vm vf_ge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
SNN_INLINE vm vf_eq(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
SNN_INLINE vm vf_isnan(vf a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
SNN_INLINE vm vf_nle(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_NLE_UQ); }
SNN_INLINE vf vf_select(vm m, vf t, vf f) { return _mm256_blendv_ps(f, t, m); }
SNN_INLINE vm vm_or(vm a, vm b) { return _mm256_or_ps(a, b); }
SNN_INLINE vm vm_and(vm a, vm b) { return _mm256_and_ps(a, b); }
SNN_INLINE vm vm_andnot(vm a, vm b) { return _mm256_andnot_ps(b, a); }
SNN_INLINE vm vm_none(void) { return _mm256_setzero_ps(); }
SNN_INLINE unsigned vm_bits(vm m) { return (unsigned) _mm256_movemask_ps(m); }
SNN_INLINE int vm_compress(int32_t *out, vm m, int32_t base)
{
    const unsigned bits = vm_bits(m);
    int count = 0;
    for (int k = 0; k < 8; k++) {
        out[count] = base + k;
        count += (int) (bits >> k) & 1;
    }
    return count;
}

SNN_INLINE vf vf_load_i32(const int32_t *p, int n)
{
    return _mm256_cvtepi32_ps(_mm256_maskload_epi32(p, snn_first(n)));
}
SNN_INLINE void vf_store_i32(int32_t *p, vf a, int n)
{
    _mm256_maskstore_epi32(p, snn_first(n), _mm256_cvttps_epi32(a));
}

typedef struct {
    vd lo, hi;
} vdd;
SNN_INLINE vdd vdd_zero(void) { return (vdd) {_mm256_setzero_pd(), _mm256_setzero_pd()}; }
SNN_INLINE vdd vdd_of(vf a)
{
    return (vdd) {_mm256_cvtps_pd(_mm256_castps256_ps128(a)), _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1))};
}
SNN_INLINE vf vdd_to_vf(vdd a)
{
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(a.lo)), _mm256_cvtpd_ps(a.hi), 1);
}
SNN_INLINE vdd vdd_add(vdd a, vdd b) { return (vdd) {_mm256_add_pd(a.lo, b.lo), _mm256_add_pd(a.hi, b.hi)}; }
SNN_INLINE vdd vdd_mul(vdd a, vdd b) { return (vdd) {_mm256_mul_pd(a.lo, b.lo), _mm256_mul_pd(a.hi, b.hi)}; }
SNN_INLINE __m256i snn_first_pd(int n)
{
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
}
SNN_INLINE vdd vdd_load(const double *p, int n)
{
    return (vdd) {_mm256_maskload_pd(p, snn_first_pd(n)), _mm256_maskload_pd(p + 4, snn_first_pd(n - 4))};
}
SNN_INLINE void vdd_store(double *p, vdd a, int n)
{
    _mm256_maskstore_pd(p, snn_first_pd(n), a.lo);
    _mm256_maskstore_pd(p + 4, snn_first_pd(n - 4), a.hi);
}

SNN_INLINE void vf_transpose(vf r[SNN_W])
{
    vf t[8];
    vf u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        /* u[4i + c], 128-bit lane L: rows 4i .. 4i+3 of column 4L + c */
        u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
    for (int c = 0; c < 4; c++) {
        r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
        r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
    }
}

#else
/* ----- portable ------------------------------------------------------------------------------------------------ */
#define SNN_W 4
#define SNN_ISA_NAME portable
typedef struct {
    float v[4];
} vf;
typedef struct {
    int v[4];
} vm;
typedef struct {
    double lo[4];
} vdd;

#define SNN_LANES for (int k_ = 0; k_ < 4; k_++)
SNN_INLINE vf vf_zero(void) { vf r = {{0, 0, 0, 0}}; return r; }
SNN_INLINE vf vf_set1(float x) { vf r = {{x, x, x, x}}; return r; }
SNN_INLINE vf vf_load_n(const float *p, int n) { vf r = vf_zero(); SNN_LANES { if (k_ < n) r.v[k_] = p[k_]; } return r; }
SNN_INLINE vf vf_load(const float *p) { return vf_load_n(p, 4); }
SNN_INLINE void vf_store_n(float *p, vf a, int n) { SNN_LANES { if (k_ < n) p[k_] = a.v[k_]; } }
SNN_INLINE void vf_store(float *p, vf a) { vf_store_n(p, a, 4); }
/* the portable build has no non-temporal stores: plain ones, which need no fence */
SNN_INLINE void vf_store_nt(float *p, vf a) { vf_store(p, a); }
SNN_INLINE void vf_fence_nt(void) {}
#define SNN_LANEWISE(name, expr) \
    static inline vf name(vf a, vf b) { vf r; SNN_LANES { r.v[k_] = (expr); } return r; }
SNN_LANEWISE(vf_add, a.v[k_] + b.v[k_])
SNN_LANEWISE(vf_sub, a.v[k_] - b.v[k_])
SNN_LANEWISE(vf_mul, a.v[k_] * b.v[k_])
SNN_LANEWISE(vf_div, a.v[k_] / b.v[k_])
SNN_LANEWISE(vf_max, a.v[k_] > b.v[k_] ? a.v[k_] : b.v[k_])
SNN_INLINE vf vf_fma(vf a, vf b, vf c) { vf r; SNN_LANES { r.v[k_] = fmaf(a.v[k_], b.v[k_], c.v[k_]); } return r; }
SNN_INLINE vf vf_abs(vf a) { vf r; SNN_LANES { r.v[k_] = fabsf(a.v[k_]); } return r; }
#define SNN_COMPARE(name, expr) \
    static inline vm name(vf a, vf b) { vm r; SNN_LANES { r.v[k_] = (expr); } return r; }
SNN_COMPARE(vf_gt, a.v[k_] > b.v[k_])
SNN_COMPARE(vf_ge, a.v[k_] >= b.v[k_])
SNN_COMPARE(vf_eq, a.v[k_] == b.v[k_])
SNN_COMPARE(vf_nle, !(a.v[k_] <= b.v[k_]))
SNN_INLINE vm vf_isnan(vf a) { vm r; SNN_LANES { r.v[k_] = a.v[k_] != a.v[k_]; } return r; }
SNN_INLINE vf vf_select(vm m, vf t, vf f) { vf r; SNN_LANES { r.v[k_] = m.v[k_] ? t.v[k_] : f.v[k_]; } return r; }
SNN_INLINE vm vm_or(vm a, vm b) { vm r; SNN_LANES { r.v[k_] = a.v[k_] | b.v[k_]; } return r; }
SNN_INLINE vm vm_and(vm a, vm b) { vm r; SNN_LANES { r.v[k_] = a.v[k_] & b.v[k_]; } return r; }
SNN_INLINE vm vm_andnot(vm a, vm b) { vm r; SNN_LANES { r.v[k_] = a.v[k_] & !b.v[k_]; } return r; }
SNN_INLINE vm vm_none(void) { vm r = {{0, 0, 0, 0}}; return r; }
SNN_INLINE unsigned vm_bits(vm m) { unsigned r = 0; SNN_LANES { r |= (unsigned) (m.v[k_] != 0) << k_; } return r; }
SNN_INLINE int vm_compress(int32_t *out, vm m, int32_t base)
{
    int count = 0;
    SNN_LANES {
        out[count] = base + k_;
        count += m.v[k_] != 0;
    }
    return count;
}
SNN_INLINE vf vf_load_i32(const int32_t *p, int n) { vf r = vf_zero(); SNN_LANES { if (k_ < n) r.v[k_] = (float) p[k_]; } return r; }
SNN_INLINE void vf_store_i32(int32_t *p, vf a, int n) { SNN_LANES { if (k_ < n) p[k_] = (int32_t) a.v[k_]; } }
SNN_INLINE vdd vdd_zero(void) { vdd r = {{0, 0, 0, 0}}; return r; }
SNN_INLINE vdd vdd_of(vf a) { vdd r; SNN_LANES { r.lo[k_] = a.v[k_]; } return r; }
SNN_INLINE vf vdd_to_vf(vdd a) { vf r; SNN_LANES { r.v[k_] = (float) a.lo[k_]; } return r; }
SNN_INLINE vdd vdd_add(vdd a, vdd b) { vdd r; SNN_LANES { r.lo[k_] = a.lo[k_] + b.lo[k_]; } return r; }
SNN_INLINE vdd vdd_mul(vdd a, vdd b) { vdd r; SNN_LANES { r.lo[k_] = a.lo[k_] * b.lo[k_]; } return r; }
SNN_INLINE vdd vdd_load(const double *p, int n) { vdd r = vdd_zero(); SNN_LANES { if (k_ < n) r.lo[k_] = p[k_]; } return r; }
SNN_INLINE void vdd_store(double *p, vdd a, int n) { SNN_LANES { if (k_ < n) p[k_] = a.lo[k_]; } }
SNN_INLINE void vf_transpose(vf r[SNN_W])
{
    for (int i = 0; i < 4; i++) {
        for (int j = i + 1; j < 4; j++) {
            float x = r[i].v[j];
            r[i].v[j] = r[j].v[i];
            r[j].v[i] = x;
        }
    }
}
#endif

/* ----- shared by every section --------------------------------------------------------------------------------- */

#define SNN_CAT2(a, b) a##_##b
#define SNN_CAT(a, b) SNN_CAT2(a, b)
/* name_<isa>: the symbols one ISA's build of a kernel file defines */
#define SNN_ISA_SYMBOL(name) SNN_CAT(name, SNN_ISA_NAME)

/* Neurons padded to whole vectors. */
SNN_INLINE int64_t snn_pad(int64_t n)
{
    return (n + SNN_W - 1) / SNN_W * SNN_W;
}

SNN_INLINE int snn_lanes(int64_t n, int64_t g)
{
    return n - g < SNN_W ? (int) (n - g) : SNN_W;
}

/*
 * Step vectors from a W x W tile of [rows, time] memory: out[s] lane q = rows[q * T + s] for q < rn, s < len;
 * lanes q >= rn are 0 (and out[s] for s >= len holds what the transpose leaves there).
 */
SNN_INLINE void vf_tile_in(const float *rows, int64_t T, int rn, int len, vf out[SNN_W])
{
    for (int q = 0; q < SNN_W; q++) {
        out[q] = q >= rn ? vf_zero() : len == SNN_W ? vf_load(rows + q * T) : vf_load_n(rows + q * T, len);
    }
    vf_transpose(out);
}

/*
 * Asks for rn rows' memory `ahead` floats past (or, negative, before) `rows` (for reading, or for writing). A tile
 * touches one short piece of each of SNN_W rows, more streams than the hardware prefetchers follow: the kernels ask
 * for the pieces of the tile SNN_PREFETCH_AHEAD steps on. Prefetches never fault, so an address past the end of a
 * row is harmless (it is formed as an integer).
 */
#define SNN_PREFETCH_AHEAD 64
SNN_INLINE void vf_tile_prefetch(const float *rows, int64_t ahead, int64_t T, int rn, int write)
{
    const uintptr_t base = (uintptr_t) rows + (uintptr_t) (ahead * (int64_t) sizeof(float));
    for (int q = 0; q < rn; q++) {
        const void *p = (const void *) (base + (uintptr_t) (q * T * (int64_t) sizeof(float)));
        if (write) {
            __builtin_prefetch(p, 1, 3);
        } else {
            __builtin_prefetch(p, 0, 3);
        }
    }
}

/* The reverse: rows[q * T + s] = in[s] lane q for q < rn, s < len (in is overwritten). */
SNN_INLINE void vf_tile_out(vf in[SNN_W], int rn, int len, float *rows, int64_t T)
{
    vf_transpose(in);
    for (int q = 0; q < rn; q++) {
        if (len == SNN_W) {
            vf_store(rows + q * T, in[q]);
        } else {
            vf_store_n(rows + q * T, in[q], len);
        }
    }
}

/*
 * The forward spike of LibTorch's surrogate trick (internal.h, snn_spike) for x = V - 1, per lane: H(x), NaN where
 * x is NaN, and with the fast sigmoid also where x is infinite.
 */
SNN_INLINE vf vf_spike(vf x, int surrogate)
{
    const vm bad = surrogate == SNN_SURR_FAST_SIGMOID ? vf_nle(vf_abs(x), vf_set1(FLT_MAX)) : vf_isnan(x);
    return vf_select(bad, vf_set1(NAN), vf_select(vf_gt(x, vf_zero()), vf_set1(1.0f), vf_zero()));
}

/* dH/du at u = v - 1, as snn_surrogate_row computes it. */
SNN_INLINE vf vf_surrogate(int kind, float scale, vf v)
{
    const vf x = vf_sub(v, vf_set1(1.0f));
    switch (kind) {
    case SNN_SURR_ARCTAN: {
        const vf a = vf_div(vf_mul(vf_mul(vf_set1((float) M_PI), vf_set1(scale)), x), vf_set1(2.0f));
        return vf_div(vf_set1(scale / 2.0f), vf_add(vf_set1(1.0f), vf_mul(a, a)));
    }
    case SNN_SURR_TRIANGLE:
        return vf_max(vf_sub(vf_set1(1.0f), vf_mul(vf_set1(scale), vf_abs(x))), vf_zero());
    default: {
        const vf d = vf_add(vf_mul(vf_set1(scale), vf_abs(x)), vf_set1(1.0f));
        return vf_div(vf_set1(1.0f), vf_mul(d, d));
    }
    }
}

/*
 * A tile of a layer's input current for the group of rn neurons starting at g: from the dense rows cur [n, T] (at the
 * unit's first row), transposed, or from the step-major projected input [T][ld].
 */
SNN_INLINE void vf_current_tile(const float *cur, const float *projected, int64_t ld, int64_t T, int64_t g, int rn,
        int64_t t0, int len, vf in[SNN_W])
{
    if (cur != NULL) {
        vf_tile_prefetch(cur + g * T + t0, SNN_PREFETCH_AHEAD, T, rn, 0);
        vf_tile_in(cur + g * T + t0, T, rn, len, in);
    } else {
        for (int s = 0; s < len; s++) {
            in[s] = vf_load(projected + (t0 + s) * ld + g);
        }
    }
}

/*
 * stage[s * ld + j] = rows[j * T + s] for j < n, s < len: a step-major staging tile (lanes n .. ld - 1 are 0);
 * `ahead` is where the next tiles are (+-SNN_PREFETCH_AHEAD for a forward or a backward pass).
 */
SNN_INLINE void vf_stage_in(const float *rows, int64_t T, int64_t n, int len, float *stage, int64_t ld,
        int64_t ahead)
{
    for (int64_t g = 0; g < n; g += SNN_W) {
        vf r[SNN_W];
        vf_tile_prefetch(rows + g * T, ahead, T, snn_lanes(n, g), 0);
        vf_tile_in(rows + g * T, T, snn_lanes(n, g), len, r);
        for (int s = 0; s < len; s++) {
            vf_store(stage + s * ld + g, r[s]);
        }
    }
}

/*
 * dst[0 .. n) = src[0 .. n): non-temporal stores for dst's whole aligned vectors (plain ones at the unaligned ends),
 * then the fence that orders them before the unit's later stores and the driver's barrier. For the outputs a kernel
 * writes once and does not read back: a plain store of a line that is not cached first reads it for ownership, so an
 * array written that way moves twice its size through memory. The kernels form a group's rows (contiguous in memory:
 * one stream) in a cached buffer and stream it out.
 */
SNN_INLINE void vf_stream(float *dst, const float *src, int64_t n)
{
    int64_t i = 0;
    while (i < n && ((uintptr_t) (dst + i) & (SNN_W * sizeof(float) - 1)) != 0) {
        dst[i] = src[i];
        i++;
    }
    for (; i + SNN_W <= n; i += SNN_W) {
        vf_store_nt(dst + i, vf_load(src + i));
    }
    for (; i < n; i++) {
        dst[i] = src[i];
    }
    vf_fence_nt();
}

/* rows[j * T + s] = stage[s * ld + j] for j < n, s < len; `ahead` as for vf_stage_in. */
SNN_INLINE void vf_stage_out(const float *stage, int64_t ld, int64_t n, int len, float *rows, int64_t T,
        int64_t ahead)
{
    for (int64_t g = 0; g < n; g += SNN_W) {
        vf r[SNN_W];
        for (int s = 0; s < SNN_W; s++) {
            r[s] = s < len ? vf_load(stage + s * ld + g) : vf_zero();
        }
        vf_tile_prefetch(rows + g * T, ahead, T, snn_lanes(n, g), 1);
        vf_tile_out(r, snn_lanes(n, g), len, rows + g * T, T);
    }
}

#endif
