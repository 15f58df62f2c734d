package snn.neurons;

import org.bytedeco.pytorch.Tensor;

/**
 * The tensors a layer's dynamics read in one forward call, carrying their autograd history.
 *
 * @param input         {@code [batch, inputs, time]}, or the current {@code [batch, neurons, time]} when
 *                      {@code projection} is null
 * @param projection    the input projection W_in x + b_in, or {@code null} when {@code input} is the current
 * @param beta          the clamped decay, {@code [neurons]} or {@code [1]}
 * @param betaParameter the raw decay parameter that {@code beta} was clamped from (in-place changes to it between
 *                      the forward and the backward pass are errors, as in autograd)
 * @param recurrent     the recurrent projection W_rec, b_rec, or {@code null}
 */
public record LayerTensors(Tensor input, Projection projection, Tensor beta, Tensor betaParameter,
        Projection recurrent) {
}
