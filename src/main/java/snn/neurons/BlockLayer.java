package snn.neurons;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

import snn.runtime.Tensors;

/**
 * The single-spike block layer (FastSNN; docs/specification.md section 3): the membrane without reset for all steps at
 * once, V~ = conv(I, [beta^(T-1) .. 1]), faulty spikes s^ = H(V~ - 1), then only each neuron's first crossing kept,
 * with gradients through the cumulative spike count ({@link Dynamics#firstSpikes}).
 *
 * <p>A non-spiking block layer is the leaky-integrator readout of the block model: it reports V~ only.
 *
 * <p>The {@link NeuronKernels} given at construction may compute the layer instead of these LibTorch ops (the fused
 * native kernels: docs/native-kernels.md); the results are the same.
 */
public final class BlockLayer extends NeuronLayer<DynamicsSpec.DBlock> {

    private static final Scalar ONE = Tensors.constant(1.0);

    /**
     * A block layer computed with LibTorch ops ({@link NeuronKernels#TORCH}), with input weights drawn from
     * U(-1/sqrt(inputs), 1/sqrt(inputs)) and a zero bias.
     *
     * @param inputs    presynaptic units
     * @param neurons   neurons in the layer
     * @param spiking   {@code true} for a hidden layer emitting first spikes; {@code false} for the readout, which
     *                  reports the no-reset membrane only
     * @param beta      the membrane decay: initial value, per neuron or shared, learnable or fixed
     * @param surrogate the spike function's pseudo-derivative (unused when not spiking)
     */
    public BlockLayer(int inputs, int neurons, boolean spiking, Beta beta, Surrogate surrogate) {
        this(inputs, neurons, spiking, beta, surrogate, NeuronKernels.TORCH);
    }

    /**
     * As above, with the layer (input projection and dynamics) computed by {@code kernels} where they can; for
     * them a block layer is a d-block layer with a single block and no recurrence ({@link DynamicsSpec.DBlock#block}).
     *
     * @param inputs    presynaptic units
     * @param neurons   neurons in the layer
     * @param spiking   {@code true} for a hidden layer, {@code false} for a readout
     * @param beta      the membrane decay
     * @param surrogate the spike function's pseudo-derivative
     * @param kernels   who computes the layer
     */
    public BlockLayer(int inputs, int neurons, boolean spiking, Beta beta, Surrogate surrogate,
            NeuronKernels kernels) {
        super(inputs, neurons, DynamicsSpec.DBlock.block(spiking, surrogate), 0, beta, kernels);
    }

    /** The LibTorch ops: the closed-form membrane (a Toeplitz product), cumulative sums for the first spike. */
    @Override
    LayerOutput dynamics(Tensor current, Tensor b) {
        Tensor membrane = Dynamics.noResetMembrane(current, b);
        if (!spiking()) {
            return new LayerOutput(null, membrane);
        }
        Tensor faulty = spec().surrogate().spike(membrane.sub(ONE));
        return new LayerOutput(Dynamics.firstSpikes(faulty), membrane);
    }
}
