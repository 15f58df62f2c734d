/* Helpers shared by the kernels: transposes, gradient accumulators, inputs, and the benchmark floor. */
#include <stdlib.h>
#include <string.h>
#include <omp.h>

#include "snn_kernels.h"
#include "input.h"
#include "tile.h"

SNN_API int32_t snn_abi_version(void)
{
    return SNN_KERNELS_ABI;
}

float *snn_transpose(const float *w, int64_t rows, int64_t cols)
{
    float *wt = malloc((size_t) (rows * cols) * sizeof(float));
    if (wt == NULL) {
        return NULL;
    }
    for (int64_t j = 0; j < rows; j++) {
        for (int64_t i = 0; i < cols; i++) {
            wt[i * rows + j] = w[j * cols + i];
        }
    }
    return wt;
}

int snn_input_init(snn_input *in, const float *cur, const float *x, int64_t m, int64_t n, const float *w_in,
        const float *b_in, uint32_t *ev_pos, float *ev_val, int32_t *ev_count, int64_t ev_cap)
{
    in->ev_pos = cur == NULL ? ev_pos : NULL;
    in->ev_val = cur == NULL ? ev_val : NULL;
    in->ev_count = cur == NULL && ev_pos != NULL && ev_val != NULL ? ev_count : NULL;
    in->ev_cap = ev_cap;
    in->cur = cur;
    in->x = cur == NULL ? x : NULL;
    in->bias = cur == NULL ? b_in : NULL;
    in->m = m;
    in->wt = NULL;
    if (cur == NULL) {
        in->wt = snn_transpose(w_in, n, m);
        if (in->wt == NULL) {
            return -1;
        }
    }
    return 0;
}

void snn_input_free(snn_input *in)
{
    free((void *) in->wt);
    in->wt = NULL;
}

int snn_grads_init(snn_grads *g, int threads, int64_t batch, int64_t n, int recurrent, int64_t m_in, int bias_in)
{
    memset(g, 0, sizeof(*g));
    g->threads = threads;
    g->batch = batch;
    g->n = n;
    g->m = m_in;
    g->dbeta = calloc((size_t) (batch * n), sizeof(double));
    int ok = g->dbeta != NULL;
    if (recurrent) {
        g->w = calloc((size_t) (threads * n * n), sizeof(double));
        g->b = calloc((size_t) (threads * n), sizeof(double));
        ok = ok && g->w != NULL && g->b != NULL;
    }
    if (m_in > 0) {
        g->w_in = calloc((size_t) (threads * m_in * n), sizeof(float));
        ok = ok && g->w_in != NULL;
    }
    if (bias_in) {
        g->b_in = calloc((size_t) (threads * n), sizeof(double));
        ok = ok && g->b_in != NULL;
    }
    if (!ok) {
        snn_grads_free(g);
        return -1;
    }
    return 0;
}

void snn_grads_free(snn_grads *g)
{
    free(g->dbeta);
    free(g->w);
    free(g->b);
    free(g->w_in);
    free(g->b_in);
    memset(g, 0, sizeof(*g));
}

/* out[j] = sum over r < rows of partial[r * n + j], in row order. */
static void reduce_rows(const double *partial, int64_t rows, int64_t n, float *out)
{
    for (int64_t j = 0; j < n; j++) {
        double acc = 0.0;
        for (int64_t r = 0; r < rows; r++) {
            acc += partial[r * n + j];
        }
        out[j] = (float) acc;
    }
}

/* out[j * m + i] = sum over r < copies of acc[(r * m + i) * n + j]: transposed accumulators back to [n, m]. */
static void reduce_transposed(const double *acc, int64_t copies, int64_t m, int64_t n, float *out)
{
    for (int64_t j = 0; j < n; j++) {
        for (int64_t i = 0; i < m; i++) {
            double sum = 0.0;
            for (int64_t r = 0; r < copies; r++) {
                sum += acc[(r * m + i) * n + j];
            }
            out[j * m + i] = (float) sum;
        }
    }
}

static void reduce_transposed_float(const float *acc, int64_t copies, int64_t m, int64_t n, float *out)
{
    for (int64_t j = 0; j < n; j++) {
        for (int64_t i = 0; i < m; i++) {
            double sum = 0.0;
            for (int64_t r = 0; r < copies; r++) {
                sum += acc[(r * m + i) * n + j];
            }
            out[j * m + i] = (float) sum;
        }
    }
}

void snn_grads_reduce(const snn_grads *g, float *g_beta, float *g_w, float *g_b, float *g_w_in, float *g_b_in)
{
    if (g_beta != NULL) {
        reduce_rows(g->dbeta, g->batch, g->n, g_beta);
    }
    if (g->w != NULL && g_w != NULL) {
        reduce_transposed(g->w, g->threads, g->n, g->n, g_w);
    }
    if (g->b != NULL && g_b != NULL) {
        reduce_rows(g->b, g->threads, g->n, g_b);
    }
    if (g->w_in != NULL && g_w_in != NULL) {
        reduce_transposed_float(g->w_in, g->threads, g->m, g->n, g_w_in);
    }
    if (g->b_in != NULL && g_b_in != NULL) {
        reduce_rows(g->b_in, g->threads, g->n, g_b_in);
    }
}

SNN_API void snn_copy_pass(const float *src, float *dst, int64_t n, int32_t threads)
{
    const int64_t chunk = 1 << 16;
    const int64_t pieces = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t p = 0; p < pieces; p++) {
        int64_t lo = p * chunk;
        int64_t len = lo + chunk <= n ? chunk : n - lo;
        memcpy(dst + lo, src + lo, (size_t) len * sizeof(float));
    }
}

SNN_API int32_t snn_sparse_projection(int64_t B, int64_t M, int64_t N, int64_t T,
        const float *x, const float *w, const float *bias, float *out, int32_t threads)
{
    snn_input in;
    if (snn_input_init(&in, NULL, x, M, N, w, bias, NULL, NULL, NULL, 0) != 0) {
        return -1;
    }
    const int64_t tl = snn_tile_steps(N, T);
    int32_t status = 0;
#pragma omp parallel num_threads(threads)
    {
        float *tile = malloc((size_t) (tl * N) * sizeof(float));
        int32_t *idx = malloc((size_t) tl * sizeof(int32_t));
        if (tile == NULL || idx == NULL) {
            free(tile);
            tile = NULL;
#pragma omp atomic write
            status = -1;
        }
#pragma omp for schedule(static)
        for (int64_t b = 0; b < B; b++) {
            for (int64_t t0 = 0; tile != NULL && t0 < T; t0 += tl) {
                const int64_t len = T - t0 < tl ? T - t0 : tl;
                snn_input_tile(&in, b, N, T, 0, N, t0, len, tile, idx);
                snn_store_tile(tile, N, len, out + b * N * T, T, t0);
            }
        }
        free(tile);
        free(idx);
    }
    snn_input_free(&in);
    return status;
}
