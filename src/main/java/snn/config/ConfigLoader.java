package snn.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.config.ConfigException.ConfigError;

/**
 * Reads experiment configs: JSON with snake_case keys, {@code --set path=value} overrides, strict binding (unknown
 * keys and wrongly typed values are errors) and {@link ConfigValidator validation}.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /** The JSON mapper for configs and result files: snake_case, strict, pretty-printed. */
    public static ObjectMapper mapper() {
        return new ObjectMapper()
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(SerializationFeature.INDENT_OUTPUT);
    }

    /**
     * Loads and validates {@code file} with {@code overrides} ({@code "training.epochs=3"}, values parsed as JSON
     * when they are valid JSON, else taken as strings) applied first.
     *
     * @throws ConfigException naming the file, the key and what was expected
     */
    public static ExperimentConfig load(Path file, List<String> overrides) {
        String source = file.toString();
        JsonNode tree;
        try {
            tree = mapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException(source, List.of(new ConfigError("(file)", "no such file")));
        } catch (JsonProcessingException e) {
            throw new ConfigException(source, List.of(new ConfigError("(syntax)",
                    "not valid JSON at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage())));
        } catch (IOException e) {
            throw new ConfigException(source, List.of(new ConfigError("(file)", "cannot read: " + e.getMessage())));
        }
        return fromTree(tree, overrides, source);
    }

    /** As {@link #load}, from JSON text. */
    public static ExperimentConfig parse(String json, List<String> overrides, String source) {
        try {
            return fromTree(mapper().readTree(json), overrides, source);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source, List.of(new ConfigError("(syntax)", e.getOriginalMessage())));
        }
    }

    private static ExperimentConfig fromTree(JsonNode tree, List<String> overrides, String source) {
        if (tree == null || !tree.isObject()) {
            throw new ConfigException(source, List.of(new ConfigError("(root)", "expected a JSON object")));
        }
        List<ConfigError> errors = new ArrayList<>();
        for (String o : overrides) {
            applyOverride((ObjectNode) tree, o, errors);
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(source, errors);
        }
        ExperimentConfig config;
        try {
            config = mapper().treeToValue(tree, ExperimentConfig.class);
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", "));
            throw new ConfigException(source, List.of(new ConfigError(path(e), "unknown key '" + e.getPropertyName()
                    + "'; expected one of: " + known)));
        } catch (InvalidFormatException e) {
            throw new ConfigException(source, List.of(new ConfigError(path(e), "cannot use " + e.getValue()
                    + ": expected " + expected(e.getTargetType()))));
        } catch (JsonMappingException e) {
            throw new ConfigException(source, List.of(new ConfigError(path(e), e.getOriginalMessage())));
        } catch (JsonProcessingException e) {
            throw new ConfigException(source, List.of(new ConfigError("(root)", e.getOriginalMessage())));
        }
        return ConfigValidator.check(config, source);
    }

    private static String expected(Class<?> type) {
        if (type.isEnum()) {
            return "one of " + java.util.Arrays.stream(type.getEnumConstants())
                    .map(c -> "\"" + c.toString().toLowerCase(java.util.Locale.ROOT) + "\"")
                    .collect(Collectors.joining(", "));
        }
        return switch (type.getSimpleName()) {
            case "Integer", "int" -> "a whole number";
            case "Long", "long" -> "a whole number";
            case "Double", "double" -> "a number";
            case "Boolean", "boolean" -> "true or false";
            default -> "a " + type.getSimpleName();
        };
    }

    /** JSON path of a mapping error: {@code model.hidden[0]}. */
    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? "(root)" : sb.toString();
    }

    private static void applyOverride(ObjectNode root, String override, List<ConfigError> errors) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            errors.add(new ConfigError("--set " + override, "expected key=value, e.g. training.epochs=3"));
            return;
        }
        String[] keys = override.substring(0, eq).split("\\.");
        String raw = override.substring(eq + 1);
        JsonNode value;
        try {
            value = mapper().readTree(raw);
            if (value == null || value.isMissingNode()) {
                value = root.textNode(raw);
            }
        } catch (JsonProcessingException e) {
            value = root.textNode(raw);
        }
        ObjectNode node = root;
        for (int i = 0; i < keys.length - 1; i++) {
            JsonNode child = node.get(keys[i]);
            if (child == null || child.isNull()) {
                child = node.putObject(keys[i]);
            } else if (!child.isObject()) {
                errors.add(new ConfigError(String.join(".", keys), "'" + keys[i] + "' is not an object"));
                return;
            }
            node = (ObjectNode) child;
        }
        node.set(keys[keys.length - 1], value);
    }
}
