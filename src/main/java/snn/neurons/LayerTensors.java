package snn.neurons;

import org.bytedeco.pytorch.Tensor;

/**
 * The tensors a layer's dynamics read in one forward call, carrying their autograd history.
 *
 * @param input         {@code [batch, inputs, time]}, or the current {@code [batch, neurons, time]} when
 *                      {@code projection} is null; {@code null} when the input is given as {@code events}
 * @param events        the input as events (then {@code projection} is not null), or {@code null} when it is the
 *                      dense {@code input}
 * @param projection    the input projection W_in x + b_in, or {@code null} when {@code input} is the current
 * @param beta          the clamped decay, {@code [neurons]} or {@code [1]}
 * @param betaParameter the raw decay parameter that {@code beta} was clamped from (in-place changes to it between
 *                      the forward and the backward pass are errors, as in autograd)
 * @param recurrent     the recurrent projection W_rec, b_rec, or {@code null}
 */
public record LayerTensors(Tensor input, SpikeEvents events, Projection projection, Tensor beta,
        Tensor betaParameter, Projection recurrent) {

    /**
     * Checks that exactly one form of the input is given, and events only with a projection.
     *
     * @throws IllegalArgumentException otherwise
     */
    public LayerTensors {
        if ((input == null) == (events == null) || (events != null && projection == null)) {
            throw new IllegalArgumentException("a layer's input is either a dense tensor or events with the layer's"
                    + " input projection");
        }
    }

    /** {@return the time steps of the input} */
    public long steps() {
        return events != null ? events.steps() : input.size(2);
    }
}
