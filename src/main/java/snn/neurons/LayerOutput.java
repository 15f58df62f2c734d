package snn.neurons;

import org.bytedeco.pytorch.Tensor;

/**
 * What a layer emits for a batch, both {@code [batch, neurons, time]}.
 *
 * @param spikes   output spikes (0/1); for non-spiking (integrator) layers a tensor of zeros is never built and
 *                 this is {@code null}
 * @param membrane the membrane the reference reports with the spikes: pre-reset for the multi-spike LIF, the
 *                 masked membrane for the single-spike LIF, the no-reset membrane for block and d-block layers
 */
public record LayerOutput(Tensor spikes, Tensor membrane) {
}
