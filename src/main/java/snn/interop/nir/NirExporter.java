package snn.interop.nir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.config.ModelConfig;
import snn.core.InteropException;
import snn.data.SpikeDataset;
import snn.interop.Checkpoint;
import snn.interop.CheckpointMetadata;
import snn.interop.Checkpoints;
import snn.interop.Layout;
import snn.neurons.LifLayer;
import snn.runtime.Tensors;

/**
 * Writes trained networks as NIR graphs (docs/interop.md, "NIR").
 *
 * <p>A standard multi-spike network is written exactly: {@code input} (Input) -&gt; {@code hidden_<i>_input}
 * (Affine, or Linear when its bias is all zero) -&gt; {@code hidden_<i>_lif} (LIF), with a recurrent layer's
 * {@code hidden_<i>_lif} -&gt; {@code hidden_<i>_recurrent} (Affine of W_rec, b_rec) -&gt; {@code hidden_<i>_lif}
 * edge back, then {@code readout_input} (Affine) -&gt; {@code readout_li} (LI) -&gt; {@code output} (Output). Decays
 * become time constants by {@link NeuronMapping} with the run's {@code data.dt_ms} (or a step of the caller's). The graph's metadata says how
 * snn runs it ({@link #SEMANTICS}): subtractive reset, recurrent input from the previous step, logits = readout
 * membrane summed (or maximised) over time, and holds the run's config under {@value Checkpoints#METADATA_KEY}.
 *
 * <p>Block, d-block and single-spike networks have no NIR form: {@link #graph} refuses them, and
 * {@link #writeApproximate} writes the {@link LifApproximation} and measures how far it is from the original.
 */
public final class NirExporter {

    /** How snn runs a graph it writes of a subtractive-reset network, in words (graph metadata {@code semantics}). */
    public static final String SEMANTICS = semantics("then v[t] -= v_threshold in the same step (subtractive reset,"
            + " metadata 'reset' = 'subtract'; v_reset is unused, so a reader that resets to v_reset computes another"
            + " network)");

    /** How a zero-reset network's graph runs: NIR's own LIF, so any forward-Euler reader computes snn's network. */
    public static final String SEMANTICS_ZERO = semantics("then v[t] = v_reset = 0 in the same step (NIR's LIF,"
            + " metadata 'reset' = 'zero'; any forward-Euler NIR reader with this dt computes the network exactly)");

    /** How the feedback form of a subtractive network runs (graph metadata {@code semantics}). */
    public static final String SEMANTICS_FEEDBACK = "Forward Euler with step dt (metadata 'dt', seconds), NIR's"
            + " definitions only: each hidden layer is an LI node (v[t] = v[t-1] + dt/tau * (v_leak - v[t-1] + r * I[t])"
            + " from v[-1] = 0, which is v[t] = beta * v[t-1] + I[t] as r = tau/dt) feeding a Threshold at 1 (spike"
            + " when v[t] > 1); the spikes come back through a Linear of -beta on the diagonal, one step late as every"
            + " edge that closes a cycle, which subtracts the threshold exactly as snn's reset does. Logits: the"
            + " Output (the LI readout's membrane) summed or maximised over all steps (metadata 'readout').";

    /**
     * The graph of a standard multi-spike network with subtractive reset in NIR's primitives alone: each hidden
     * layer is an LI node, a Threshold at 1 and a Linear of -beta on the diagonal from the spikes back to the LI
     * (docs/interop.md, "The subtractive reset in NIR's primitives"). A forward-Euler reader that implements LI,
     * Threshold and cycles computes snn's network without its metadata; snn imports only the plain graph back.
     *
     * @param checkpoint the network, with its config (model.reset {@code subtract})
     * @param dtSeconds  the step the time constants are written for, &gt; 0
     * @return the graph
     * @throws InteropException         when the network is not standard multi-spike or resets to zero (its plain
     *                                  graph is already NIR's LIF)
     * @throws IllegalArgumentException when {@code dtSeconds} is not positive
     */
    public static NirGraph feedbackGraph(Checkpoint checkpoint, double dtSeconds) {
        requireExact(checkpoint.config().model());
        if (checkpoint.config().model().reset() == LifLayer.Reset.ZERO) {
            throw new InteropException("the feedback form writes the subtractive reset in NIR's primitives; this"
                    + " network resets to zero, which its plain NIR graph (NIR's own LIF) already computes exactly");
        }
        if (!(dtSeconds > 0 && Double.isFinite(dtSeconds))) {
            throw new IllegalArgumentException("dt must be a positive number of seconds, got " + dtSeconds);
        }
        try (PointerScope scope = new PointerScope()) {
            return build(checkpoint, checkpoint.config().model(), dtSeconds, Map.of(), true);
        }
    }

    private static String semantics(String reset) {
        return "Forward Euler with step dt (metadata 'dt', seconds): "
                + "v[t] = v[t-1] + dt/tau * (v_leak - v[t-1] + r * I[t]) from v[-1] = 0, which is "
                + "v[t] = beta * v[t-1] + I[t] with beta = 1 - dt/tau as r = tau/dt (beta = 1 is written as "
                + "dt/tau = 2^-26). LIF: spike when v[t] > v_threshold, " + reset + ". "
                + "An edge back to an earlier node carries that node's output of the previous step and nothing at"
                + " t = 0 (bias included). Logits: the Output (the LI membrane) summed or maximised over all steps "
                + "(metadata 'readout'); the prediction is the largest logit.";
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private NirExporter() {
    }

    /**
     * Why a network cannot be written exactly, if it cannot.
     *
     * @param model the network's settings
     * @return the reason, naming the neuron model NIR lacks; empty for standard multi-spike networks
     */
    public static Optional<String> whyNotExact(ModelConfig model) {
        return switch (model.kind()) {
            case STANDARD -> model.singleSpike()
                    ? Optional.of("NIR has no single-spike neuron (a LIF that fires at most once)")
                    : Optional.empty();
            case BLOCK -> Optional.of("NIR has no single-spike neuron, and the block model's neurons fire at most"
                    + " once");
            case DBLOCK -> Optional.of("NIR has no per-block neuron (at most one spike per block, the membrane"
                    + " restarting from rest at every block boundary, recurrent input once per block)");
        };
    }

    /**
     * The run's time step, which the time constants are written for by default.
     *
     * @param checkpoint a network with its config
     * @return {@code data.dt_ms} of the config, in seconds
     */
    public static double runDt(Checkpoint checkpoint) {
        return checkpoint.config().data().dtMs() / 1000;
    }

    /**
     * The exact NIR graph of a standard multi-spike network, with time constants for the run's step
     * ({@link #runDt}).
     *
     * @param checkpoint the network, with its config
     * @return the graph
     * @throws InteropException when the network is not standard multi-spike, saying why and how to export an
     *                          approximation
     */
    public static NirGraph graph(Checkpoint checkpoint) {
        return graph(checkpoint, runDt(checkpoint));
    }

    /**
     * The exact NIR graph of a standard multi-spike network, with time constants for a given step (a reader that
     * integrates with another step, such as snnTorch's importer with its fixed 1e-4 s, needs its own).
     *
     * @param checkpoint the network, with its config
     * @param dtSeconds  the step the time constants are written for, &gt; 0 (stored as metadata {@code dt})
     * @return the graph
     * @throws InteropException         when the network is not standard multi-spike, saying why and how to export
     *                                  an approximation
     * @throws IllegalArgumentException when {@code dtSeconds} is not positive
     */
    public static NirGraph graph(Checkpoint checkpoint, double dtSeconds) {
        requireExact(checkpoint.config().model());
        return build(checkpoint, dtSeconds, Map.of());
    }

    private static void requireExact(ModelConfig model) {
        Optional<String> why = whyNotExact(model);
        if (why.isPresent()) {
            throw new InteropException("cannot write this " + LifApproximation.kindName(model) + " network as NIR: "
                    + why.get() + ". `snn export --format nir --approximate` (in Java NirExporter.writeApproximate)"
                    + " writes the standard LIF network with the same weights and decays instead and reports how often"
                    + " it agrees with this one on the test data");
        }
    }

    /**
     * Writes the exact NIR graph of a standard multi-spike network (atomically), for the run's step.
     *
     * @param checkpoint the network, with its config
     * @param out        the NIR file, created with its folders
     * @throws InteropException when the network is not standard multi-spike, or the file cannot be written
     */
    public static void write(Checkpoint checkpoint, Path out) {
        write(checkpoint, runDt(checkpoint), out);
    }

    /**
     * Writes the exact NIR graph of a standard multi-spike network (atomically), for a given step.
     *
     * @param checkpoint the network, with its config
     * @param dtSeconds  the step the time constants are written for, &gt; 0
     * @param out        the NIR file, created with its folders
     * @throws InteropException         when the network is not standard multi-spike, or the file cannot be written
     * @throws IllegalArgumentException when {@code dtSeconds} is not positive
     */
    public static void write(Checkpoint checkpoint, double dtSeconds, Path out) {
        NirFile.write(graph(checkpoint, dtSeconds), out);
    }

    /**
     * What {@link #writeApproximate} wrote and measured.
     *
     * @param sourceKind the original network's kind, e.g. "d-block (d = 5)"
     * @param lif        the standard LIF network that was written
     * @param agreement  the two networks compared on the data
     */
    public record Approximation(String sourceKind, Checkpoint lif, LifApproximation.Agreement agreement) {

        /** {@return one line for people: what was written and how close it is} */
        public String describe() {
            return agreement.describe(sourceKind);
        }
    }

    /**
     * Writes the standard LIF network with the same weights and decays as {@code checkpoint}
     * ({@link LifApproximation#of}) after comparing the two on {@code data}; the comparison is stored in the graph's
     * metadata ({@code approximation}, JSON). For a standard multi-spike network this is the exact graph, and the
     * two agree on every sample.
     *
     * @param checkpoint the trained network, any kind
     * @param data       the samples to compare on (the run's test split), with the network's inputs and classes
     * @param batchSize  samples per forward pass
     * @param dtSeconds  the step the time constants are written for (usually {@link #runDt})
     * @param out        the NIR file, created with its folders
     * @return what was written and the measured agreement
     * @throws InteropException         when the file cannot be written
     * @throws IllegalArgumentException when {@code dtSeconds} is not positive
     */
    public static Approximation writeApproximate(Checkpoint checkpoint, SpikeDataset data, int batchSize,
            double dtSeconds, Path out) {
        Checkpoint lif = LifApproximation.of(checkpoint);
        LifApproximation.Agreement agreement = LifApproximation.measure(checkpoint.network(), lif.network(), data,
                batchSize);
        String kind = LifApproximation.kindName(checkpoint.config().model());
        ObjectNode report = JSON.createObjectNode();
        report.put("source_kind", checkpoint.config().model().kind().name().toLowerCase(Locale.ROOT));
        if (checkpoint.config().model().d() != null) {
            report.put("d", checkpoint.config().model().d());
        }
        report.put("single_spike", checkpoint.config().model().singleSpike());
        report.put("samples", agreement.samples());
        report.put("agreement", agreement.agreement());
        report.put("source_accuracy", agreement.sourceAccuracy());
        report.put("lif_accuracy", agreement.lifAccuracy());
        NirFile.write(build(lif, dtSeconds, Map.of("approximation", report.toString())), out);
        return new Approximation(kind, lif, agreement);
    }

    /**
     * The graph of a standard multi-spike network, with extra graph metadata. The tensors' values are copied into
     * Java arrays; the native copies made on the way belong to a scope closed on return.
     */
    private static NirGraph build(Checkpoint checkpoint, double dt, Map<String, Object> extraMetadata) {
        if (!(dt > 0 && Double.isFinite(dt))) {
            throw new IllegalArgumentException("dt must be a positive number of seconds, got " + dt);
        }
        try (PointerScope scope = new PointerScope()) {
            return build(checkpoint, checkpoint.config().model(), dt, extraMetadata, false);
        }
    }

    private static NirGraph build(Checkpoint checkpoint, ModelConfig model, double dt,
            Map<String, Object> extraMetadata, boolean feedback) {
        Map<String, Tensor> p = checkpoint.parameters();
        Map<String, NirNode> nodes = new LinkedHashMap<>();
        List<NirGraph.Edge> edges = new ArrayList<>();
        nodes.put("input", new NirNode.Input(new long[] {checkpoint.inputs()}));
        String previous = "input";
        for (int i = 0; i < model.hidden().size(); i++) {
            String prefix = "hidden." + i + ".";
            String projection = "hidden_" + i + "_input";
            String lif = "hidden_" + i + "_lif";
            nodes.put(projection, projection(p, prefix + "input."));
            float[] beta = betas(p.get(prefix + "beta"), prefix + "beta", model.hidden().get(i));
            String spikes = lif;
            if (feedback) {
                // U_t = beta U_{t-1} + I_t - beta s_{t-1}: a leaky integrator whose own spikes, one step late and
                // scaled by -beta, do the subtraction; a Threshold at 1 makes the spikes.
                String li = "hidden_" + i + "_li";
                spikes = "hidden_" + i + "_spikes";
                String reset = "hidden_" + i + "_reset";
                nodes.put(li, new NirNode.Li(taus(beta, dt), resistances(beta), new double[beta.length]));
                nodes.put(spikes, new NirNode.Threshold(filled(beta.length, 1)));
                float[][] minusBeta = new float[beta.length][beta.length];
                for (int j = 0; j < beta.length; j++) {
                    minusBeta[j][j] = -beta[j];
                }
                nodes.put(reset, new NirNode.Linear(minusBeta));
                edges.add(new NirGraph.Edge(previous, projection));
                edges.add(new NirGraph.Edge(projection, li));
                edges.add(new NirGraph.Edge(li, spikes));
                edges.add(new NirGraph.Edge(spikes, reset));
                edges.add(new NirGraph.Edge(reset, li));
                lif = li;
            } else {
                nodes.put(lif, new NirNode.Lif(taus(beta, dt), resistances(beta), new double[beta.length],
                        filled(beta.length, 1), new double[beta.length]));
                edges.add(new NirGraph.Edge(previous, projection));
                edges.add(new NirGraph.Edge(projection, lif));
            }
            if (model.recurrent()) {
                String recurrent = "hidden_" + i + "_recurrent";
                nodes.put(recurrent, projection(p, prefix + "recurrent."));
                edges.add(new NirGraph.Edge(spikes, recurrent));
                edges.add(new NirGraph.Edge(recurrent, lif));
            }
            previous = spikes;
        }
        nodes.put("readout_input", projection(p, "readout.input."));
        float[] beta = betas(p.get("readout.beta"), "readout.beta", checkpoint.classes());
        nodes.put("readout_li", new NirNode.Li(taus(beta, dt), resistances(beta), new double[beta.length]));
        nodes.put("output", new NirNode.Output(new long[] {checkpoint.classes()}));
        edges.add(new NirGraph.Edge(previous, "readout_input"));
        edges.add(new NirGraph.Edge("readout_input", "readout_li"));
        edges.add(new NirGraph.Edge("readout_li", "output"));

        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put(Checkpoints.METADATA_KEY, new CheckpointMetadata(Layout.SNN, checkpoint.inputs(),
                checkpoint.classes(), checkpoint.config()).toJson());
        metadata.put("dt", dt);
        metadata.put("time_steps", (long) checkpoint.config().data().tLen());
        metadata.put("discretisation", "forward_euler");
        boolean zero = model.reset() == LifLayer.Reset.ZERO;
        metadata.put("reset", zero ? "zero" : "subtract");
        metadata.put("readout", model.readout() == ModelConfig.Readout.SUM ? "sum" : "max");
        metadata.put("semantics", feedback ? SEMANTICS_FEEDBACK : zero ? SEMANTICS_ZERO : SEMANTICS);
        if (feedback) {
            metadata.put("reset_form", "feedback");
        }
        metadata.putAll(extraMetadata);
        return new NirGraph(nodes, edges, metadata);
    }

    /** Affine of {@code <prefix>weight} and {@code <prefix>bias}, or Linear when the bias is all zero. */
    private static NirNode projection(Map<String, Tensor> p, String prefix) {
        Tensor w = p.get(prefix + "weight");
        long[] shape = Tensors.shape(w);
        float[] flat = Tensors.toArray(w);
        float[][] weight = new float[(int) shape[0]][(int) shape[1]];
        for (int r = 0; r < weight.length; r++) {
            System.arraycopy(flat, r * weight[r].length, weight[r], 0, weight[r].length);
        }
        float[] bias = Tensors.toArray(p.get(prefix + "bias"));
        for (float b : bias) {
            if (b != 0) {
                return new NirNode.Affine(weight, bias);
            }
        }
        return new NirNode.Linear(weight);
    }

    /** The decays as used (clamped to [0, 1]), one per neuron (a shared beta repeated). */
    private static float[] betas(Tensor raw, String name, int neurons) {
        float[] values = Tensors.toArray(raw);
        float[] out = new float[neurons];
        for (int i = 0; i < neurons; i++) {
            float b = values[values.length == 1 ? 0 : i];
            if (Float.isNaN(b)) {
                throw new InteropException("parameter " + name + " holds NaN at index " + i
                        + ": the network has no valid decay to write");
            }
            out[i] = Math.min(1f, Math.max(0f, b));
        }
        return out;
    }

    private static double[] taus(float[] beta, double dt) {
        double[] out = new double[beta.length];
        for (int i = 0; i < beta.length; i++) {
            out[i] = NeuronMapping.tau(beta[i], dt);
        }
        return out;
    }

    private static double[] resistances(float[] beta) {
        double[] out = new double[beta.length];
        for (int i = 0; i < beta.length; i++) {
            out[i] = NeuronMapping.r(beta[i]);
        }
        return out;
    }

    private static double[] filled(int n, double value) {
        double[] out = new double[n];
        Arrays.fill(out, value);
        return out;
    }
}
