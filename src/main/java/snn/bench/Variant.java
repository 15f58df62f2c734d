package snn.bench;

import java.util.Collections;

import snn.config.ModelConfig;

/**
 * A method measured at a point: standard, block, or d-block with its d.
 *
 * @param method the neuron model
 * @param d      the number of blocks for {@code dblock}, else null
 */
record Variant(ModelConfig.Kind method, Integer d) {

    public Variant {
        if ((method == ModelConfig.Kind.DBLOCK) != (d != null)) {
            throw new IllegalArgumentException("d is given for dblock and only for dblock, got " + method + ", " + d);
        }
    }

    public static final Variant STANDARD = new Variant(ModelConfig.Kind.STANDARD, null);
    public static final Variant BLOCK = new Variant(ModelConfig.Kind.BLOCK, null);

    /** {@code standard}, {@code block} or {@code dblock}, as in the CSV. */
    public String methodName() {
        return method.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** e.g. {@code dblock d=5}. */
    public String label() {
        return d == null ? methodName() : methodName() + " d=" + d;
    }

    /** Whether the model built at {@code point} is recurrent: the block model has no recurrent form. */
    public boolean recurrentAt(BenchPoint point) {
        return point.recurrent() && method != ModelConfig.Kind.BLOCK;
    }

    /** The network this variant runs at {@code point}, through the same model code as training. */
    public ModelConfig model(BenchPoint point) {
        ModelConfig.Builder b = switch (method) {
            case STANDARD -> ModelConfig.standard().singleSpike(point.standardSingleSpike());
            case BLOCK -> ModelConfig.block();
            case DBLOCK -> ModelConfig.dblock(d);
        };
        return b.hidden(Collections.nCopies(point.layers(), point.hidden()).toArray(Integer[]::new))
                .recurrent(recurrentAt(point)).beta(point.perNeuronBeta(), point.learnBeta()).kernels(point.kernels())
                .build();
    }
}
