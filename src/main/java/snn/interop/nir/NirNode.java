package snn.interop.nir;

import java.util.Arrays;

/**
 * A node of a NIR graph, of the types snn reads and writes. Field names and meanings are those of the NIR
 * specification ({@code neuromorphs/NIR}, {@code nir/ir/*.py}); time constants are in seconds.
 *
 * <p>The records check their own shapes, so a node that exists is well formed; the messages name the NIR field.
 * Arrays are shared, not copied: a node is a view of data read from or written to a file.
 */
public sealed interface NirNode {

    /** {@return the NIR type name, as stored in the node's {@code type} dataset (e.g. {@code "LIF"})} */
    String type();

    /** {@return the number of values the node takes at each time step} */
    int inputSize();

    /** {@return the number of values the node gives at each time step} */
    int outputSize();

    /** The graph's {@link Input} and {@link Output}: placeholders that pass values on unchanged. */
    sealed interface Port extends NirNode {
        /** {@return the shape of what passes; snn networks have 1-D ones, {@code [channels]} or {@code [classes]}} */
        long[] shape();

        @Override
        default int inputSize() {
            return (int) shape()[0];
        }

        @Override
        default int outputSize() {
            return (int) shape()[0];
        }
    }

    /** A node of one value per neuron or element: as many outputs as inputs, applied elementwise. */
    sealed interface Elementwise extends NirNode {
        /** {@return the number of neurons or elements} */
        int size();

        @Override
        default int inputSize() {
            return size();
        }

        @Override
        default int outputSize() {
            return size();
        }
    }

    /**
     * The graph's input.
     *
     * @param shape the input's shape; snn networks have a 1-D input {@code [channels]}
     */
    record Input(long[] shape) implements Port {
        /**
         * Checks the shape.
         *
         * @throws IllegalArgumentException unless {@code shape} is one positive size
         */
        public Input {
            oneDimensional(shape);
        }

        @Override
        public String type() {
            return "Input";
        }
    }

    /**
     * The graph's output.
     *
     * @param shape the output's shape; snn networks have a 1-D output {@code [classes]}
     */
    record Output(long[] shape) implements Port {
        /**
         * Checks the shape.
         *
         * @throws IllegalArgumentException unless {@code shape} is one positive size
         */
        public Output {
            oneDimensional(shape);
        }

        @Override
        public String type() {
            return "Output";
        }
    }

    /**
     * y = W x + b.
     *
     * @param weight W, {@code [outputs][inputs]} (NIR stores it as float32)
     * @param bias   b, {@code [outputs]}
     */
    record Affine(float[][] weight, float[] bias) implements NirNode {
        /**
         * Checks the shapes.
         *
         * @throws IllegalArgumentException when the weight is ragged or empty or the bias length differs from its rows
         */
        public Affine {
            rectangular(weight);
            if (bias.length != weight.length) {
                throw new IllegalArgumentException("'bias' has " + bias.length + " values but 'weight' has "
                        + weight.length + " rows (shape " + shape(weight) + ")");
            }
        }

        @Override
        public String type() {
            return "Affine";
        }

        @Override
        public int inputSize() {
            return weight[0].length;
        }

        @Override
        public int outputSize() {
            return weight.length;
        }
    }

    /**
     * y = W x (an {@link Affine} without bias).
     *
     * @param weight W, {@code [outputs][inputs]}
     */
    record Linear(float[][] weight) implements NirNode {
        /**
         * Checks the shape.
         *
         * @throws IllegalArgumentException when the weight is ragged or empty
         */
        public Linear {
            rectangular(weight);
        }

        @Override
        public String type() {
            return "Linear";
        }

        @Override
        public int inputSize() {
            return weight[0].length;
        }

        @Override
        public int outputSize() {
            return weight.length;
        }
    }

    /**
     * Leaky integrate-and-fire neurons: tau dv/dt = (v_leak - v) + r I, a spike when v &gt; v_threshold, then
     * v = v_reset (NIR's reset; see docs/interop.md for how snn's subtractive reset is written and read).
     *
     * @param tau        membrane time constants, seconds
     * @param r          resistances (input gains)
     * @param vLeak      leak (resting) potentials, NIR's {@code v_leak}
     * @param vThreshold firing thresholds, NIR's {@code v_threshold}
     * @param vReset     reset potentials, NIR's {@code v_reset} (zeros when a file omits it, as NIR's reader does)
     */
    record Lif(double[] tau, double[] r, double[] vLeak, double[] vThreshold, double[] vReset) implements Elementwise {
        /**
         * Checks that every parameter has one value per neuron.
         *
         * @throws IllegalArgumentException naming the first parameter whose length differs from {@code tau}'s
         */
        public Lif {
            sameLength("tau", tau, "r", r, "v_leak", vLeak, "v_threshold", vThreshold, "v_reset", vReset);
        }

        @Override
        public String type() {
            return "LIF";
        }

        @Override
        public int size() {
            return tau.length;
        }
    }

    /**
     * Leaky integrators: tau dv/dt = (v_leak - v) + r I, no spikes; the node gives its membrane v.
     *
     * @param tau   membrane time constants, seconds
     * @param r     resistances (input gains)
     * @param vLeak leak (resting) potentials, NIR's {@code v_leak}
     */
    record Li(double[] tau, double[] r, double[] vLeak) implements Elementwise {
        /**
         * Checks that every parameter has one value per neuron.
         *
         * @throws IllegalArgumentException naming the first parameter whose length differs from {@code tau}'s
         */
        public Li {
            sameLength("tau", tau, "r", r, "v_leak", vLeak);
        }

        @Override
        public String type() {
            return "LI";
        }

        @Override
        public int size() {
            return tau.length;
        }
    }

    /**
     * Integrate-and-fire neurons without leak: dv/dt = r I, a spike when v &gt; v_threshold, then v = v_reset.
     *
     * @param r          resistances (input gains per second)
     * @param vThreshold firing thresholds, NIR's {@code v_threshold}
     * @param vReset     reset potentials, NIR's {@code v_reset} (zeros when a file omits it)
     */
    record If(double[] r, double[] vThreshold, double[] vReset) implements Elementwise {
        /**
         * Checks that every parameter has one value per neuron.
         *
         * @throws IllegalArgumentException naming the first parameter whose length differs from {@code r}'s
         */
        public If {
            sameLength("r", r, "v_threshold", vThreshold, "v_reset", vReset);
        }

        @Override
        public String type() {
            return "IF";
        }

        @Override
        public int size() {
            return r.length;
        }
    }

    /**
     * Integrators (NIR's {@code I}): dv/dt = r I, no spikes; the node gives v.
     *
     * @param r resistances (input gains per second)
     */
    record Integrator(double[] r) implements Elementwise {
        /**
         * Checks that there is at least one neuron.
         *
         * @throws IllegalArgumentException when {@code r} is empty
         */
        public Integrator {
            sameLength("r", r);
        }

        @Override
        public String type() {
            return "I";
        }

        @Override
        public int size() {
            return r.length;
        }
    }

    /**
     * Current-based leaky integrate-and-fire neurons: tau_syn dI/dt = -I + w_in S for the synaptic current I driven
     * by the node's input S, tau_mem dv/dt = (v_leak - v) + r I, a spike when v &gt; v_threshold, then v = v_reset.
     *
     * @param tauSyn     synaptic time constants, seconds
     * @param tauMem     membrane time constants, seconds
     * @param r          resistances
     * @param vLeak      leak (resting) potentials
     * @param vThreshold firing thresholds
     * @param vReset     reset potentials (zeros when a file omits them)
     * @param wIn        input weights (ones when a file omits them, as NIR's default 1.0)
     */
    record CubaLif(double[] tauSyn, double[] tauMem, double[] r, double[] vLeak, double[] vThreshold,
            double[] vReset, double[] wIn) implements Elementwise {
        /**
         * Checks that every parameter has one value per neuron.
         *
         * @throws IllegalArgumentException naming the first parameter whose length differs from {@code tau_syn}'s
         */
        public CubaLif {
            sameLength("tau_syn", tauSyn, "tau_mem", tauMem, "r", r, "v_leak", vLeak, "v_threshold", vThreshold,
                    "v_reset", vReset, "w_in", wIn);
        }

        @Override
        public String type() {
            return "CubaLIF";
        }

        @Override
        public int size() {
            return tauSyn.length;
        }
    }

    /**
     * Current-based leaky integrators: a {@link CubaLif} without spikes; the node gives its membrane v.
     *
     * @param tauSyn synaptic time constants, seconds
     * @param tauMem membrane time constants, seconds
     * @param r      resistances
     * @param vLeak  leak (resting) potentials
     * @param wIn    input weights (ones when a file omits them)
     */
    record CubaLi(double[] tauSyn, double[] tauMem, double[] r, double[] vLeak, double[] wIn) implements Elementwise {
        /**
         * Checks that every parameter has one value per neuron.
         *
         * @throws IllegalArgumentException naming the first parameter whose length differs from {@code tau_syn}'s
         */
        public CubaLi {
            sameLength("tau_syn", tauSyn, "tau_mem", tauMem, "r", r, "v_leak", vLeak, "w_in", wIn);
        }

        @Override
        public String type() {
            return "CubaLI";
        }

        @Override
        public int size() {
            return tauSyn.length;
        }
    }

    /**
     * A stateless spike generator: 1 where the input is above the threshold, else 0.
     *
     * @param threshold one threshold per element, NIR's {@code threshold}
     */
    record Threshold(double[] threshold) implements Elementwise {
        /**
         * Checks that there is at least one element.
         *
         * @throws IllegalArgumentException when {@code threshold} is empty
         */
        public Threshold {
            sameLength("threshold", threshold);
        }

        @Override
        public String type() {
            return "Threshold";
        }

        @Override
        public int size() {
            return threshold.length;
        }
    }

    /**
     * Elementwise scaling: y = scale * x.
     *
     * @param scale one factor per element, NIR's {@code scale}
     */
    record Scale(double[] scale) implements Elementwise {
        /**
         * Checks that there is at least one element.
         *
         * @throws IllegalArgumentException when {@code scale} is empty
         */
        public Scale {
            sameLength("scale", scale);
        }

        @Override
        public String type() {
            return "Scale";
        }

        @Override
        public int size() {
            return scale.length;
        }
    }

    /**
     * A nested graph (NIR's {@code NIRGraph} used as a node), entered through its one {@link Input} and left through
     * its one {@link Output}; snnTorch writes recurrent layers this way.
     *
     * @param graph the nested graph
     */
    record Subgraph(NirGraph graph) implements NirNode {
        @Override
        public String type() {
            return "NIRGraph";
        }

        @Override
        public int inputSize() {
            return graph.only(Input.class).inputSize();
        }

        @Override
        public int outputSize() {
            return graph.only(Output.class).outputSize();
        }
    }

    private static void oneDimensional(long[] shape) {
        if (shape.length != 1 || shape[0] < 1 || shape[0] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("'shape' must be one positive size, e.g. [700], got "
                    + Arrays.toString(shape));
        }
    }

    private static void rectangular(float[][] weight) {
        if (weight.length == 0 || weight[0].length == 0) {
            throw new IllegalArgumentException("'weight' is empty (shape " + shape(weight) + ")");
        }
        for (float[] row : weight) {
            if (row.length != weight[0].length) {
                throw new IllegalArgumentException("'weight' has rows of " + weight[0].length + " and " + row.length
                        + " values; expected a 2-D array [outputs, inputs]");
            }
        }
    }

    private static String shape(float[][] weight) {
        return "[" + weight.length + ", " + (weight.length == 0 ? 0 : weight[0].length) + "]";
    }

    private static void sameLength(Object... namesAndArrays) {
        int n = ((double[]) namesAndArrays[1]).length;
        if (n == 0) {
            throw new IllegalArgumentException("'" + namesAndArrays[0] + "' is empty; expected one value per neuron");
        }
        for (int i = 2; i < namesAndArrays.length; i += 2) {
            int m = ((double[]) namesAndArrays[i + 1]).length;
            if (m != n) {
                throw new IllegalArgumentException("'" + namesAndArrays[i] + "' has " + m + " values but '"
                        + namesAndArrays[0] + "' has " + n + "; expected one value per neuron in each");
            }
        }
    }
}
