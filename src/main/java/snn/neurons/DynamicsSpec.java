package snn.neurons;

/**
 * What a layer's neuron dynamics are, as the {@link NeuronKernels} that compute them need to know: a small value
 * per layer kind, validated once when the layer is built.
 */
public sealed interface DynamicsSpec permits DynamicsSpec.Lif, DynamicsSpec.DBlock {

    /** {@return whether the layer emits spikes (a readout reports its membrane only)} */
    boolean spiking();

    /** {@return whether the layer has a recurrent projection W_rec, b_rec} */
    boolean recurrent();

    /** {@return the spike function's pseudo-derivative (unused by layers that do not spike)} */
    Surrogate surrogate();

    /**
     * The standard LIF layer of {@link LifLayer}.
     *
     * @param mode      how spikes and the carried membrane are formed
     * @param reset     what a multi-spike neuron's membrane becomes in its spike's step ({@link LifLayer.Reset#SUBTRACT}
     *                  for the other modes, which do not reset)
     * @param recurrent whether U_t receives W_rec sg(s_{t-1}) + b_rec from step 1 on
     * @param surrogate the spike function's pseudo-derivative
     */
    record Lif(LifLayer.Mode mode, LifLayer.Reset reset, boolean recurrent, Surrogate surrogate)
            implements DynamicsSpec {

        /**
         * Checks the combination.
         *
         * @throws IllegalArgumentException when an {@link LifLayer.Mode#INTEGRATOR} is asked to be recurrent, or a
         *                                  layer that is not {@link LifLayer.Mode#MULTI_SPIKE} to reset to zero
         * @throws NullPointerException     when {@code mode}, {@code reset} or {@code surrogate} is null
         */
        public Lif {
            java.util.Objects.requireNonNull(mode, "mode");
            java.util.Objects.requireNonNull(reset, "reset");
            java.util.Objects.requireNonNull(surrogate, "surrogate");
            if (recurrent && mode == LifLayer.Mode.INTEGRATOR) {
                throw new IllegalArgumentException("an integrator layer cannot be recurrent");
            }
            if (reset == LifLayer.Reset.ZERO && mode != LifLayer.Mode.MULTI_SPIKE) {
                throw new IllegalArgumentException("only a multi-spike layer resets; a " + mode
                        + " layer cannot reset to zero");
            }
        }

        @Override
        public boolean spiking() {
            return mode != LifLayer.Mode.INTEGRATOR;
        }
    }

    /**
     * The d-block layer of {@link DBlockLayer}; with one block and no recurrence, the {@link BlockLayer}
     * ({@link #block}).
     *
     * @param blocks    d, the number of regular blocks (a shorter one follows when d does not divide the steps)
     * @param spiking   {@code false} for a readout, which reports the per-block no-reset membrane only
     * @param recurrent whether block k+1 receives W_rec a_k + b_rec on its first step
     * @param detach    whether no gradient flows back through a_k (ignored without recurrence)
     * @param reduction how a_k is formed from block k's spikes (ignored without recurrence)
     * @param surrogate the spike function's pseudo-derivative
     */
    record DBlock(int blocks, boolean spiking, boolean recurrent, boolean detach,
            DBlockLayer.RecurrentInput reduction, Surrogate surrogate) implements DynamicsSpec {

        /**
         * Checks the combination.
         *
         * @throws IllegalArgumentException when {@code blocks} &lt; 1, or when a non-spiking layer is asked to be
         *                                  recurrent
         * @throws NullPointerException     when {@code reduction} or {@code surrogate} is null
         */
        public DBlock {
            java.util.Objects.requireNonNull(reduction, "reduction");
            java.util.Objects.requireNonNull(surrogate, "surrogate");
            if (blocks < 1) {
                throw new IllegalArgumentException("d must be >= 1, got " + blocks);
            }
            if (recurrent && !spiking) {
                throw new IllegalArgumentException("a non-spiking d-block layer cannot be recurrent");
            }
        }

        /**
         * The block layer: a d-block layer with a single block and no recurrence.
         *
         * @param spiking   {@code false} for the block model's readout
         * @param surrogate the spike function's pseudo-derivative
         * @return the spec of a block layer
         */
        public static DBlock block(boolean spiking, Surrogate surrogate) {
            return new DBlock(1, spiking, false, true, DBlockLayer.RecurrentInput.MAX, surrogate);
        }
    }
}
