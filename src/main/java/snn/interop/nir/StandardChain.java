package snn.interop.nir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A NIR graph recognised as snn's standard network: Input -&gt; (projection -&gt; LIF, optionally with an edge back
 * through a recurrent projection) repeated at least once -&gt; projection -&gt; LI -&gt; Output, where a projection is
 * an Affine or Linear node. Nested graphs are inlined first, so snnTorch's recurrent subgraphs (Input -&gt; LIF,
 * LIF -&gt; W_rec -&gt; LIF, LIF -&gt; Output) read like the flat form snn writes; layers in the feedback form (LI, Threshold,
 * spikes fed back through a diagonal Linear) are fused into LIF nodes first ({@link #fuseResetFeedback}).
 *
 * @param inputs the input size
 * @param hidden the hidden layers, input side first
 * @param readout the readout layer
 */
record StandardChain(int inputs, List<Hidden> hidden, Readout readout) {

    /**
     * A hidden layer.
     *
     * @param projectionName the name of its input projection
     * @param projection     the input projection (Affine or Linear)
     * @param neuronName     the name of its LIF node
     * @param lif            the neurons
     * @param recurrentName  the name of its recurrent projection, if it has one
     * @param recurrent      the recurrent projection (Affine or Linear, square), if it has one
     * @param resetFeedback  when the layer is written in the feedback form ({@link #fuseResetFeedback}): the diagonal
     *                       of the Linear that brings each neuron's spike back, one step late, and the name of that
     *                       node; {@code lif} then stands for the LI and the Threshold, with {@code v_reset} 0
     */
    record Hidden(String projectionName, NirNode projection, String neuronName, NirNode.Lif lif,
            Optional<String> recurrentName, Optional<NirNode> recurrent, Optional<Feedback> resetFeedback) {
    }

    /**
     * The spikes of a layer in the feedback form, brought back to its own input.
     *
     * @param node     the name of the diagonal Linear (or zero-bias Affine) node
     * @param diagonal its diagonal, one weight per neuron
     */
    record Feedback(String node, float[] diagonal) {
    }

    /**
     * The readout layer.
     *
     * @param projectionName the name of its input projection
     * @param projection     the input projection (Affine or Linear)
     * @param neuronName     the name of its LI node
     * @param li             the leaky integrators
     */
    record Readout(String projectionName, NirNode projection, String neuronName, NirNode.Li li) {
    }

    private static final String SHAPE = "snn imports Input -> Affine|Linear -> LIF (with an optional edge back"
            + " through an Affine|Linear) ... -> Affine|Linear -> LI -> Output";

    /**
     * Recognises the graph.
     *
     * @param graph a graph, possibly with nested graphs
     * @return its layers
     * @throws IllegalArgumentException naming the first node or edge that does not fit the shape, or a size that
     *                                  does not match along an edge
     */
    static StandardChain of(NirGraph graph) {
        Map<String, Feedback> feedback = new LinkedHashMap<>();
        NirGraph fused = fuseResetFeedback(inline(graph), feedback);
        return new Walker(fused, feedback).walk();
    }

    /**
     * The graph with every layer written in the feedback form replaced by one LIF node: an LI node whose only
     * target besides the next layer's nodes is a Threshold, whose spikes return to the LI through a diagonal Linear
     * (or Affine with zero bias) that nothing else feeds or reads. This is how {@code snn export --reset-feedback}
     * writes the subtractive reset in NIR's own primitives (U_t = beta U_{t-1} + I_t + w s_{t-1}, with w = -beta
     * in snn's units); whether w is exactly that is for the importer to check, which knows dt. The LIF keeps the LI's
     * name, tau, r and v_leak, takes the Threshold's v_threshold and v_reset 0, and sends where the Threshold sent.
     *
     * @param g        a graph without nested graphs
     * @param feedback filled with the feedback of each fused layer, by the LIF's name
     * @return the graph with the layers fused (the same graph if it has none)
     */
    static NirGraph fuseResetFeedback(NirGraph g, Map<String, Feedback> feedback) {
        Map<String, NirNode> nodes = new LinkedHashMap<>(g.nodes());
        List<NirGraph.Edge> edges = new ArrayList<>(g.edges());
        for (String t : g.namesOf(NirNode.Threshold.class)) {
            NirNode.Threshold threshold = (NirNode.Threshold) g.nodes().get(t);
            List<String> from = g.sources(t);
            if (from.size() != 1 || !(g.nodes().get(from.get(0)) instanceof NirNode.Li li)) {
                continue;
            }
            String l = from.get(0);
            String r = null;
            for (String target : g.targets(t)) {
                NirNode node = g.nodes().get(target);
                boolean projection = node instanceof NirNode.Linear
                        || node instanceof NirNode.Affine a && allZero(a.bias());
                if (projection && g.sources(target).equals(List.of(t)) && g.targets(target).equals(List.of(l))
                        && diagonal(weight(node)) != null) {
                    r = target;
                }
            }
            if (r == null || li.outputSize() != threshold.outputSize()) {
                continue;
            }
            String reset = r;
            nodes.remove(t);
            nodes.remove(reset);
            int n = li.outputSize();
            nodes.put(l, new NirNode.Lif(li.tau(), li.r(), li.vLeak(), threshold.threshold(), new double[n]));
            List<NirGraph.Edge> rewired = new ArrayList<>();
            for (NirGraph.Edge e : edges) {
                boolean internal = e.source().equals(l) && e.target().equals(t)
                        || e.source().equals(t) && e.target().equals(reset)
                        || e.source().equals(reset) && e.target().equals(l);
                if (!internal) {
                    rewired.add(e.source().equals(t) ? new NirGraph.Edge(l, e.target()) : e);
                }
            }
            edges = rewired;
            feedback.put(l, new Feedback(reset, diagonal(weight(g.nodes().get(reset)))));
        }
        return feedback.isEmpty() ? g : new NirGraph(nodes, edges, g.metadata());
    }

    /** The diagonal of a square matrix that is zero elsewhere, else null. */
    private static float[] diagonal(float[][] w) {
        float[] d = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            if (w[i].length != w.length) {
                return null;
            }
            for (int j = 0; j < w.length; j++) {
                if (i == j) {
                    d[i] = w[i][j];
                } else if (w[i][j] != 0) {
                    return null;
                }
            }
        }
        return d;
    }

    private static boolean allZero(float[] values) {
        for (float v : values) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The graph with every nested graph replaced by its nodes, named {@code <subgraph>.<node>}: edges into the
     * subgraph go to the targets of its Input, edges out of it leave from the sources of its Output.
     *
     * @param graph a graph
     * @return a graph without {@link NirNode.Subgraph} nodes (the same graph if it had none)
     * @throws IllegalArgumentException when a nested graph lacks its one Input or Output, or a new name clashes
     */
    static NirGraph inline(NirGraph graph) {
        Map<String, NirNode> nodes = new LinkedHashMap<>();
        List<NirGraph.Edge> edges = new ArrayList<>(graph.edges());
        for (Map.Entry<String, NirNode> e : graph.nodes().entrySet()) {
            if (!(e.getValue() instanceof NirNode.Subgraph s)) {
                nodes.put(e.getKey(), e.getValue());
                continue;
            }
            String name = e.getKey();
            NirGraph inner = inline(s.graph());
            String in;
            String out;
            try {
                in = single(inner.namesOf(NirNode.Input.class), "Input");
                out = single(inner.namesOf(NirNode.Output.class), "Output");
            } catch (IllegalArgumentException problem) {
                throw new IllegalArgumentException("subgraph '" + name + "': " + problem.getMessage());
            }
            List<String> into = new ArrayList<>();
            List<String> outOf = new ArrayList<>();
            List<NirGraph.Edge> kept = new ArrayList<>();
            for (NirGraph.Edge edge : edges) {
                if (edge.target().equals(name)) {
                    into.add(edge.source());
                }
                if (edge.source().equals(name)) {
                    outOf.add(edge.target());
                }
                if (!edge.target().equals(name) && !edge.source().equals(name)) {
                    kept.add(edge);
                }
            }
            for (Map.Entry<String, NirNode> n : inner.nodes().entrySet()) {
                if (!n.getKey().equals(in) && !n.getKey().equals(out)) {
                    String full = name + "." + n.getKey();
                    if (graph.nodes().containsKey(full) || nodes.containsKey(full)) {
                        throw new IllegalArgumentException("inlining subgraph '" + name + "' makes node name '" + full
                                + "', which the graph already has");
                    }
                    nodes.put(full, n.getValue());
                }
            }
            for (NirGraph.Edge edge : inner.edges()) {
                List<String> sources = edge.source().equals(in) ? into : List.of(name + "." + edge.source());
                List<String> targets = edge.target().equals(out) ? outOf : List.of(name + "." + edge.target());
                if (edge.target().equals(in) || edge.source().equals(out)) {
                    throw new IllegalArgumentException("subgraph '" + name + "': edge " + edge + " enters its Input or"
                            + " leaves its Output");
                }
                for (String a : sources) {
                    for (String b : targets) {
                        kept.add(new NirGraph.Edge(a, b));
                    }
                }
            }
            edges = kept;
        }
        return new NirGraph(nodes, edges, graph.metadata());
    }

    private static String single(List<String> names, String type) {
        if (names.size() != 1) {
            throw new IllegalArgumentException("has " + names.size() + " " + type + " nodes " + names
                    + "; expected exactly one");
        }
        return names.get(0);
    }

    /** The weight of an Affine or Linear node, {@code [outputs][inputs]}. */
    static float[][] weight(NirNode projection) {
        return switch (projection) {
            case NirNode.Affine a -> a.weight();
            case NirNode.Linear l -> l.weight();
            default -> throw new IllegalArgumentException("not a projection: " + projection.type());
        };
    }

    /** The bias of an Affine node; zeros for a Linear node. */
    static float[] bias(NirNode projection) {
        return projection instanceof NirNode.Affine a ? a.bias() : new float[projection.outputSize()];
    }

    /** Walks from the Input to the Output, checking every node and edge on the way. */
    private static final class Walker {
        private final NirGraph g;
        private final Map<String, Feedback> feedback;
        private final Set<String> visited = new HashSet<>();

        Walker(NirGraph g, Map<String, Feedback> feedback) {
            this.g = g;
            this.feedback = feedback;
        }

        StandardChain walk() {
            String input = single(g.namesOf(NirNode.Input.class), "Input", "the input");
            String output = single(g.namesOf(NirNode.Output.class), "Output", "the output");
            visited.add(input);
            if (!g.sources(input).isEmpty()) {
                throw new IllegalArgumentException("Input node '" + input + "' receives from " + g.sources(input)
                        + "; an Input has no incoming edges");
            }
            List<Hidden> hidden = new ArrayList<>();
            String current = input;
            int size = g.nodes().get(input).outputSize();
            while (true) {
                List<String> next = new ArrayList<>(g.targets(current));
                if (!hidden.isEmpty()) {
                    hidden.getLast().recurrentName().ifPresent(next::remove); // current is that layer's LIF node
                }
                String p = one(next, current);
                if (visited.contains(p)) {
                    throw new IllegalArgumentException(describe(current) + " sends back to " + describe(p) + "; "
                            + SHAPE + ", without other cycles");
                }
                NirNode pNode = g.nodes().get(p);
                if (!(pNode instanceof NirNode.Affine || pNode instanceof NirNode.Linear)) {
                    throw notAProjection(current, p, pNode);
                }
                onlyFrom(p, List.of(current));
                if (pNode.inputSize() != size) {
                    throw new IllegalArgumentException(describe(p) + " takes " + pNode.inputSize()
                            + " inputs (weight shape " + shape(weight(pNode)) + ") but " + describe(current)
                            + " gives " + size);
                }
                visited.add(p);
                String n = one(g.targets(p), p);
                NirNode nNode = g.nodes().get(n);
                if (!(nNode instanceof NirNode.Lif || nNode instanceof NirNode.Li)) {
                    throw new IllegalArgumentException(describe(n) + " follows projection " + describe(p) + "; "
                            + SHAPE + ", so a LIF or LI node must come next");
                }
                if (nNode.inputSize() != pNode.outputSize()) {
                    throw new IllegalArgumentException(describe(n) + " has " + nNode.inputSize() + " neurons but "
                            + describe(p) + " gives " + pNode.outputSize() + " values (weight shape "
                            + shape(weight(pNode)) + ")");
                }
                visited.add(n);
                Optional<String> recurrent = recurrent(n, p);
                if (nNode instanceof NirNode.Li li) {
                    if (recurrent.isPresent()) {
                        throw new IllegalArgumentException(describe(n) + " has a recurrent edge through '"
                                + recurrent.get() + "'; snn's readout (the LI layer) is not recurrent");
                    }
                    String o = one(g.targets(n), n);
                    if (!o.equals(output)) {
                        throw new IllegalArgumentException(describe(n) + " sends to " + describe(o) + "; " + SHAPE
                                + ": the LI layer is the readout and must send to the Output only");
                    }
                    if (g.nodes().get(output).inputSize() != li.outputSize()) {
                        throw new IllegalArgumentException(describe(output) + " has shape ["
                                + g.nodes().get(output).inputSize() + "] but " + describe(n) + " gives "
                                + li.outputSize() + " values");
                    }
                    onlyFrom(output, List.of(n));
                    if (!g.targets(output).isEmpty()) {
                        throw new IllegalArgumentException("Output node '" + output + "' sends to "
                                + g.targets(output) + "; an Output has no outgoing edges");
                    }
                    visited.add(output);
                    if (hidden.isEmpty()) {
                        throw new IllegalArgumentException("the graph has no LIF layer before its LI readout '" + n
                                + "'; snn networks have at least one hidden LIF layer");
                    }
                    checkAllVisited(input, output);
                    return new StandardChain(g.nodes().get(input).outputSize(), List.copyOf(hidden),
                            new Readout(p, pNode, n, li));
                }
                recurrent.ifPresent(visited::add);
                hidden.add(new Hidden(p, pNode, n, (NirNode.Lif) nNode, recurrent,
                        recurrent.map(g.nodes()::get), Optional.ofNullable(feedback.get(n))));
                current = n;
                size = nNode.outputSize();
            }
        }

        /** The recurrent projection of neuron node {@code n} (fed by {@code p}), if it has one. */
        private Optional<String> recurrent(String n, String p) {
            Optional<String> found = Optional.empty();
            for (String s : g.sources(n)) {
                if (s.equals(p)) {
                    continue;
                }
                NirNode node = g.nodes().get(s);
                boolean loop = (node instanceof NirNode.Affine || node instanceof NirNode.Linear)
                        && g.sources(s).equals(List.of(n)) && g.targets(s).equals(List.of(n));
                if (!loop || found.isPresent()) {
                    throw new IllegalArgumentException(describe(n) + " receives from " + describe(s) + "; besides its"
                            + " projection '" + p + "' a layer may only receive from one Affine|Linear node that it"
                            + " alone feeds and that feeds it alone (its recurrent weights)");
                }
                if (node.inputSize() != node.outputSize() || node.outputSize() != g.nodes().get(n).outputSize()) {
                    throw new IllegalArgumentException("recurrent projection " + describe(s) + " has weight shape "
                            + shape(weight(node)) + "; expected [" + g.nodes().get(n).outputSize() + ", "
                            + g.nodes().get(n).outputSize() + "] for the " + g.nodes().get(n).outputSize()
                            + " neurons of '" + n + "'");
                }
                found = Optional.of(s);
            }
            return found;
        }

        private IllegalArgumentException notAProjection(String current, String p, NirNode pNode) {
            if (pNode instanceof NirNode.Output && g.nodes().get(current) instanceof NirNode.Lif) {
                return new IllegalArgumentException("the last neuron layer " + describe(current) + " is a LIF that"
                        + " sends spikes to the Output; snn's readout is a non-spiking leaky integrator, so the graph"
                        + " must end with Affine|Linear -> LI -> Output");
            }
            return new IllegalArgumentException(describe(p) + " follows " + describe(current) + "; " + SHAPE
                    + ", so an Affine or Linear projection must come next");
        }

        private String one(List<String> targets, String from) {
            if (targets.size() != 1) {
                throw new IllegalArgumentException(describe(from) + " sends to " + (targets.isEmpty() ? "no node"
                        : targets.size() + " nodes " + targets) + "; " + SHAPE + ", a single chain without branches");
            }
            return targets.get(0);
        }

        private void onlyFrom(String node, List<String> expected) {
            List<String> sources = g.sources(node);
            if (!sources.equals(expected)) {
                throw new IllegalArgumentException(describe(node) + " receives from " + sources + "; expected only "
                        + expected + " (" + SHAPE + ")");
            }
        }

        private String single(List<String> names, String type, String what) {
            if (names.size() != 1) {
                throw new IllegalArgumentException("the graph has " + (names.isEmpty() ? "no" : names.size()) + " "
                        + type + " node" + (names.size() == 1 ? "" : "s") + (names.isEmpty() ? "" : " " + names)
                        + "; snn networks have exactly one, " + what);
            }
            return names.get(0);
        }

        private void checkAllVisited(String input, String output) {
            for (String name : g.nodes().keySet()) {
                if (!visited.contains(name)) {
                    throw new IllegalArgumentException(describe(name) + " is not on the chain from '" + input
                            + "' to '" + output + "'; " + SHAPE);
                }
            }
        }

        private String describe(String name) {
            return "'" + name + "' (" + g.nodes().get(name).type() + ")";
        }
    }

    private static String shape(float[][] weight) {
        return "[" + weight.length + ", " + weight[0].length + "]";
    }
}
