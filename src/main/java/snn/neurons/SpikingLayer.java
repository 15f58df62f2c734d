package snn.neurons;

import org.bytedeco.pytorch.Tensor;

/**
 * A layer of neurons fed through a learnable linear projection: input {@code [batch, inputs, time]} to
 * currents {@code I = W x + b} at every step, then neuron dynamics over time.
 */
public sealed interface SpikingLayer permits LifLayer, BlockLayer, DBlockLayer {

    /** Runs the layer over a whole input sequence {@code [batch, inputs(), time]}. */
    LayerOutput forward(Tensor input);

    /** Presynaptic units. */
    int inputs();

    /** Neurons in the layer. */
    int neurons();

    /** Whether this layer emits spikes ({@code false} for integrating readouts). */
    boolean spiking();

    /** The underlying LibTorch module (parameters, train/eval mode). */
    org.bytedeco.pytorch.Module module();
}
