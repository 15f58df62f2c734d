/*
 * The input projection on its own: I = W_in x + b_in of a sparse input x [B, M, T], event by event, into the layer's
 * `mem` array [B, N, T] (snn_project). The scans are those the layer kernels run when they project their input
 * themselves (snn_input_tile in input.h), compiled once per instruction set like lif.c and dblock.c, so a benchmark of
 * this entry point times the projection that training runs.
 */
#include "internal.h"
#include "simd.h"

static int64_t forward_work(const snn_job *job, int64_t n)
{
    return n * job->layer->steps;
}

/* One sample's currents, step-major in the scratch, stored into its rows of mem [B, N, T]. */
static void forward_unit(const snn_job *job, const snn_unit *u)
{
    const snn_layer_args *l = job->layer;
    const int64_t N = l->neurons;
    const int64_t T = l->steps;
    float *out = l->mem + u->row0;
    snn_input_tile(&job->in, u->b, N, T, 0, N, 0, T, u->work, N, u->input_scratch);
    for (int64_t j = 0; j < N; j++) {
        for (int64_t t = 0; t < T; t++) {
            out[j * T + t] = u->work[t * N + j];
        }
    }
}

/* A projection has no backward pass: its gradients are the layer kernels' (input_grad.h). */
static void no_backward_unit(const snn_job *job, const snn_unit *u)
{
    (void) job;
    (void) u;
}

static int64_t no_backward_work(const snn_job *job, int64_t n)
{
    (void) job;
    (void) n;
    return 0;
}

/* A projected input and nothing a layer kernel reads besides it. */
static int valid(const void *args)
{
    const snn_layer_args *l = args;
    return l->in.cur == NULL && (l->in.x != NULL) != (l->in.in_off != NULL) && l->in.w_in != NULL && l->in.ev_pos == NULL
            && l->w_rec == NULL && l->spk == NULL;
}

const snn_family SNN_ISA_SYMBOL(snn_projection_family) = {forward_unit, no_backward_unit, forward_work,
        no_backward_work, valid};
