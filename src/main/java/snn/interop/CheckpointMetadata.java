package snn.interop;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.ConfigException;
import snn.core.InteropException;

/**
 * What snn stores next to the tensors (the {@value Checkpoints#METADATA_KEY} entry): a JSON object
 * <pre>{"format": "snn", "format_version": 1, "layout": "snn", "inputs": 700, "classes": 20, "config": {...}}</pre>
 * with the run's config in the same snake_case form as a config file. NIR files ({@code snn.interop.nir}) carry
 * the same JSON in their graph metadata.
 *
 * @param layout  the parameter names the file uses
 * @param inputs  the network's input channels
 * @param classes the network's output classes
 * @param config  the run's config
 */
public record CheckpointMetadata(Layout layout, int inputs, int classes, ExperimentConfig config) {

    static final int FORMAT_VERSION = 1;

    private static final ObjectMapper JSON = ConfigLoader.mapper()
            .registerModule(new SimpleModule().addSerializer(Path.class, ToStringSerializer.instance))
            .disable(SerializationFeature.INDENT_OUTPUT);

    /** {@return the metadata as one line of JSON} */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", "snn");
        root.put("format_version", FORMAT_VERSION);
        root.put("layout", layout.name().toLowerCase(Locale.ROOT));
        root.put("inputs", inputs);
        root.put("classes", classes);
        root.set("config", JSON.valueToTree(config));
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the config: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Parses the metadata stored in {@code file}.
     *
     * @param json the stored JSON
     * @param file the file it comes from, for messages
     * @return the metadata, with the config validated
     * @throws InteropException when it is not snn metadata of a version this build reads
     * @throws ConfigException  when the stored config is not valid
     */
    public static CheckpointMetadata parse(String json, Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InteropException(file + ": the " + Checkpoints.METADATA_KEY + " entry is not valid JSON: "
                    + e.getOriginalMessage());
        }
        if (root == null || !root.isObject() || !"snn".equals(root.path("format").asText())) {
            throw new InteropException(file + ": the " + Checkpoints.METADATA_KEY + " entry is not snn metadata");
        }
        int version = root.path("format_version").asInt(-1);
        if (version != FORMAT_VERSION) {
            throw new InteropException(file + ": snn checkpoint format version " + version + "; this build reads"
                    + " version " + FORMAT_VERSION);
        }
        Layout layout;
        try {
            layout = Layout.valueOf(root.path("layout").asText("").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InteropException(file + ": unknown layout " + root.get("layout") + " in "
                    + Checkpoints.METADATA_KEY);
        }
        int inputs = root.path("inputs").asInt(0);
        int classes = root.path("classes").asInt(0);
        if (inputs < 1 || classes < 1 || !root.path("config").isObject()) {
            throw new InteropException(file + ": " + Checkpoints.METADATA_KEY
                    + " lacks 'inputs', 'classes' or 'config'");
        }
        ExperimentConfig config = ConfigLoader.parse(root.get("config").toString(), List.of(),
                file + " (stored config)");
        return new CheckpointMetadata(layout, inputs, classes, config);
    }
}
