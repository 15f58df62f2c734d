package snn.neurons;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/**
 * What the three layer kinds share: the input projection, the decay, an optional recurrent projection, the
 * {@link NeuronKernels} that may compute the layer, and the one forward path, which asks those kernels first and
 * falls back to the layer's own LibTorch ops ({@link #dynamics}).
 *
 * @param <S> the kind of dynamics the layer runs
 */
public abstract sealed class NeuronLayer<S extends DynamicsSpec> extends Module implements SpikingLayer
        permits LifLayer, BlockLayer, DBlockLayer {

    private final int inputs;
    private final int neurons;
    private final S spec;
    private final Projection input;
    private final Projection recurrent;
    private final Tensor beta;
    private final NeuronKernels kernels;

    /**
     * Registers the parameters in the order the checkpoints name them: {@code input.*}, then {@code recurrent.*}
     * when the spec is recurrent, then {@code beta}. Input weights are drawn from U(-1/sqrt(inputs), 1/sqrt(inputs))
     * with a zero bias; recurrent weights from U(-1/sqrt(n), 1/sqrt(n)).
     *
     * @param recurrentBiasBound half-width of the recurrent bias's uniform init (0: a zero bias)
     */
    NeuronLayer(int inputs, int neurons, S spec, double recurrentBiasBound, Beta beta, NeuronKernels kernels) {
        this.inputs = inputs;
        this.neurons = neurons;
        this.spec = spec;
        this.input = register_module("input", new Projection(inputs, neurons, 0));
        this.recurrent = spec.recurrent()
                ? register_module("recurrent", new Projection(neurons, neurons, recurrentBiasBound))
                : null;
        this.beta = beta.register(this, neurons);
        this.kernels = kernels;
    }

    @Override
    public final LayerOutput forward(Tensor x) {
        return compute(x, input);
    }

    /**
     * The dynamics alone, on a precomputed current (the input projection skipped; the recurrence, if any, still
     * runs).
     *
     * @param current the input current I {@code [batch, neurons, time]}, float32
     * @return the spikes ({@code null} when not {@link #spiking()}) and the membrane the layer reports, both
     *         {@code [batch, neurons, time]}
     * @throws IllegalArgumentException when the current has fewer time steps than the layer needs
     */
    public final LayerOutput run(Tensor current) {
        return compute(current, null);
    }

    /**
     * As {@link #forward(Tensor)}, for an input given as events: kernels that project their input event by event
     * read the events themselves; otherwise the layer runs on their dense form ({@link SpikeEvents#dense()}).
     *
     * @param events the input events, {@code [batch, inputs, time]} in dense form
     * @return what {@link #forward(Tensor)} returns for the dense input
     * @throws IllegalArgumentException when the events have another channel count than the layer's inputs
     */
    @Override
    public final LayerOutput forward(SpikeEvents events) {
        if (events.channels() != inputs) {
            throw new IllegalArgumentException("the layer takes " + inputs + " input channels, the input events have "
                    + events.channels());
        }
        checkSteps(events.steps());
        Tensor b = Beta.clamped(beta);
        return kernels.compute(spec, new LayerTensors(null, events, input, b, beta, recurrent))
                .orElseGet(() -> dynamics(input.overTime(events.dense()), b));
    }

    private LayerOutput compute(Tensor x, Projection projection) {
        checkSteps(x.size(2));
        Tensor b = Beta.clamped(beta);
        return kernels.compute(spec, new LayerTensors(x, null, projection, b, beta, recurrent))
                .orElseGet(() -> dynamics(projection == null ? x : projection.overTime(x), b));
    }

    /**
     * The layer's dynamics as LibTorch ops.
     *
     * @param current the input current {@code [batch, neurons, time]}
     * @param beta    the clamped decay
     * @return what {@link #forward} returns
     */
    abstract LayerOutput dynamics(Tensor current, Tensor beta);

    /** Throws {@link IllegalArgumentException} when the layer cannot run over {@code steps} time steps. */
    void checkSteps(long steps) {
    }

    /**
     * {@return the input projection W_in, b_in} {@code forward(x)} computes the same as
     * {@code run(inputProjection().overTime(x))}, and where the native kernels project the input themselves (sparse
     * input) they do so in one fused pass.
     */
    public final Projection inputProjection() {
        return input;
    }

    /** {@return the recurrent projection W_rec, b_rec, or {@code null} when the layer is not recurrent} */
    public final Projection recurrentProjection() {
        return recurrent;
    }

    /** {@return what the layer's dynamics are} */
    public final S spec() {
        return spec;
    }

    @Override
    public final int inputs() {
        return inputs;
    }

    @Override
    public final int neurons() {
        return neurons;
    }

    @Override
    public final boolean spiking() {
        return spec.spiking();
    }

    /** {@return whether the layer has a recurrent projection W_rec, b_rec} */
    public final boolean recurrent() {
        return recurrent != null;
    }

    @Override
    public final Module module() {
        return this;
    }
}
