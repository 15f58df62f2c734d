package snn.interop.nir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

import org.bytedeco.pytorch.Tensor;

import snn.config.ExperimentConfig;
import snn.config.ModelConfig;
import snn.core.InteropException;
import snn.interop.Checkpoint;
import snn.interop.CheckpointMetadata;
import snn.interop.Checkpoints;
import snn.neurons.LifLayer;
import snn.runtime.Tensors;

/**
 * Builds a standard snn network from a NIR graph of the shape {@link StandardChain} describes (docs/interop.md,
 * "NIR"): LIF layers, feed-forward or recurrent, fed by Affine or Linear projections, then an LI readout.
 *
 * <p>A layer may also be written in the feedback form {@code snn export --reset-feedback} writes (an LI node, a
 * Threshold, and the spikes fed back one step late through a diagonal Linear): it is read as snn's subtractive LIF
 * when the fed-back weight is exactly -beta in snn's units, and refused otherwise.
 *
 * <p>Each neuron is read under forward Euler with step dt ({@link NeuronMapping#step}): beta = 1 - dt/tau, and
 * the input gain dt r / (tau v_threshold) is folded into the rows of the projections that feed it, so snn's unit
 * threshold fires exactly when NIR's v_threshold is crossed. v_leak and v_reset must be 0; snn resets by
 * subtracting the threshold (NIR's LIF resets to v_reset, which differs once a membrane overshoots the threshold).
 *
 * <p>Settings the graph does not hold come from a config: the data, training and runtime sections, and the model
 * settings that only matter for training (surrogate, learnable beta, kernels). The config is the one given in the
 * options, else the one stored in the file by {@code snn export} (graph metadata {@value Checkpoints#METADATA_KEY}).
 * The step dt is the one given, else the file's metadata {@code dt}, else the config's {@code data.dt_ms}.
 */
public final class NirImporter {

    private NirImporter() {
    }

    /**
     * What to take from outside the file.
     *
     * @param config    the config for everything the graph does not say; empty to use the one the file stores
     * @param dtSeconds the integration step the graph's time constants are meant for; empty for the file's
     *                  metadata {@code dt}, else the config's {@code data.dt_ms}
     */
    public record Options(Optional<ExperimentConfig> config, OptionalDouble dtSeconds) {

        /**
         * Checks dt.
         *
         * @throws IllegalArgumentException when dt is given and not a positive number
         */
        public Options {
            if (dtSeconds.isPresent() && !(dtSeconds.getAsDouble() > 0 && Double.isFinite(dtSeconds.getAsDouble()))) {
                throw new IllegalArgumentException("dt must be a positive number of seconds, got "
                        + dtSeconds.getAsDouble());
            }
        }

        /** {@return options that take everything from the file} */
        public static Options defaults() {
            return new Options(Optional.empty(), OptionalDouble.empty());
        }

        /**
         * These options with a config.
         *
         * @param config the config for everything the graph does not say
         * @return new options
         */
        public Options withConfig(ExperimentConfig config) {
            return new Options(Optional.of(config), dtSeconds);
        }

        /**
         * These options with an integration step.
         *
         * @param seconds the step the graph's time constants are meant for, &gt; 0
         * @return new options
         * @throws IllegalArgumentException when {@code seconds} is not positive
         */
        public Options withDt(double seconds) {
            return new Options(config, OptionalDouble.of(seconds));
        }
    }

    /**
     * An imported network.
     *
     * @param checkpoint the network as snn stores it: config (model of kind {@code standard}), sizes, parameters
     * @param dtSeconds  the integration step used to read the time constants
     * @param dtSource   where that step came from, for people
     * @param notes      what people should know about the import (semantic differences, defaults taken)
     */
    public record Result(Checkpoint checkpoint, double dtSeconds, String dtSource, List<String> notes) {
    }

    /**
     * Reads a NIR file as an snn network.
     *
     * @param file    the NIR file
     * @param options the config and step to use where the file says nothing
     * @return the network and what to know about it
     * @throws InteropException             naming the file and the node, field or edge, when the file is not NIR, the
     *                                      graph is not of the supported shape, or a neuron has no snn equivalent
     * @throws snn.core.ConfigException   when the resulting config is not valid
     */
    public static Result read(Path file, Options options) {
        NirGraph graph = NirFile.read(file);
        StandardChain chain;
        try {
            chain = StandardChain.of(graph);
        } catch (IllegalArgumentException e) {
            throw new InteropException(file + ": " + e.getMessage() + ". " + RUN_INSTEAD);
        }
        LifLayer.Reset reset = reset(graph, chain, file);
        Optional<CheckpointMetadata> stored = graph.metadataString(Checkpoints.METADATA_KEY)
                .map(json -> CheckpointMetadata.parse(json, file));
        ExperimentConfig base = options.config().or(() -> stored.map(CheckpointMetadata::config))
                .orElseThrow(() -> new InteropException(file + ": the graph carries no snn config (snn did not write"
                        + " it), so nothing says which data it runs on: give a config for the data, training and model"
                        + " settings (snn import --config FILE)"));
        List<String> notes = new ArrayList<>();
        Step chosen = step(graph, options.dtSeconds(), base);
        double dt = chosen.seconds();
        String dtSource = chosen.source();
        if (chosen.source().startsWith("data.dt_ms")) {
            notes.add(String.format(Locale.ROOT, "the file does not say which time step its time constants are"
                    + " for; read them with dt = %s s (data.dt_ms of the config; give another with --dt)", dt));
        }
        if (!(dt > 0 && Double.isFinite(dt))) {
            throw new InteropException(file + ": the graph's metadata 'dt' is " + dt
                    + "; expected a positive number of seconds");
        }
        ModelConfig.Readout readout = readout(graph, file, notes);
        return new Result(build(chain, base, readout, reset, dt, file, notes), dt, dtSource, List.copyOf(notes));
    }

    /**
     * An integration step and where it came from.
     *
     * @param seconds the step, seconds
     * @param source  where it came from, for people: "given", "the file's metadata 'dt'" or "data.dt_ms of the
     *                config"
     */
    public record Step(double seconds, String source) {
    }

    /**
     * The step a graph is run or read with: the one given, else the graph's metadata {@code dt}, else the config's
     * {@code data.dt_ms} (NIR files do not have to say which step their time constants are for).
     *
     * @param graph  the graph
     * @param given  the step given by the user, if any
     * @param config the config whose {@code data.dt_ms} is the last resort
     * @return the step and its source (not checked: the metadata may hold any number)
     */
    public static Step step(NirGraph graph, OptionalDouble given, ExperimentConfig config) {
        if (given.isPresent()) {
            return new Step(given.getAsDouble(), "given");
        }
        Optional<Double> stored = graph.metadataNumber("dt");
        return stored.map(d -> new Step(d, "the file's metadata 'dt'"))
                .orElseGet(() -> new Step(config.data().dtMs() / 1000, "data.dt_ms of the config"));
    }

    /** What a refused graph can do instead. */
    static final String RUN_INSTEAD = "`snn nir run --nir FILE --config FILE` (NirSimulator) runs any graph of NIR's"
            + " LIF, LI, IF, I, CubaLIF, CubaLI, Threshold, Scale, Affine and Linear nodes as NIR defines it";

    /**
     * The reset the graph means: snn's subtraction where the file says so (snn wrote it), else NIR's reset to
     * v_reset, which an snn network computes exactly only with v_reset = 0 and v_leak = 0 (a leak potential and a
     * non-zero reset move the rest and reset points, which a standard snn network does not have).
     */
    private static LifLayer.Reset reset(NirGraph graph, StandardChain chain, Path file) {
        String declared = graph.metadataString("reset").orElse("");
        List<String> fused = chain.hidden().stream().filter(h -> h.resetFeedback().isPresent())
                .map(StandardChain.Hidden::neuronName).toList();
        if (!fused.isEmpty()) {
            // the subtraction is in the graph itself (LI + Threshold + the spikes fed back): whatever wrote it
            for (StandardChain.Hidden h : chain.hidden()) {
                if (h.resetFeedback().isEmpty()) {
                    throw new InteropException(file + ": layer '" + fused.get(0) + "' subtracts its spikes through"
                            + " feedback but '" + h.neuronName() + "' (LIF) resets to v_reset; an snn network has"
                            + " one reset for all its layers. " + RUN_INSTEAD);
                }
            }
            if ("zero".equals(declared)) {
                throw new InteropException(file + ": the graph's metadata 'reset' is 'zero' but layer '"
                        + fused.get(0) + "' subtracts its spikes through feedback");
            }
            return LifLayer.Reset.SUBTRACT;
        }
        if ("subtract".equals(declared)) {
            return LifLayer.Reset.SUBTRACT;
        }
        if (!declared.isEmpty() && !"zero".equals(declared)) {
            throw new InteropException(file + ": the graph's metadata 'reset' is '" + declared + "'; expected"
                    + " 'subtract' (snn's subtractive reset) or 'zero' (NIR's reset to v_reset), or none (NIR's)");
        }
        for (StandardChain.Hidden h : chain.hidden()) {
            nirExactly(file, h.neuronName(), "LIF", "v_leak", h.lif().vLeak());
            nirExactly(file, h.neuronName(), "LIF", "v_reset", h.lif().vReset());
        }
        nirExactly(file, chain.readout().neuronName(), "LI", "v_leak", chain.readout().li().vLeak());
        return LifLayer.Reset.ZERO;
    }

    private static void nirExactly(Path file, String node, String type, String field, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] != 0) {
                throw new InteropException(file + ": node '" + node + "' (" + type + "): '" + field + "' is "
                        + values[i] + " for neuron " + i + "; an snn network computes NIR's neuron exactly only with "
                        + field + " = 0, so the graph is not imported as one. " + RUN_INSTEAD);
            }
        }
    }

    private static ModelConfig.Readout readout(NirGraph graph, Path file, List<String> notes) {
        Optional<String> stored = graph.metadataString("readout");
        if (stored.isEmpty()) {
            notes.add("the file does not say how logits are read from the Output over time; they are its sum over"
                    + " all steps, as `snn nir run` reads a non-spiking Output");
            return ModelConfig.Readout.SUM;
        }
        return switch (stored.get()) {
            case "sum" -> ModelConfig.Readout.SUM;
            case "max" -> ModelConfig.Readout.MAX;
            default -> throw new InteropException(file + ": the graph's metadata 'readout' is '" + stored.get()
                    + "'; expected 'sum' or 'max'");
        };
    }

    private static Checkpoint build(StandardChain chain, ExperimentConfig base, ModelConfig.Readout readout,
            LifLayer.Reset reset, double dt, Path file, List<String> notes) {
        boolean recurrent = chain.hidden().stream().anyMatch(h -> h.recurrent().isPresent());
        List<Layer> layers = new ArrayList<>();
        for (StandardChain.Hidden h : chain.hidden()) {
            NirNode.Lif lif = h.lif();
            zero(file, h.neuronName(), "LIF", "v_leak", lif.vLeak(), "snn neurons have no leak potential");
            zero(file, h.neuronName(), "LIF", "v_reset", lif.vReset(),
                    "snn resets by subtracting the threshold, which matches NIR's reset to v_reset only for 0");
            NeuronMapping.Step[] steps = steps(file, h.neuronName(), "LIF", lif.tau(), lif.r(), lif.vThreshold(), dt);
            h.resetFeedback().ifPresent(f -> subtractsTheThreshold(file, h.neuronName(), f, steps));
            layers.add(new Layer(h.projection(), h.recurrent(), steps, recurrent));
        }
        NirNode.Li li = chain.readout().li();
        zero(file, chain.readout().neuronName(), "LI", "v_leak", li.vLeak(), "snn neurons have no leak potential");
        double[] ones = new double[li.tau().length];
        Arrays.fill(ones, 1);
        Layer readoutLayer = new Layer(chain.readout().projection(), Optional.empty(),
                steps(file, chain.readout().neuronName(), "LI", li.tau(), li.r(), ones, dt), false);

        boolean uniform = layers.stream().allMatch(Layer::uniformBeta) && readoutLayer.uniformBeta();
        boolean perNeuron = base.model().perNeuronBeta() || !uniform;
        if (!base.model().perNeuronBeta() && !uniform) {
            notes.add("the config shares one beta per layer, but the graph's decays differ within a layer: the"
                    + " network keeps one beta per neuron");
        }
        Map<String, Tensor> parameters = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).put(parameters, "hidden." + i + ".", perNeuron);
        }
        readoutLayer.put(parameters, "readout.", perNeuron);

        ModelConfig m = base.model();
        ModelConfig model = ModelConfig.standard()
                .hidden(chain.hidden().stream().map(h -> h.lif().outputSize()).toArray(Integer[]::new))
                .recurrent(recurrent)
                .reset(reset)
                .readout(readout)
                .tau(m.hiddenTau(), m.readoutTau())
                .beta(perNeuron, m.learnBeta())
                .surrogate(m.surrogate())
                .kernels(m.kernels())
                .build();
        ExperimentConfig config = ExperimentConfig.builder().name(base.name()).seed(base.seed())
                .resultsDir(base.resultsDir()).runtime(base.runtime()).data(base.data()).model(model)
                .training(base.training()).build();
        return new Checkpoint(config, chain.inputs(), chain.readout().li().outputSize(), parameters);
    }

    /**
     * A layer in the feedback form is snn's subtractive LIF exactly when each spike, fed back, takes beta times the
     * threshold off the next step's membrane: in snn's units, gain w = -beta (U_t = beta (U_{t-1} - s_{t-1}) + I_t).
     */
    private static void subtractsTheThreshold(Path file, String neuron, StandardChain.Feedback f,
            NeuronMapping.Step[] steps) {
        for (int j = 0; j < steps.length; j++) {
            double fedBack = steps[j].gain() * f.diagonal()[j];
            double expected = -steps[j].beta();
            if (Math.abs(fedBack - expected) > 1e-6 * Math.max(1, Math.abs(expected))) {
                throw new InteropException(String.format(Locale.ROOT, "%s: node '%s' (Linear) brings neuron %d's"
                        + " spike back to '%s' with weight %s, which takes %s of the threshold off the next step;"
                        + " the subtractive reset takes beta = %s (weight %s). The graph is not an snn network. %s",
                        file, f.node(), j, neuron, f.diagonal()[j], -fedBack, steps[j].beta(),
                        expected / steps[j].gain(), RUN_INSTEAD));
            }
        }
    }

    private static void zero(Path file, String node, String type, String field, double[] values, String why) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] != 0) {
                throw new InteropException(file + ": node '" + node + "' (" + type + "): '" + field + "' is "
                        + values[i] + " for neuron " + i + "; snn imports only " + field + " = 0 (" + why + ")");
            }
        }
    }

    private static NeuronMapping.Step[] steps(Path file, String node, String type, double[] tau, double[] r,
            double[] threshold, double dt) {
        NeuronMapping.Step[] out = new NeuronMapping.Step[tau.length];
        for (int i = 0; i < tau.length; i++) {
            try {
                out[i] = NeuronMapping.step(tau[i], r[i], threshold[i], dt);
            } catch (IllegalArgumentException e) {
                throw new InteropException(file + ": node '" + node + "' (" + type + "), neuron " + i + ": "
                        + e.getMessage());
            }
        }
        return out;
    }

    /** One layer in snn's terms: projections scaled by each neuron's gain, and its decays. */
    private record Layer(NirNode projection, Optional<NirNode> recurrentProjection, NeuronMapping.Step[] steps,
            boolean withRecurrence) {

        boolean uniformBeta() {
            for (NeuronMapping.Step s : steps) {
                if (s.beta() != steps[0].beta()) {
                    return false;
                }
            }
            return true;
        }

        void put(Map<String, Tensor> parameters, String prefix, boolean perNeuron) {
            putProjection(parameters, prefix + "input.", StandardChain.weight(projection),
                    StandardChain.bias(projection));
            if (withRecurrence) {
                int n = steps.length;
                putProjection(parameters, prefix + "recurrent.",
                        recurrentProjection.map(StandardChain::weight).orElseGet(() -> new float[n][n]),
                        recurrentProjection.map(StandardChain::bias).orElseGet(() -> new float[n]));
            }
            float[] beta = new float[perNeuron ? steps.length : 1];
            for (int i = 0; i < beta.length; i++) {
                beta[i] = steps[i].beta();
            }
            parameters.put(prefix + "beta", Tensors.fromArray(beta, beta.length));
        }

        /** W' = diag(gain) W and b' = diag(gain) b: the gain of each target neuron scales its row. */
        private void putProjection(Map<String, Tensor> parameters, String prefix, float[][] weight, float[] bias) {
            int rows = weight.length;
            int cols = weight[0].length;
            float[] w = new float[rows * cols];
            float[] b = new float[rows];
            for (int i = 0; i < rows; i++) {
                double gain = steps[i].gain();
                for (int j = 0; j < cols; j++) {
                    w[i * cols + j] = (float) (gain * weight[i][j]);
                }
                b[i] = (float) (gain * bias[i]);
            }
            parameters.put(prefix + "weight", Tensors.fromArray(w, rows, cols));
            parameters.put(prefix + "bias", Tensors.fromArray(b, rows));
        }
    }
}
