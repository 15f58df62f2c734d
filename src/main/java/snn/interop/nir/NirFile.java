package snn.interop.nir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.api.WritableGroup;

import snn.core.InteropException;
import snn.io.AtomicFiles;

/**
 * NIR's HDF5 file layout, read and written with jhdf: a root dataset {@code version}, the graph in group
 * {@code /node} ({@code type = "NIRGraph"}, one group per node under {@code nodes/<name>} holding its {@code type}
 * and parameters, {@code edges} as an (N, 2) array of node names, optional {@code metadata}); nested graphs
 * repeat the layout inside their node group. This is the layout of NIR's reference reader and writer
 * ({@code nir/serialization.py}).
 *
 * <p>Written types: strings fixed-length UTF-8 (NIR's writer uses variable-length strings; h5py and
 * {@code nir.read} read both), weights and biases float32, neuron parameters float64, shapes int64. Reading
 * accepts either string kind and any integer or floating type where numbers are expected.
 */
public final class NirFile {

    /** The NIR release whose layout snn writes (stored in the root {@code version} dataset). */
    public static final String NIR_VERSION = "1.0.7";

    /** NIR's node types that snn does not read (NIR's {@code nir/ir/__init__.py}). */
    private static final Set<String> OTHER_NIR_TYPES = Set.of("AvgPool2d", "Conv1d", "Conv2d",
            "Delay", "Flatten", "Identity", "SumPool2d");

    private NirFile() {
    }

    /**
     * Writes a graph (replacing {@code file} atomically: a reader never sees a partial file).
     *
     * @param graph the graph, with at least one edge in it and in every subgraph
     * @param file  the file, created with its folders
     * @throws IllegalArgumentException when a graph has no edges (jhdf cannot write empty arrays, and such a graph
     *                                  computes nothing)
     * @throws InteropException         when the file cannot be written
     */
    public static void write(NirGraph graph, Path file) {
        checkEdges(graph, "/node");
        try {
            AtomicFiles.writeVia(file, tmp -> {
                try (WritableHdfFile hdf = HdfFile.write(tmp)) {
                    hdf.putDataset("version", NIR_VERSION);
                    writeGraph(hdf.putGroup("node"), graph);
                }
            });
        } catch (IOException | RuntimeException e) {
            throw new InteropException("cannot write " + file + ": " + e, e);
        }
    }

    private static void checkEdges(NirGraph graph, String path) {
        if (graph.edges().isEmpty()) {
            throw new IllegalArgumentException(path + ": a graph without edges cannot be written");
        }
        graph.nodes().forEach((name, node) -> {
            if (node instanceof NirNode.Subgraph s) {
                checkEdges(s.graph(), path + "/nodes/" + name);
            }
        });
    }

    private static void writeGraph(WritableGroup group, NirGraph graph) {
        group.putDataset("type", "NIRGraph");
        WritableGroup nodes = group.putGroup("nodes");
        graph.nodes().forEach((name, node) -> writeNode(nodes.putGroup(name), node));
        String[][] edges = new String[graph.edges().size()][];
        for (int i = 0; i < edges.length; i++) {
            NirGraph.Edge e = graph.edges().get(i);
            edges[i] = new String[] {e.source(), e.target()};
        }
        group.putDataset("edges", edges);
        if (!graph.metadata().isEmpty()) {
            WritableGroup metadata = group.putGroup("metadata");
            graph.metadata().forEach(metadata::putDataset);
        }
    }

    private static void writeNode(WritableGroup group, NirNode node) {
        if (node instanceof NirNode.Subgraph s) {
            writeGraph(group, s.graph());
            return;
        }
        group.putDataset("type", node.type());
        switch (node) {
            case NirNode.Input n -> group.putDataset("shape", n.shape());
            case NirNode.Output n -> group.putDataset("shape", n.shape());
            case NirNode.Affine n -> {
                group.putDataset("weight", n.weight());
                group.putDataset("bias", n.bias());
            }
            case NirNode.Linear n -> group.putDataset("weight", n.weight());
            case NirNode.Lif n -> {
                group.putDataset("tau", n.tau());
                group.putDataset("r", n.r());
                group.putDataset("v_leak", n.vLeak());
                group.putDataset("v_threshold", n.vThreshold());
                group.putDataset("v_reset", n.vReset());
            }
            case NirNode.Li n -> {
                group.putDataset("tau", n.tau());
                group.putDataset("r", n.r());
                group.putDataset("v_leak", n.vLeak());
            }
            case NirNode.If n -> {
                group.putDataset("r", n.r());
                group.putDataset("v_threshold", n.vThreshold());
                group.putDataset("v_reset", n.vReset());
            }
            case NirNode.Integrator n -> group.putDataset("r", n.r());
            case NirNode.CubaLif n -> {
                group.putDataset("tau_syn", n.tauSyn());
                group.putDataset("tau_mem", n.tauMem());
                group.putDataset("r", n.r());
                group.putDataset("v_leak", n.vLeak());
                group.putDataset("v_threshold", n.vThreshold());
                group.putDataset("v_reset", n.vReset());
                group.putDataset("w_in", n.wIn());
            }
            case NirNode.CubaLi n -> {
                group.putDataset("tau_syn", n.tauSyn());
                group.putDataset("tau_mem", n.tauMem());
                group.putDataset("r", n.r());
                group.putDataset("v_leak", n.vLeak());
                group.putDataset("w_in", n.wIn());
            }
            case NirNode.Threshold n -> group.putDataset("threshold", n.threshold());
            case NirNode.Scale n -> group.putDataset("scale", n.scale());
            case NirNode.Subgraph n -> throw new IllegalStateException("handled above");
        }
    }

    /**
     * Reads the graph of a NIR file, checking its structure, every node's fields and shapes, and the edges.
     *
     * @param file a NIR file (HDF5)
     * @return the graph, with nested graphs as {@link NirNode.Subgraph} nodes
     * @throws InteropException naming the file, and where it applies the node, field or edge, when the file is
     *                          missing or not HDF5, lacks part of the layout, holds a node type snn does not read, or
     *                          a field of the wrong kind or shape
     */
    public static NirGraph read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InteropException(file + ": no such file");
        }
        HdfFile hdf;
        try {
            hdf = new HdfFile(file);
        } catch (RuntimeException e) {
            throw new InteropException(file + ": not a readable HDF5 file, so not a NIR file (" + e.getMessage() + ")",
                    e);
        }
        try (hdf) {
            requireWhole(hdf, file);
            Node root = hdf.getChildren().get("node");
            if (!(root instanceof Group group)) {
                throw new InteropException(file + ": has no group 'node', so it is not a NIR file (NIR keeps its graph"
                        + " in /node; the file has " + hdf.getChildren().keySet() + ")");
            }
            return new Reader(file).graph(group, "/node");
        } catch (InteropException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InteropException(file + ": corrupt HDF5 content (" + e + ")", e);
        }
    }

    /**
     * Refuses a file shorter than its superblock says (cut off at the end), as the HDF5 library under NIR's reader
     * (h5py) does: the superblock records the end-of-file address, and every byte before it belongs to the file.
     * jhdf alone reads such a file as long as the bytes it happens to touch are there.
     */
    private static void requireWhole(HdfFile hdf, Path file) {
        long stored = hdf.getUserBlockSize() + hdf.getHdfBackingStorage().getSuperblock().getEndOfFileAddress();
        long actual = hdf.size();
        if (actual < stored) {
            throw new InteropException(file + ": the file is truncated: its HDF5 superblock says it ends at byte "
                    + stored + " but it has " + actual + " bytes (" + (stored - actual) + " missing); it was cut off"
                    + " while being written or copied, so it is refused (write or copy it again)");
        }
    }

    /** Reads one file, naming it in every message. */
    private record Reader(Path file) {

        NirGraph graph(Group group, String path) {
            String type = string(group, path, "type");
            if (!"NIRGraph".equals(type)) {
                throw error(path + "/type is '" + type + "'; the graph of a NIR file is a NIRGraph");
            }
            Group nodesGroup = group(group, path, "nodes");
            Map<String, NirNode> nodes = new LinkedHashMap<>();
            for (Map.Entry<String, Node> e : nodesGroup.getChildren().entrySet()) {
                String nodePath = path + "/nodes/" + e.getKey();
                if (!(e.getValue() instanceof Group nodeGroup)) {
                    throw error(nodePath + " is a dataset; every node is a group holding its 'type' and parameters");
                }
                nodes.put(e.getKey(), node(e.getKey(), nodeGroup, nodePath));
            }
            List<NirGraph.Edge> edges = edges(group, path);
            Map<String, Object> metadata = group.getChildren().get("metadata") instanceof Group m
                    ? metadata(m) : Map.of();
            try {
                return new NirGraph(nodes, edges, metadata);
            } catch (IllegalArgumentException e) {
                throw error(path + ": " + e.getMessage());
            }
        }

        NirNode node(String name, Group group, String path) {
            if (!group.getChildren().containsKey("type")) {
                throw error("node '" + name + "' (" + path + ") has no 'type'");
            }
            String type = string(group, path, "type");
            Fields f = new Fields(group, path, name, type);
            try {
                return switch (type) {
                    case "Input" -> new NirNode.Input(f.longs("shape"));
                    case "Output" -> new NirNode.Output(f.longs("shape"));
                    case "Affine" -> new NirNode.Affine(f.matrix("weight"), f.floats("bias"));
                    case "Linear" -> new NirNode.Linear(f.matrix("weight"));
                    case "LIF" -> {
                        double[] tau = f.doubles("tau");
                        yield new NirNode.Lif(tau, f.doubles("r"), f.doubles("v_leak"), f.doubles("v_threshold"),
                                f.optional("v_reset", tau.length, 0));
                    }
                    case "LI" -> new NirNode.Li(f.doubles("tau"), f.doubles("r"), f.doubles("v_leak"));
                    case "IF" -> {
                        double[] r = f.doubles("r");
                        yield new NirNode.If(r, f.doubles("v_threshold"), f.optional("v_reset", r.length, 0));
                    }
                    case "I" -> new NirNode.Integrator(f.doubles("r"));
                    case "CubaLIF" -> {
                        double[] tauSyn = f.doubles("tau_syn");
                        yield new NirNode.CubaLif(tauSyn, f.doubles("tau_mem"), f.doubles("r"), f.doubles("v_leak"),
                                f.doubles("v_threshold"), f.optional("v_reset", tauSyn.length, 0),
                                f.optional("w_in", tauSyn.length, 1));
                    }
                    case "CubaLI" -> {
                        double[] tauSyn = f.doubles("tau_syn");
                        yield new NirNode.CubaLi(tauSyn, f.doubles("tau_mem"), f.doubles("r"), f.doubles("v_leak"),
                                f.optional("w_in", tauSyn.length, 1));
                    }
                    case "Threshold" -> new NirNode.Threshold(f.doubles("threshold"));
                    case "Scale" -> new NirNode.Scale(f.doubles("scale"));
                    case "NIRGraph" -> new NirNode.Subgraph(graph(group, path));
                    default -> throw error("node '" + name + "' (" + path + ") is of type '" + type + "', "
                            + (OTHER_NIR_TYPES.contains(type) ? "which snn does not read"
                                    : "which is not a NIR node type")
                            + "; snn reads Input, Output, Affine, Linear, Scale, LIF, LI, IF, I, CubaLIF, CubaLI,"
                            + " Threshold and NIRGraph (subgraphs of these)");
                };
            } catch (IllegalArgumentException e) {
                throw error("node '" + name + "' (" + type + ", " + path + "): " + e.getMessage());
            }
        }

        List<NirGraph.Edge> edges(Group group, String path) {
            Dataset d = dataset(group, path, "edges");
            List<NirGraph.Edge> edges = new ArrayList<>();
            if (d.getSize() == 0) {
                return edges;
            }
            int[] dims = d.getDimensions();
            Object data = d.getData();
            if (dims.length != 2 || dims[1] != 2 || !(data instanceof String[][] pairs)) {
                throw error(path + "/edges must be an (N, 2) array of node names, got " + describe(d));
            }
            for (String[] pair : pairs) {
                edges.add(new NirGraph.Edge(pair[0], pair[1]));
            }
            return edges;
        }

        /** The metadata's scalar strings and numbers; other entries (arrays, groups) are skipped. */
        Map<String, Object> metadata(Group group) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, Node> e : group.getChildren().entrySet()) {
                if (e.getValue() instanceof Dataset d && d.isScalar()) {
                    Object v = d.getData();
                    if (v instanceof String || v instanceof Double || v instanceof Long) {
                        out.put(e.getKey(), v);
                    } else if (v instanceof Float f) {
                        out.put(e.getKey(), f.doubleValue());
                    } else if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
                        out.put(e.getKey(), ((Number) v).longValue());
                    }
                }
            }
            return out;
        }

        String string(Group group, String path, String name) {
            Dataset d = dataset(group, path, name);
            Object v = d.getData();
            if (v instanceof String s) {
                return s;
            }
            if (v instanceof String[] a && a.length == 1) {
                return a[0];
            }
            throw error(path + "/" + name + " must be a string, got " + describe(d));
        }

        Group group(Group parent, String path, String name) {
            if (!(parent.getChildren().get(name) instanceof Group g)) {
                throw error(path + " has no group '" + name + "'");
            }
            return g;
        }

        Dataset dataset(Group parent, String path, String name) {
            if (!(parent.getChildren().get(name) instanceof Dataset d)) {
                throw error(path + " has no dataset '" + name + "'");
            }
            return d;
        }

        InteropException error(String message) {
            return new InteropException(file + ": " + message);
        }

        /** The numeric fields of one node, with messages naming the node and field. */
        private final class Fields {
            private final Group group;
            private final String path;
            private final String name;
            private final String type;

            Fields(Group group, String path, String name, String type) {
                this.group = group;
                this.path = path;
                this.name = name;
                this.type = type;
            }

            boolean has(String field) {
                return group.getChildren().get(field) instanceof Dataset;
            }

            /**
             * A per-neuron field NIR gives a default: the stored values (a single value is repeated for every
             * neuron, as NIR's constructors broadcast a scalar), else {@code n} copies of the default.
             */
            double[] optional(String field, int n, double fallback) {
                double[] out = new double[n];
                if (!has(field)) {
                    Arrays.fill(out, fallback);
                    return out;
                }
                Dataset d = field(field);
                if (d.isScalar() && d.getData() instanceof Number v) {
                    Arrays.fill(out, v.doubleValue());
                    return out;
                }
                double[] stored = doubles(field);
                if (stored.length == 1 && n > 1) {
                    Arrays.fill(out, stored[0]);
                    return out;
                }
                return stored;
            }

            private Dataset field(String field) {
                if (group.getChildren().get(field) instanceof Dataset d) {
                    return d;
                }
                throw error("node '" + name + "' (" + type + ", " + path + ") has no '" + field + "'; NIR's " + type
                        + " needs it");
            }

            private InteropException wrong(String field, Dataset d, String expected) {
                return error("node '" + name + "' (" + type + ", " + path + "): '" + field + "' must be " + expected
                        + ", got " + describe(d));
            }

            double[] doubles(String field) {
                Dataset d = field(field);
                Object v = d.getData();
                if (d.getDimensions().length != 1 || !isNumericArray(v)) {
                    throw wrong(field, d, "a 1-D array of numbers (one per neuron)");
                }
                double[] out = numbers(v);
                for (int i = 0; i < out.length; i++) {
                    if (!Double.isFinite(out[i])) {
                        throw error("node '" + name + "' (" + type + ", " + path + "): '" + field + "' holds "
                                + out[i] + " at index " + i + "; expected finite numbers");
                    }
                }
                return out;
            }

            float[] floats(String field) {
                double[] d = doubles(field);
                float[] out = new float[d.length];
                for (int i = 0; i < d.length; i++) {
                    out[i] = (float) d[i];
                }
                return out;
            }

            long[] longs(String field) {
                Dataset d = field(field);
                Object v = d.getData();
                if (d.getDimensions().length != 1 || !isNumericArray(v) || v instanceof float[]
                        || v instanceof double[]) {
                    throw wrong(field, d, "a 1-D array of integers");
                }
                if (v instanceof long[] l) {
                    return l;
                }
                double[] d64 = numbers(v);
                long[] out = new long[d64.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (long) d64[i];
                }
                return out;
            }

            float[][] matrix(String field) {
                Dataset d = field(field);
                Object v = d.getData();
                if (d.getDimensions().length != 2 || !(v instanceof Object[] rows) || rows.length == 0
                        || !isNumericArray(rows[0])) {
                    throw wrong(field, d, "a 2-D array of numbers [outputs, inputs]");
                }
                float[][] out = new float[rows.length][];
                for (int i = 0; i < rows.length; i++) {
                    double[] row = numbers(rows[i]);
                    out[i] = new float[row.length];
                    for (int j = 0; j < row.length; j++) {
                        if (!Double.isFinite(row[j])) {
                            throw error("node '" + name + "' (" + type + ", " + path + "): '" + field + "' holds "
                                    + row[j] + " at [" + i + ", " + j + "]; expected finite numbers");
                        }
                        out[i][j] = (float) row[j];
                    }
                }
                return out;
            }
        }
    }

    /** The values of a primitive numeric array (integers up to 2^53 exactly). */
    private static double[] numbers(Object v) {
        return switch (v) {
            case double[] a -> a;
            case float[] a -> {
                double[] out = new double[a.length];
                for (int i = 0; i < a.length; i++) {
                    out[i] = a[i];
                }
                yield out;
            }
            case long[] a -> Arrays.stream(a).asDoubleStream().toArray();
            case int[] a -> Arrays.stream(a).asDoubleStream().toArray();
            case short[] a -> {
                double[] out = new double[a.length];
                for (int i = 0; i < a.length; i++) {
                    out[i] = a[i];
                }
                yield out;
            }
            case byte[] a -> {
                double[] out = new double[a.length];
                for (int i = 0; i < a.length; i++) {
                    out[i] = a[i];
                }
                yield out;
            }
            default -> throw new IllegalArgumentException("not a numeric array: " + v.getClass().getSimpleName());
        };
    }

    private static boolean isNumericArray(Object v) {
        return v instanceof float[] || v instanceof double[] || v instanceof long[] || v instanceof int[]
                || v instanceof short[] || v instanceof byte[];
    }

    private static String describe(Dataset d) {
        Object v = d.getData();
        String kind = v instanceof String || v instanceof String[] || v instanceof String[][] ? "text"
                : d.getJavaType().getSimpleName();
        return (d.isScalar() ? "a scalar" : "shape " + Arrays.toString(d.getDimensions())) + " of " + kind;
    }
}
