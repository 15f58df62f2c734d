package snn.interop.nir;

import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A NIR graph: named nodes, directed edges between them (the output of {@code source} goes to {@code target}), and
 * metadata that describes the graph without being needed to run it.
 *
 * @param nodes    the nodes by name, in a stable order
 * @param edges    the connections; an edge back to an earlier node (a cycle) carries the previous time step's value
 * @param metadata informative values by name: {@link String}, {@link Double} or {@link Long}
 */
public record NirGraph(Map<String, NirNode> nodes, List<Edge> edges, Map<String, Object> metadata) {

    /**
     * A directed connection.
     *
     * @param source the name of the node whose output is sent
     * @param target the name of the node that receives it
     */
    public record Edge(String source, String target) {
        @Override
        public String toString() {
            return "'" + source + "' -> '" + target + "'";
        }
    }

    /**
     * Copies the collections and checks that every edge joins two nodes of the graph, once.
     *
     * @throws IllegalArgumentException naming a dangling or repeated edge, an empty node name, or a metadata value of
     *                                  another type
     */
    public NirGraph {
        nodes = Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
        edges = List.copyOf(edges);
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        for (String name : nodes.keySet()) {
            if (name.isEmpty() || name.contains("/")) {
                throw new IllegalArgumentException("node name '" + name + "' is empty or contains '/'");
            }
        }
        Set<Edge> seen = new HashSet<>();
        for (int i = 0; i < edges.size(); i++) {
            Edge e = edges.get(i);
            for (String end : List.of(e.source(), e.target())) {
                if (!nodes.containsKey(end)) {
                    throw new IllegalArgumentException("edge " + i + " (" + e + ") names '" + end
                            + "', which is not a node of the graph (nodes: " + nodes.keySet() + ")");
                }
            }
            if (!seen.add(e)) {
                throw new IllegalArgumentException("edge " + e + " is listed twice");
            }
        }
        metadata.forEach((k, v) -> {
            if (!(v instanceof String || v instanceof Double || v instanceof Long)) {
                throw new IllegalArgumentException("metadata '" + k + "' must be a String, Double or Long, got "
                        + (v == null ? "null" : v.getClass().getSimpleName()));
            }
        });
    }

    /**
     * The names of the nodes that send to {@code name}, in edge order.
     *
     * @param name a node of the graph
     * @return its sources, one per incoming edge
     */
    public List<String> sources(String name) {
        return edges.stream().filter(e -> e.target().equals(name)).map(Edge::source).toList();
    }

    /**
     * The names of the nodes that {@code name} sends to, in edge order.
     *
     * @param name a node of the graph
     * @return its targets, one per outgoing edge
     */
    public List<String> targets(String name) {
        return edges.stream().filter(e -> e.source().equals(name)).map(Edge::target).toList();
    }

    /**
     * The names of the nodes of one type.
     *
     * @param type a node type, e.g. {@code NirNode.Input.class}
     * @return their names, in node order
     */
    public List<String> namesOf(Class<? extends NirNode> type) {
        return nodes.entrySet().stream().filter(e -> type.isInstance(e.getValue())).map(Map.Entry::getKey).toList();
    }

    /**
     * The one node of a type, for graphs that must have exactly one (their {@code Input} and {@code Output}).
     *
     * @param <T>  the node type
     * @param type the node type
     * @return the node
     * @throws IllegalArgumentException when the graph has none or several, naming them
     */
    public <T extends NirNode> T only(Class<T> type) {
        List<String> names = namesOf(type);
        if (names.size() != 1) {
            throw new IllegalArgumentException("the graph has " + (names.isEmpty() ? "no" : names.size() + "")
                    + " " + type.getSimpleName() + " node" + (names.size() == 1 ? "" : "s")
                    + (names.isEmpty() ? "" : " (" + String.join(", ", names) + ")") + "; expected exactly one");
        }
        return type.cast(nodes.get(names.get(0)));
    }

    /**
     * A metadata string.
     *
     * @param key the metadata name
     * @return its value, if the graph has a string under that name
     */
    public Optional<String> metadataString(String key) {
        return metadata.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /**
     * A metadata number.
     *
     * @param key the metadata name
     * @return its value, if the graph has a number under that name
     */
    public Optional<Double> metadataNumber(String key) {
        Object v = metadata.get(key);
        return v instanceof Double d ? Optional.of(d)
                : v instanceof Long l ? Optional.of(l.doubleValue()) : Optional.empty();
    }
}
