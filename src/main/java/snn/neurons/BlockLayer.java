package snn.neurons;

import java.util.Optional;

import org.bytedeco.pytorch.Module;
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
public final class BlockLayer extends Module implements SpikingLayer {

    private static final Scalar ONE = Tensors.constant(1.0);

    private final int inputs;
    private final int neurons;
    private final boolean spiking;
    private final Surrogate surrogate;
    private final Projection input;
    private final Tensor beta;
    private final NeuronKernels kernels;

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
     * As above, with the layer (input projection and dynamics) computed by {@code kernels} where they can.
     *
     * @param inputs    presynaptic units
     * @param neurons   neurons in the layer
     * @param spiking   {@code true} for a hidden layer, {@code false} for a readout
     * @param beta      the membrane decay
     * @param surrogate the spike function's pseudo-derivative
     * @param kernels   who computes the layer; this layer keeps its own {@link NeuronKernels#forLayer()} instance
     */
    public BlockLayer(int inputs, int neurons, boolean spiking, Beta beta, Surrogate surrogate,
            NeuronKernels kernels) {
        this.inputs = inputs;
        this.neurons = neurons;
        this.spiking = spiking;
        this.surrogate = surrogate;
        this.input = register_module("input", new Projection(inputs, neurons, 0));
        this.beta = beta.register(this, neurons);
        this.kernels = kernels.forLayer();
    }

    @Override
    public LayerOutput forward(Tensor x) {
        Tensor b = Beta.clamped(beta);
        Optional<LayerOutput> fused = fused(x, input, b);
        return fused.isPresent() ? fused.get() : dynamics(input.overTime(x), b);
    }

    /**
     * The dynamics alone, on a precomputed current (the input projection skipped).
     *
     * @param current the input current I {@code [batch, neurons, time]}, float32
     * @return the first spikes ({@code null} when not spiking) and the no-reset membrane V~, both
     *         {@code [batch, neurons, time]}
     */
    public LayerOutput run(Tensor current) {
        Tensor b = Beta.clamped(beta);
        Optional<LayerOutput> fused = fused(current, null, b);
        return fused.isPresent() ? fused.get() : dynamics(current, b);
    }

    /** A block layer is a d-block layer with a single block and no recurrence. */
    private Optional<LayerOutput> fused(Tensor x, Projection projection, Tensor b) {
        return kernels.dblock(x, projection, b, 1, spiking, null, true, DBlockLayer.RecurrentInput.MAX, surrogate);
    }

    /** The LibTorch ops: the closed-form membrane (a Toeplitz product), cumulative sums for the first spike. */
    private LayerOutput dynamics(Tensor current, Tensor b) {
        Tensor membrane = Dynamics.noResetMembrane(current, b);
        if (!spiking) {
            return new LayerOutput(null, membrane);
        }
        Tensor faulty = surrogate.spike(membrane.sub(ONE));
        return new LayerOutput(Dynamics.firstSpikes(faulty), membrane);
    }

    @Override
    public int inputs() {
        return inputs;
    }

    @Override
    public int neurons() {
        return neurons;
    }

    @Override
    public boolean spiking() {
        return spiking;
    }

    @Override
    public Module module() {
        return this;
    }
}
