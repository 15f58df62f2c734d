package snn.neurons;

import java.util.Optional;

import org.bytedeco.pytorch.Tensor;

/**
 * Who computes a layer's neuron dynamics from its input current. {@link #TORCH} leaves every layer to its own
 * LibTorch ops. Another implementation (the fused native kernels of {@code snn.nativekernels}) may take over the
 * cases it supports and decline the others by returning {@link Optional#empty()}, in which case the layer runs its
 * LibTorch ops. Both paths produce the same spikes and, up to float rounding, the same membranes and gradients.
 */
public interface NeuronKernels {

    /** The LibTorch ops of each layer. */
    NeuronKernels TORCH = new NeuronKernels() {
        @Override
        public NeuronKernels forLayer() {
            return this;
        }

        @Override
        public String name() {
            return "torch";
        }

        @Override
        public Optional<LayerOutput> lif(Tensor input, Projection projection, Tensor beta, LifLayer.Mode mode,
                Projection recurrent, Surrogate surrogate) {
            return Optional.empty();
        }

        @Override
        public Optional<LayerOutput> dblock(Tensor input, Projection projection, Tensor beta, int blocks,
                boolean spiking, Projection recurrent, boolean detachRecurrent, DBlockLayer.RecurrentInput reduction,
                Surrogate surrogate) {
            return Optional.empty();
        }
    };

    /**
     * The instance one layer uses. Implementations may keep per-layer state (the native kernels keep the backward
     * hooks of the layer's latest forward passes alive); stateless ones return themselves.
     *
     * @return the instance a newly built layer keeps and calls for all its forward passes
     */
    NeuronKernels forLayer();

    /** {@return the implementation's name for logs: {@code torch} or {@code native}} */
    String name();

    /**
     * The standard LIF layer of {@link LifLayer}: input projection (when given) and dynamics over all steps, or
     * empty to let the layer use LibTorch.
     *
     * @param input      {@code [batch, inputs, time]}, or the current {@code [batch, neurons, time]} when
     *                   {@code projection} is null
     * @param projection the input projection W_in x + b_in, or {@code null}
     * @param beta       the clamped decay, {@code [neurons]} or {@code [1]}, carrying its autograd history
     * @param mode       multi-spike, single-spike or integrator, as in {@link LifLayer.Mode}
     * @param recurrent  the recurrent projection W_rec, b_rec, or {@code null}
     * @param surrogate  the spike function's pseudo-derivative
     * @return the layer's output as {@link LifLayer} reports it (spikes {@code null} for an integrator), joined to
     *         the autograd graph of the inputs and parameters; or empty when this implementation does not support
     *         the case
     */
    Optional<LayerOutput> lif(Tensor input, Projection projection, Tensor beta, LifLayer.Mode mode,
            Projection recurrent, Surrogate surrogate);

    /**
     * The d-block layer of {@link DBlockLayer} ({@code blocks} = d; d = 1 without recurrence is the
     * {@link BlockLayer}), inputs as for {@link #lif}, or empty to let the layer use LibTorch.
     *
     * @param input           {@code [batch, inputs, time]}, or the current {@code [batch, neurons, time]} when
     *                        {@code projection} is null; time &ge; {@code blocks}
     * @param projection      the input projection W_in x + b_in, or {@code null}
     * @param beta            the clamped decay, {@code [neurons]} or {@code [1]}, carrying its autograd history
     * @param blocks          d, the number of regular blocks
     * @param spiking         {@code false} for a readout, which reports the per-block no-reset membrane only
     * @param recurrent       the recurrent projection W_rec, b_rec injected at the start of each block after the
     *                        first, or {@code null}
     * @param detachRecurrent whether no gradient flows back through the previous block's spikes a_k
     * @param reduction       how a_k is formed from a block's spikes (max or sum over its steps)
     * @param surrogate       the spike function's pseudo-derivative
     * @return the spikes ({@code null} when not spiking) and the no-reset membrane, both
     *         {@code [batch, neurons, time]}, joined to the autograd graph; or empty when this implementation does
     *         not support the case
     */
    Optional<LayerOutput> dblock(Tensor input, Projection projection, Tensor beta, int blocks, boolean spiking,
            Projection recurrent, boolean detachRecurrent, DBlockLayer.RecurrentInput reduction,
            Surrogate surrogate);
}
