package snn.interop.nir;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import snn.core.InteropException;
import snn.data.Batch;
import snn.data.BatchLoader;
import snn.data.SpikeDataset;
import snn.runtime.Device;
import snn.runtime.Tensors;

/**
 * Runs any NIR graph of the node types snn reads as NIR defines it (docs/interop.md, "Running a graph as NIR
 * defines it"): forward Euler with step dt on every node's differential equation, a LIF resets to its
 * {@code v_reset}, an edge that closes a cycle carries its source's output of the previous step. This is how snn
 * runs graphs from other libraries that are not one of snn's own networks ({@link NirImporter} imports those).
 *
 * <p>Per step t, with the node's input I the sum of what its incoming edges carry, every neuron starting at rest
 * ({@code v = v_leak}, or 0 for IF and I, synaptic currents 0), and k = dt/tau:
 * <ul>
 * <li>Affine: W I + b; Linear: W I; Scale: scale * I; Input: the sample at t; Output: I.</li>
 * <li>LI: v += k ((v_leak - v) + r I), gives v. LIF: the same, then z = (v &gt; v_threshold), v = v_reset where
 * z, gives z.</li>
 * <li>I: v += dt (r I), gives v. IF: the same, then spike and reset as LIF.</li>
 * <li>CubaLI, CubaLIF: i += k_syn (w_in I - i) first, then v += k_mem ((v_leak - v) + r i) with that i; CubaLIF
 * then spikes and resets as LIF.</li>
 * <li>Threshold: z = (I &gt; threshold).</li>
 * </ul>
 * Nested graphs are inlined. An edge closes a cycle when it goes back to a node on the current path of a
 * depth-first walk from the Input that follows each node's edges in file order. Computation is in float64 on the
 * CPU with LibTorch ops, one time step at a time; every native tensor of a call belongs to a scope closed on return.
 */
public final class NirSimulator {

    /** The node types whose output is a spike (0 or 1). */
    private static final Set<Class<?>> SPIKING = Set.of(NirNode.Lif.class, NirNode.If.class, NirNode.CubaLif.class,
            NirNode.Threshold.class);

    private final NirGraph graph;
    private final double dt;
    private final List<String> order;
    private final Map<String, List<Source>> sources;
    private final String input;
    private final String output;
    private final boolean spikingOutput;
    private final boolean maxReadout;

    /** One incoming edge: its source, and whether it carries the source's previous step (it closes a cycle). */
    private record Source(String node, boolean delayed) {
    }

    private NirSimulator(NirGraph graph, double dt, List<String> order, Map<String, List<Source>> sources,
            String input, String output, boolean spikingOutput, boolean maxReadout) {
        this.graph = graph;
        this.dt = dt;
        this.order = order;
        this.sources = sources;
        this.input = input;
        this.output = output;
        this.spikingOutput = spikingOutput;
        this.maxReadout = maxReadout;
    }

    /**
     * Prepares a graph for running.
     *
     * @param file      the file the graph came from, named in errors
     * @param graph     the graph, possibly with nested graphs
     * @param dtSeconds the integration step, seconds (&gt; 0)
     * @return the simulator
     * @throws InteropException naming the file and node or edge, when the graph has not exactly one 1-D Input and
     *                          Output, a node is not reachable from the Input or does not reach the Output, sizes
     *                          differ along an edge, or a time constant is not positive
     */
    public static NirSimulator of(Path file, NirGraph graph, double dtSeconds) {
        if (!(dtSeconds > 0 && Double.isFinite(dtSeconds))) {
            throw new InteropException(file + ": the step dt must be a positive number of seconds, got " + dtSeconds);
        }
        NirGraph g;
        try {
            g = StandardChain.inline(graph);
        } catch (IllegalArgumentException e) {
            throw new InteropException(file + ": " + e.getMessage());
        }
        String in = one(file, g, NirNode.Input.class, "Input");
        String out = one(file, g, NirNode.Output.class, "Output");
        for (Map.Entry<String, NirNode> e : g.nodes().entrySet()) {
            checkTimeConstants(file, e.getKey(), e.getValue());
        }
        if (!g.sources(in).isEmpty()) {
            throw new InteropException(file + ": Input node '" + in + "' receives from " + g.sources(in)
                    + "; an Input has no incoming edges");
        }
        if (!g.targets(out).isEmpty()) {
            throw new InteropException(file + ": Output node '" + out + "' sends to " + g.targets(out)
                    + "; an Output has no outgoing edges");
        }
        // Depth-first from the Input, following each node's edges in file order: an edge to a node on the current
        // path closes a cycle. The reverse of the finishing order is a topological order of the other edges.
        Set<NirGraph.Edge> delayed = new HashSet<>();
        List<String> finished = new ArrayList<>();
        Set<String> onPath = new HashSet<>();
        Set<String> seen = new HashSet<>();
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {in, 0});
        onPath.add(in);
        seen.add(in);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            String node = (String) frame[0];
            List<String> targets = g.targets(node);
            int next = (Integer) frame[1];
            if (next == targets.size()) {
                stack.pop();
                onPath.remove(node);
                finished.add(node);
                continue;
            }
            frame[1] = next + 1;
            String target = targets.get(next);
            if (onPath.contains(target)) {
                delayed.add(new NirGraph.Edge(node, target));
            } else if (seen.add(target)) {
                onPath.add(target);
                stack.push(new Object[] {target, 0});
            }
        }
        for (String name : g.nodes().keySet()) {
            if (!seen.contains(name)) {
                throw new InteropException(file + ": node '" + name + "' (" + g.nodes().get(name).type()
                        + ") is not reachable from the Input '" + in + "', so nothing drives it");
            }
        }
        List<String> order = new ArrayList<>(finished);
        java.util.Collections.reverse(order);
        Map<String, List<Source>> sources = new HashMap<>();
        for (String name : order) {
            sources.put(name, new ArrayList<>());
        }
        for (NirGraph.Edge e : g.edges()) {
            NirNode a = g.nodes().get(e.source());
            NirNode b = g.nodes().get(e.target());
            if (a.outputSize() != b.inputSize()) {
                throw new InteropException(file + ": edge " + e + ": '" + e.source() + "' (" + a.type() + ") gives "
                        + a.outputSize() + " values but '" + e.target() + "' (" + b.type() + ") takes "
                        + b.inputSize());
            }
            sources.get(e.target()).add(new Source(e.source(), delayed.contains(e)));
        }
        Set<String> reachesOutput = new HashSet<>(List.of(out));
        Deque<String> back = new ArrayDeque<>(List.of(out));
        while (!back.isEmpty()) {
            for (String s : g.sources(back.pop())) {
                if (reachesOutput.add(s)) {
                    back.push(s);
                }
            }
        }
        for (String name : order) {
            if (!reachesOutput.contains(name)) {
                throw new InteropException(file + ": node '" + name + "' (" + g.nodes().get(name).type()
                        + ") does not lead to the Output '" + out + "', so its values are never used");
            }
        }
        List<Source> toOutput = sources.get(out);
        boolean spiking = !toOutput.isEmpty()
                && toOutput.stream().allMatch(s -> SPIKING.contains(g.nodes().get(s.node()).getClass()));
        boolean max = "max".equals(g.metadataString("readout").orElse("sum"));
        return new NirSimulator(g, dtSeconds, List.copyOf(order), sources, in, out, spiking, max);
    }

    private static String one(Path file, NirGraph g, Class<? extends NirNode> type, String what) {
        List<String> names = g.namesOf(type);
        if (names.size() != 1) {
            throw new InteropException(file + ": the graph has " + (names.isEmpty() ? "no" : names.size()) + " "
                    + what + " node" + (names.size() == 1 ? "" : "s") + (names.isEmpty() ? "" : " " + names)
                    + "; snn runs graphs with exactly one " + what + " (one 1-D input, one 1-D output)");
        }
        return names.get(0);
    }

    private static void checkTimeConstants(Path file, String name, NirNode node) {
        Map<String, double[]> taus = new LinkedHashMap<>();
        switch (node) {
            case NirNode.Lif n -> taus.put("tau", n.tau());
            case NirNode.Li n -> taus.put("tau", n.tau());
            case NirNode.CubaLif n -> {
                taus.put("tau_syn", n.tauSyn());
                taus.put("tau_mem", n.tauMem());
            }
            case NirNode.CubaLi n -> {
                taus.put("tau_syn", n.tauSyn());
                taus.put("tau_mem", n.tauMem());
            }
            default -> {
            }
        }
        taus.forEach((field, values) -> {
            for (int i = 0; i < values.length; i++) {
                if (!(values[i] > 0)) {
                    throw new InteropException(file + ": node '" + name + "' (" + node.type() + "): '" + field
                            + "' is " + values[i] + " for neuron " + i + "; a time constant must be positive");
                }
            }
        });
    }

    /** {@return the step, seconds} */
    public double dt() {
        return dt;
    }

    /** {@return the input size} */
    public int inputs() {
        return graph.nodes().get(input).outputSize();
    }

    /** {@return the output size (classes)} */
    public int outputs() {
        return graph.nodes().get(output).inputSize();
    }

    /**
     * {@return whether the Output receives spikes only, so that a sample's logits are its output spike counts
     * (otherwise the Output summed over time, or its maximum when the graph's metadata says {@code readout = max})}
     */
    public boolean spikingOutput() {
        return spikingOutput;
    }

    /** {@return the node names in the order each step computes them (nested graphs inlined)} */
    public List<String> order() {
        return order;
    }

    /** {@return the names of the spiking nodes, in step order} */
    public List<String> spikingNodes() {
        return order.stream().filter(n -> SPIKING.contains(graph.nodes().get(n).getClass())).toList();
    }

    /**
     * The result of a run, all float64 {@code [batch, n, time]} unless said otherwise.
     *
     * @param output the Output node's values at every step
     * @param logits {@code [batch, classes]}: output spike counts, or the output summed (or maximised) over time
     * @param traces with {@code record}: for every node with state or spikes, {@code <node>.v} (membrane),
     *               {@code <node>.i} (synaptic current, CubaLIF and CubaLI) and {@code <node>.spikes}; else empty
     */
    public record Run(Tensor output, Tensor logits, Map<String, Tensor> traces) {
    }

    /**
     * Runs a batch.
     *
     * @param x      the inputs {@code [batch, inputs, time]}, any floating type
     * @param record whether to keep every node's membrane, current and spikes at every step
     * @return the output, logits and traces; the tensors are owned by the caller (outside any scope)
     * @throws IllegalArgumentException when {@code x} does not have the graph's input size
     */
    public Run run(Tensor x, boolean record) {
        if (x.dim() != 3 || x.size(1) != inputs()) {
            throw new IllegalArgumentException("input must be [batch, " + inputs() + ", time], got "
                    + Arrays.toString(Tensors.shape(x)));
        }
        long batch = x.size(0);
        int steps = (int) x.size(2);
        Map<String, TensorVector> traces = new LinkedHashMap<>();
        TensorVector outputs = new TensorVector();
        Tensor logits;
        try (NoGradGuard noGrad = new NoGradGuard()) {
            Map<String, Tensor[]> state = new HashMap<>();
            Map<String, Tensor> params = new HashMap<>();
            for (String name : order) {
                state.put(name, initialState(graph.nodes().get(name), batch));
            }
            Map<String, Tensor> previous = new HashMap<>();
            Tensor xd = x.to(Device.CPU.torch(), torch.ScalarType.Double);
            for (int t = 0; t < steps; t++) {
                Map<String, Tensor> now = new HashMap<>();
                for (String name : order) {
                    NirNode node = graph.nodes().get(name);
                    Tensor in;
                    if (name.equals(input)) {
                        in = xd.select(2, t);
                    } else {
                        in = zeros(batch, node.inputSize());
                        for (Source s : sources.get(name)) {
                            Tensor v = s.delayed() ? previous.get(s.node()) : now.get(s.node());
                            if (v != null) {
                                in = in.add(v);
                            }
                        }
                    }
                    Tensor[] st = state.get(name);
                    Tensor out = step(node, in, st, params, name);
                    now.put(name, out);
                    if (record) {
                        keep(traces, name, node, st, out);
                    }
                }
                outputs.push_back(now.get(output));
                previous = now;
            }
            Tensor all = torch.stack(outputs, 2);
            logits = spikingOutput || !maxReadout ? all.sum(2) : Tensors.maxValues(all, 2);
            Map<String, Tensor> kept = new LinkedHashMap<>();
            traces.forEach((k, v) -> kept.put(k, torch.stack(v, 2)));
            return new Run(all, logits, kept);
        }
    }

    private static void keep(Map<String, TensorVector> traces, String name, NirNode node, Tensor[] st, Tensor out) {
        switch (node) {
            case NirNode.Lif n -> {
                push(traces, name + ".v", st[0]);
                push(traces, name + ".spikes", out);
            }
            case NirNode.If n -> {
                push(traces, name + ".v", st[0]);
                push(traces, name + ".spikes", out);
            }
            case NirNode.CubaLif n -> {
                push(traces, name + ".i", st[1]);
                push(traces, name + ".v", st[0]);
                push(traces, name + ".spikes", out);
            }
            case NirNode.CubaLi n -> {
                push(traces, name + ".i", st[1]);
                push(traces, name + ".v", st[0]);
            }
            case NirNode.Li n -> push(traces, name + ".v", st[0]);
            case NirNode.Integrator n -> push(traces, name + ".v", st[0]);
            case NirNode.Threshold n -> push(traces, name + ".spikes", out);
            default -> {
            }
        }
    }

    private static void push(Map<String, TensorVector> traces, String key, Tensor value) {
        traces.computeIfAbsent(key, k -> new TensorVector()).push_back(value);
    }

    /** State at rest: {v, i}; v = v_leak for leaky neurons, 0 for IF and I; i = 0. */
    private static Tensor[] initialState(NirNode node, long batch) {
        return switch (node) {
            case NirNode.Lif n -> new Tensor[] {rest(n.vLeak(), batch)};
            case NirNode.Li n -> new Tensor[] {rest(n.vLeak(), batch)};
            case NirNode.CubaLif n -> new Tensor[] {rest(n.vLeak(), batch), zeros(batch, n.outputSize())};
            case NirNode.CubaLi n -> new Tensor[] {rest(n.vLeak(), batch), zeros(batch, n.outputSize())};
            case NirNode.If n -> new Tensor[] {zeros(batch, n.outputSize())};
            case NirNode.Integrator n -> new Tensor[] {zeros(batch, n.outputSize())};
            default -> new Tensor[0];
        };
    }

    private static Tensor rest(double[] vLeak, long batch) {
        return zeros(batch, vLeak.length).add(vector(vLeak));
    }

    /** One step of one node; updates its state in place (the array) and returns its output. */
    private Tensor step(NirNode node, Tensor in, Tensor[] st, Map<String, Tensor> params, String name) {
        return switch (node) {
            case NirNode.Input n -> in;
            case NirNode.Output n -> in;
            case NirNode.Affine n -> in.matmul(param(params, name + ".weightT", () -> matrixT(n.weight())))
                    .add(param(params, name + ".bias", () -> vector(n.bias())));
            case NirNode.Linear n -> in.matmul(param(params, name + ".weightT", () -> matrixT(n.weight())));
            case NirNode.Scale n -> in.mul(param(params, name + ".scale", () -> vector(n.scale())));
            case NirNode.Threshold n -> in.gt(param(params, name + ".threshold", () -> vector(n.threshold())))
                    .to(torch.ScalarType.Double);
            case NirNode.Li n -> {
                st[0] = leak(st[0], in, params, name, n.tau(), n.r(), n.vLeak());
                yield st[0];
            }
            case NirNode.Lif n -> {
                st[0] = leak(st[0], in, params, name, n.tau(), n.r(), n.vLeak());
                yield fire(st, params, name, n.vThreshold(), n.vReset());
            }
            case NirNode.Integrator n -> {
                st[0] = integrate(st[0], in, params, name, n.r());
                yield st[0];
            }
            case NirNode.If n -> {
                st[0] = integrate(st[0], in, params, name, n.r());
                yield fire(st, params, name, n.vThreshold(), n.vReset());
            }
            case NirNode.CubaLi n -> {
                st[1] = synapse(st[1], in, params, name, n.tauSyn(), n.wIn());
                st[0] = leak(st[0], st[1], params, name, n.tauMem(), n.r(), n.vLeak());
                yield st[0];
            }
            case NirNode.CubaLif n -> {
                st[1] = synapse(st[1], in, params, name, n.tauSyn(), n.wIn());
                st[0] = leak(st[0], st[1], params, name, n.tauMem(), n.r(), n.vLeak());
                yield fire(st, params, name, n.vThreshold(), n.vReset());
            }
            case NirNode.Subgraph n -> throw new IllegalStateException("nested graphs are inlined");
        };
    }

    /** v + (dt/tau) * ((v_leak - v) + r * I). */
    private Tensor leak(Tensor v, Tensor in, Map<String, Tensor> params, String name, double[] tau, double[] r,
            double[] vLeak) {
        Tensor k = param(params, name + ".k", () -> vector(ratio(dt, tau)));
        Tensor drive = param(params, name + ".v_leak", () -> vector(vLeak)).sub(v)
                .add(param(params, name + ".r", () -> vector(r)).mul(in));
        return v.add(k.mul(drive));
    }

    /** v + dt * (r * I). */
    private Tensor integrate(Tensor v, Tensor in, Map<String, Tensor> params, String name, double[] r) {
        return v.add(param(params, name + ".r", () -> vector(r)).mul(in).mul(Tensors.scalar(dt)));
    }

    /** i + (dt/tau_syn) * (w_in * I - i). */
    private Tensor synapse(Tensor i, Tensor in, Map<String, Tensor> params, String name, double[] tauSyn,
            double[] wIn) {
        Tensor k = param(params, name + ".k_syn", () -> vector(ratio(dt, tauSyn)));
        return i.add(k.mul(param(params, name + ".w_in", () -> vector(wIn)).mul(in).sub(i)));
    }

    /** z = (v &gt; v_threshold); v = v_reset where z: v (1 - z) + v_reset z. */
    private static Tensor fire(Tensor[] st, Map<String, Tensor> params, String name, double[] threshold,
            double[] reset) {
        Tensor z = st[0].gt(param(params, name + ".v_threshold", () -> vector(threshold)))
                .to(torch.ScalarType.Double);
        Tensor keep = z.neg().add(Tensors.scalar(1));
        st[0] = st[0].mul(keep).add(z.mul(param(params, name + ".v_reset", () -> vector(reset))));
        return z;
    }

    private static double[] ratio(double dt, double[] tau) {
        double[] out = new double[tau.length];
        for (int i = 0; i < tau.length; i++) {
            out[i] = dt / tau[i];
        }
        return out;
    }

    private static Tensor param(Map<String, Tensor> params, String key, java.util.function.Supplier<Tensor> make) {
        return params.computeIfAbsent(key, k -> make.get());
    }

    private static Tensor zeros(long batch, long n) {
        return Tensors.empty(Device.CPU, torch.ScalarType.Double, batch, n).zero_();
    }

    private static Tensor vector(double[] values) {
        Tensor t = Tensors.empty(Device.CPU, torch.ScalarType.Double, values.length);
        new DoublePointer(t.data_ptr_double()).capacity(values.length).put(values);
        return t;
    }

    private static Tensor vector(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return vector(d);
    }

    /** W transposed, {@code [inputs, outputs]}, so that I W^T is {@code in.matmul(...)}. */
    private static Tensor matrixT(float[][] w) {
        int rows = w.length;
        int cols = w[0].length;
        double[] d = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                d[j * rows + i] = w[i][j];
            }
        }
        Tensor t = Tensors.empty(Device.CPU, torch.ScalarType.Double, cols, rows);
        new DoublePointer(t.data_ptr_double()).capacity(d.length).put(d);
        return t;
    }

    /**
     * How the graph classifies a data set.
     *
     * @param samples         the number of samples
     * @param accuracy        the fraction whose largest logit (the first, on ties) is the label
     * @param spikesPerSample the mean number of spikes per sample of every spiking node, in step order
     * @param confusion       {@code [label][predicted]} counts
     * @param predictions     the predicted class of every sample, in data order
     */
    public record Evaluation(int samples, double accuracy, Map<String, Double> spikesPerSample, long[][] confusion,
            int[] predictions) {
    }

    /**
     * Classifies every sample of a data set.
     *
     * @param data      the samples, with the graph's input size as channels and at most as many classes as outputs
     * @param batchSize samples per run
     * @return accuracy, spike counts, confusion matrix and predictions
     * @throws IllegalArgumentException when the data's channels or classes do not fit the graph
     */
    public Evaluation evaluate(SpikeDataset data, int batchSize) {
        if (data.channels() != inputs()) {
            throw new IllegalArgumentException("the data has " + data.channels() + " channels but the graph's Input"
                    + " has " + inputs());
        }
        if (data.classes() > outputs()) {
            throw new IllegalArgumentException("the data has " + data.classes() + " classes but the graph's Output"
                    + " has " + outputs());
        }
        List<String> spiking = spikingNodes();
        double[] spikeTotals = new double[spiking.size()];
        long[][] confusion = new long[outputs()][outputs()];
        int[] predictions = new int[data.size()];
        int correct = 0;
        try (BatchLoader loader = new BatchLoader(data, batchSize, false, false, 0)) {
            var batches = loader.epoch(0);
            while (batches.hasNext()) {
                try (PointerScope scope = new PointerScope()) {
                    Batch b = batches.next();
                    Run r = run(b.input(), !spiking.isEmpty());
                    float[] predicted = Tensors.toArray(r.logits().argmax(new LongOptional(1), false));
                    float[] labels = Tensors.toArray(b.labels());
                    for (int i = 0; i < b.size(); i++) {
                        int p = (int) predicted[i];
                        int label = (int) labels[i];
                        predictions[b.indices()[i]] = p;
                        confusion[label][p]++;
                        correct += p == label ? 1 : 0;
                    }
                    for (int j = 0; j < spiking.size(); j++) {
                        spikeTotals[j] += r.traces().get(spiking.get(j) + ".spikes").sum().item_double();
                    }
                }
            }
        }
        Map<String, Double> perSample = new LinkedHashMap<>();
        for (int j = 0; j < spiking.size(); j++) {
            perSample.put(spiking.get(j), spikeTotals[j] / data.size());
        }
        return new Evaluation(data.size(), (double) correct / data.size(), perSample, confusion, predictions);
    }
}
