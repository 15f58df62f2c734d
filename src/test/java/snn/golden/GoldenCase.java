package snn.golden;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import snn.runtime.Tensors;

/** One golden case file (format: src/test/resources/golden/README.md). */
record GoldenCase(Path file, JsonNode root) {

    static GoldenCase read(Path file) throws IOException {
        return new GoldenCase(file, new ObjectMapper().readTree(file.toFile()));
    }

    String level() {
        return text("level");
    }

    JsonNode spec() {
        return required("spec");
    }

    String text(String field) {
        return required(field).asText();
    }

    JsonNode required(String field) {
        JsonNode n = root.get(field);
        if (n == null) {
            throw new IllegalStateException(file + ": missing field '" + field + "'");
        }
        return n;
    }

    /** A stored tensor {@code {"shape": [...], "data": [...]}} as float32. */
    static Tensor tensor(JsonNode node) {
        JsonNode shapeNode = node.get("shape");
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
        }
        JsonNode data = node.get("data");
        float[] values = new float[data.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) data.get(i).asDouble();
        }
        return Tensors.fromArray(values, shape);
    }

    Tensor tensor(String... path) {
        JsonNode n = root;
        for (String p : path) {
            n = n.get(p);
            if (n == null) {
                throw new IllegalStateException(file + ": missing " + String.join(".", path));
            }
        }
        return tensor(n);
    }

    Map<String, Tensor> tensors(String field) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        required(field).fields().forEachRemaining(e -> out.put(e.getKey(), tensor(e.getValue())));
        return out;
    }
}
