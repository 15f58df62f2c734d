package snn.neurons;

import java.util.Optional;

/**
 * Who computes a layer's dynamics (and input projection). {@link #TORCH} leaves every layer to its own LibTorch ops.
 * Another implementation (the fused native kernels of {@code snn.nativekernels}) may take over the cases it supports
 * and decline the others by returning {@link Optional#empty()}, in which case the layer runs its LibTorch ops. Both
 * paths produce the same spikes and, up to float rounding, the same membranes and gradients.
 */
public interface NeuronKernels {

    /** The LibTorch ops of each layer. */
    NeuronKernels TORCH = new NeuronKernels() {
        @Override
        public String name() {
            return "torch";
        }

        @Override
        public Optional<LayerOutput> compute(DynamicsSpec spec, LayerTensors tensors) {
            return Optional.empty();
        }
    };

    /** {@return the implementation's name for logs: {@code torch} or {@code native}} */
    String name();

    /**
     * A layer's forward pass: input projection (when {@code tensors} has one) and dynamics over all steps, or empty
     * to let the layer use its LibTorch ops.
     *
     * @param spec    the layer's dynamics
     * @param tensors the input and parameters, carrying their autograd history
     * @return the layer's output as the layer reports it (spikes {@code null} when not spiking), joined to the
     *         autograd graph of the inputs and parameters; or empty when this implementation does not support the
     *         case
     */
    Optional<LayerOutput> compute(DynamicsSpec spec, LayerTensors tensors);
}
