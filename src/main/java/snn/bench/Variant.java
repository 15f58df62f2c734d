package snn.bench;

import java.util.Collections;
import java.util.Locale;
import java.util.function.UnaryOperator;

import snn.config.ModelConfig;

/**
 * A network measured at a point: standard, block, or d-block with its d, run by the requested kernels.
 *
 * @param method  the neuron model
 * @param d       the number of blocks for {@code dblock}, else null
 * @param kernels the implementation of the dynamics requested
 */
record Variant(ModelConfig.Kind method, Integer d, ModelConfig.Kernels kernels) {

    Variant {
        if ((method == ModelConfig.Kind.DBLOCK) != (d != null)) {
            throw new IllegalArgumentException("d is given for dblock and only for dblock, got " + method + ", " + d);
        }
    }

    /** The standard SNN run by {@code kernels}. */
    static Variant standard(ModelConfig.Kernels kernels) {
        return new Variant(ModelConfig.Kind.STANDARD, null, kernels);
    }

    /** The run's baseline as a variant, its kernels choice replaced by {@code resolve}'s answer. */
    static Variant of(BenchConfig.Baseline baseline, UnaryOperator<ModelConfig.Kernels> resolve) {
        return new Variant(baseline.method(), baseline.d(), resolve.apply(baseline.kernels()));
    }

    /** {@code standard}, {@code block} or {@code dblock}, as in the CSV. */
    public String methodName() {
        return method.name().toLowerCase(Locale.ROOT);
    }

    /** e.g. {@code dblock d=5 native}. */
    public String label() {
        return (d == null ? methodName() : methodName() + " d=" + d) + " " + kernels.name().toLowerCase(Locale.ROOT);
    }

    /** Whether the model built at {@code point} is recurrent: the block model has no recurrent form. */
    public boolean recurrentAt(BenchPoint point) {
        return point.recurrent() && method != ModelConfig.Kind.BLOCK;
    }

    /**
     * {@return the bytes the hidden layers' dynamics must at least read and write in one training step at
     * {@code point}: the floor of {@code dynamics_ms}} Per layer, in float32 arrays {@code [batch, hidden, t_len]},
     * forward and backward together: the forward pass reads the current and writes the spikes and the membrane the
     * backward pass needs, and the backward pass reads that membrane and the spikes' gradient and writes the
     * current's gradient, 6 arrays; the single-spike LIF also writes its pre-reset membrane, which its backward pass
     * reads instead of the membrane, 7. Where the native kernels project the input themselves ({@code fused}) the
     * current and its gradient never reach memory (2 arrays fewer per layer), and the kernels read each layer's
     * input once instead: the first layer's as events where it is handed events ({@code inputEvents} of them, 8 bytes
     * each: a position and a value), else dense float32 {@code [batch, inputs, t_len]}; the later layers' dense.
     * docs/benchmarks.md, "Floors", lists each kernel's arrays.
     *
     * @param inputEvents the events of the batch's input where the first layer reads it as events, else negative
     */
    double dynamicsFloorBytes(BenchPoint point, boolean fused, long inputEvents) {
        int arrays = (method == ModelConfig.Kind.STANDARD && point.standardSingleSpike() ? 7 : 6) - (fused ? 2 : 0);
        double first = inputEvents >= 0 ? 2.0 * inputEvents / ((double) point.batch() * point.tLen()) : point.nIn();
        double inputs = fused ? first + (point.layers() - 1) * (double) point.hidden() : 0;
        return (double) Float.BYTES * point.batch() * point.tLen()
                * (point.layers() * arrays * (double) point.hidden() + inputs);
    }

    /** The network this variant runs at {@code point}, through the same model code as training. */
    public ModelConfig model(BenchPoint point) {
        ModelConfig.Builder b = switch (method) {
            case STANDARD -> ModelConfig.standard().singleSpike(point.standardSingleSpike());
            case BLOCK -> ModelConfig.block();
            case DBLOCK -> ModelConfig.dblock(d);
        };
        return b.hidden(Collections.nCopies(point.layers(), point.hidden()).toArray(Integer[]::new))
                .recurrent(recurrentAt(point)).beta(point.perNeuronBeta(), point.learnBeta()).kernels(kernels)
                .build();
    }
}
