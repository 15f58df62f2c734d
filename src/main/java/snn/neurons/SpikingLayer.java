package snn.neurons;

import org.bytedeco.pytorch.Tensor;

/**
 * A layer of neurons fed through a learnable linear projection: input {@code [batch, inputs, time]} to
 * currents {@code I = W x + b} at every step, then neuron dynamics over time.
 */
public sealed interface SpikingLayer permits NeuronLayer {

    /**
     * Runs the layer over a whole input sequence: projects every step's input to a current, then runs the neuron
     * dynamics over all steps.
     *
     * @param input presynaptic activity {@code [batch, inputs(), time]}, float32 (usually 0/1 spikes)
     * @return the spikes ({@code null} when not {@link #spiking()}) and the membrane, both
     *         {@code [batch, neurons(), time]}
     * @throws IllegalArgumentException when the input has fewer time steps than the layer needs (a d-block layer
     *                                  needs at least d)
     */
    LayerOutput forward(Tensor input);

    /**
     * As {@link #forward(Tensor)}, for an input given as events: the same result as on their dense form, without
     * making it where the kernels project events themselves.
     *
     * @param input presynaptic events, {@code [batch, inputs(), time]} in dense form
     * @return what {@link #forward(Tensor)} returns for {@code input.dense()}
     * @throws IllegalArgumentException when the events have another channel count than {@link #inputs()}, or fewer
     *                                  time steps than the layer needs
     */
    LayerOutput forward(SpikeEvents input);

    /** {@return the number of presynaptic units, the size of the input's second axis} */
    int inputs();

    /** {@return the number of neurons in the layer, the size of the output's second axis} */
    int neurons();

    /** {@return whether this layer emits spikes: {@code false} for integrating readouts, which report membranes} */
    boolean spiking();

    /** {@return the underlying LibTorch module, which holds the parameters and the train/eval mode} */
    org.bytedeco.pytorch.Module module();
}
