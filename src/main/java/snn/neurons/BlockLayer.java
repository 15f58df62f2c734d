package snn.neurons;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The single-spike block layer (FastSNN; algorithms.md section 3): the membrane without reset for all steps at
 * once, V~ = conv(I, [beta^(T-1) .. 1]), faulty spikes s^ = H(V~ - 1), then only each neuron's first crossing kept,
 * with gradients through the cumulative spike count ({@link Dynamics#firstSpikes}).
 *
 * <p>A non-spiking block layer is the leaky-integrator readout of the block model: it reports V~ only.
 */
public final class BlockLayer extends Module implements SpikingLayer {

    private static final Scalar ONE = Tensors.constant(1.0);

    private final int inputs;
    private final int neurons;
    private final boolean spiking;
    private final Surrogate surrogate;
    private final Projection input;
    private final Tensor beta;

    public BlockLayer(int inputs, int neurons, boolean spiking, Beta beta, Surrogate surrogate) {
        this.inputs = inputs;
        this.neurons = neurons;
        this.spiking = spiking;
        this.surrogate = surrogate;
        this.input = register_module("input", new Projection(inputs, neurons, 0));
        this.beta = beta.register(this, neurons);
    }

    @Override
    public LayerOutput forward(Tensor x) {
        return run(input.overTime(x));
    }

    /** The dynamics on a precomputed current {@code [batch, neurons, time]}. */
    public LayerOutput run(Tensor current) {
        Tensor membrane = Dynamics.noResetMembrane(current, Beta.clamped(beta));
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
