package snn.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.core.ConfigException.ConfigError;
import snn.core.ConfigException;
import snn.neurons.DBlockLayer.RecurrentInput;
import snn.neurons.LifLayer.Reset;

/**
 * Reads JSON configs (experiments, benchmarks): snake_case keys, {@code --set path=value} overrides, strict binding
 * to records (unknown keys and wrongly typed values are errors naming their JSON path) and validation.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /** The JSON names of {@link RecurrentInput}, the layer's own enum (the neuron layers know nothing of JSON). */
    private enum RecurrentInputNames {
        @JsonProperty("max") MAX,
        @JsonProperty("sum") SUM
    }

    /** The JSON names of {@link Reset}, the LIF layer's own enum. */
    private enum ResetNames {
        @JsonProperty("subtract") SUBTRACT,
        @JsonProperty("zero") ZERO
    }

    /** {@return a new JSON mapper for configs and result files: snake_case, strict, pretty-printed} */
    public static ObjectMapper mapper() {
        return new ObjectMapper()
                .addMixIn(RecurrentInput.class, RecurrentInputNames.class)
                .addMixIn(Reset.class, ResetNames.class)
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(SerializationFeature.INDENT_OUTPUT);
    }

    /**
     * Every leaf that differs between two JSON trees (two configs, or any two JSON documents of the same shape).
     *
     * @param was the first tree
     * @param now the second tree
     * @return by dotted path ({@code training.epochs}), in path order: {@code "old -> new"}, where a value missing on
     *         one side is {@code (absent)}; empty when the trees are equal
     */
    public static Map<String, String> differences(JsonNode was, JsonNode now) {
        Map<String, String> out = new TreeMap<>();
        differences("", was, now, out);
        return out;
    }

    private static void differences(String path, JsonNode was, JsonNode now, Map<String, String> out) {
        if (was != null && now != null && was.isObject() && now.isObject()) {
            Set<String> names = new TreeSet<>();
            was.fieldNames().forEachRemaining(names::add);
            now.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                differences(path.isEmpty() ? name : path + "." + name, was.get(name), now.get(name), out);
            }
        } else if (!Objects.equals(was, now)) {
            out.put(path, (was == null ? "(absent)" : was.toString()) + " -> " + (now == null ? "(absent)"
                    : now.toString()));
        }
    }

    /**
     * Loads and validates an experiment config, with {@code overrides} applied first.
     *
     * @param file      the JSON file
     * @param overrides {@code key=value} settings applied before binding, as for
     *                  {@link #load(Path, List, Class, Function)}; empty for none
     * @return the validated config
     * @throws ConfigException naming the file, the key and what was expected
     */
    public static ExperimentConfig load(Path file, List<String> overrides) {
        return load(file, overrides, ExperimentConfig.class, ConfigValidator::problems);
    }

    /**
     * As {@link #load(Path, List)}, from JSON text.
     *
     * @param json      the config as JSON text
     * @param overrides {@code key=value} settings applied before binding; empty for none
     * @param source    what to call the text in messages, e.g. a file name
     * @return the validated config
     * @throws ConfigException naming {@code source}, each JSON path at fault and what was expected
     */
    public static ExperimentConfig parse(String json, List<String> overrides, String source) {
        return parse(json, overrides, source, ExperimentConfig.class, ConfigValidator::problems);
    }

    /**
     * Loads {@code file} as a {@code type} record: overrides ({@code "training.epochs=3"}; values are parsed as JSON
     * when they are valid JSON, else taken as strings; a key segment may be a list index or {@code *} for every
     * element) are applied to the JSON, which is then bound strictly and checked by {@code validator}.
     *
     * @param <T>       the config record type
     * @param file      the JSON file
     * @param overrides {@code key=value} settings; empty for none
     * @param type      the record class to bind to; JSON keys are its components' names in snake_case
     * @param validator the config's problems, empty when it is valid
     * @return the bound and validated config
     * @throws ConfigException naming the file, each JSON path at fault and what was expected
     */
    public static <T> T load(Path file, List<String> overrides, Class<T> type,
            Function<T, List<ConfigError>> validator) {
        String source = file.toString();
        try {
            return parse(Files.readString(file), overrides, source, type, validator);
        } catch (NoSuchFileException e) {
            throw new ConfigException(source, List.of(new ConfigError("(file)", "no such file")));
        } catch (IOException e) {
            throw new ConfigException(source, List.of(new ConfigError("(file)", "cannot read: " + e.getMessage())));
        }
    }

    /**
     * As {@link #load(Path, List, Class, Function)}, from JSON text.
     *
     * @param <T>       the config record type
     * @param json      the config as JSON text
     * @param overrides {@code key=value} settings; empty for none
     * @param source    what to call the text in messages, e.g. a file name
     * @param type      the record class to bind to
     * @param validator the config's problems, empty when it is valid
     * @return the bound and validated config
     * @throws ConfigException naming {@code source}, each JSON path at fault and what was expected
     */
    public static <T> T parse(String json, List<String> overrides, String source, Class<T> type,
            Function<T, List<ConfigError>> validator) {
        JsonNode tree;
        try {
            tree = mapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source, List.of(new ConfigError("(syntax)", "not valid JSON at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ": "
                    + e.getOriginalMessage())));
        }
        if (tree == null || !tree.isObject()) {
            throw new ConfigException(source, List.of(new ConfigError("(root)", "expected a JSON object")));
        }
        List<ConfigError> errors = new ArrayList<>();
        Map<String, String> origins = new LinkedHashMap<>();
        for (String o : overrides) {
            applyOverride((ObjectNode) tree, o, errors, origins);
        }
        errors.addAll(ConfigSchema.check((ObjectNode) tree, type));
        T config;
        try {
            config = bind(tree, type, source);
        } catch (ConfigException e) {
            errors.addAll(e.errors());
            throw new ConfigException(source, attribute(errors, origins));
        }
        Set<String> found = errors.stream().map(ConfigError::path).collect(Collectors.toSet());
        validator.apply(config).stream().filter(p -> !found.contains(p.path())).forEach(errors::add);
        if (!errors.isEmpty()) {
            throw new ConfigException(source, attribute(errors, origins));
        }
        return config;
    }

    /** Names the override behind each error whose path an override set (the path itself or a parent of it). */
    private static List<ConfigError> attribute(List<ConfigError> errors, Map<String, String> origins) {
        List<ConfigError> out = new ArrayList<>(errors.size());
        for (ConfigError e : errors) {
            String origin = e.origin();
            for (Map.Entry<String, String> o : origins.entrySet()) {
                String p = o.getKey();
                if (origin == null && (e.path().equals(p) || e.path().startsWith(p + ".")
                        || e.path().startsWith(p + "["))) {
                    origin = o.getValue();
                }
            }
            out.add(origin == null ? e : e.from(origin));
        }
        return out;
    }

    private static <T> T bind(JsonNode tree, Class<T> type, String source) {
        try {
            return mapper().treeToValue(tree, type);
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", "));
            throw new ConfigException(source, List.of(new ConfigError(path(e), "unknown key '" + e.getPropertyName()
                    + "'; expected one of: " + known)));
        } catch (InvalidFormatException e) {
            throw new ConfigException(source, List.of(new ConfigError(path(e), "cannot use " + e.getValue()
                    + ": expected " + describe(e.getTargetType()))));
        } catch (MismatchedInputException e) {
            Class<?> target = e.getTargetType();
            String expected = target == null ? e.getOriginalMessage()
                    : List.class.isAssignableFrom(target) ? "a JSON list, e.g. [8, 16]" : describe(target);
            throw new ConfigException(source, List.of(new ConfigError(path(e), "expected " + expected)));
        } catch (JsonMappingException e) {
            throw new ConfigException(source, List.of(new ConfigError(path(e), e.getOriginalMessage())));
        } catch (JsonProcessingException e) {
            throw new ConfigException(source, List.of(new ConfigError("(root)", e.getOriginalMessage())));
        }
    }

    private static String describe(Class<?> type) {
        if (type.isEnum()) {
            return "one of " + Arrays.stream(type.getEnumConstants())
                    .map(c -> "\"" + c.toString().toLowerCase(Locale.ROOT) + "\"").collect(Collectors.joining(", "));
        }
        return switch (type.getSimpleName()) {
            case "Integer", "int", "Long", "long" -> "a whole number";
            case "Double", "double" -> "a number";
            case "Boolean", "boolean" -> "true or false";
            case "String" -> "a string";
            default -> "a " + type.getSimpleName();
        };
    }

    /** JSON path of a binding error: {@code model.hidden[0]}. */
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

    /**
     * Applies {@code a.b=value}; a key segment may be a list index or {@code *} (every element). Records in
     * {@code origins} the JSON path of every value set (e.g. {@code sweeps[0].kernels}) with the override's text.
     */
    private static void applyOverride(ObjectNode root, String override, List<ConfigError> errors,
            Map<String, String> origins) {
        String origin = "--set " + override;
        int eq = override.indexOf('=');
        if (eq <= 0) {
            errors.add(new ConfigError("(override)", "expected key=value, e.g. training.epochs=3", origin));
            return;
        }
        String key = override.substring(0, eq);
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
        set(root, key.split("\\."), 0, value, "", origin, errors, origins);
    }

    private static void set(JsonNode node, String[] keys, int i, JsonNode value, String at, String origin,
            List<ConfigError> errors, Map<String, String> origins) {
        String k = keys[i];
        boolean last = i == keys.length - 1;
        if (node instanceof ArrayNode array) {
            List<Integer> indices = new ArrayList<>();
            if (k.equals("*")) {
                for (int j = 0; j < array.size(); j++) {
                    indices.add(j);
                }
            } else if (k.matches("\\d+") && Integer.parseInt(k) < array.size()) {
                indices.add(Integer.parseInt(k));
            } else {
                errors.add(new ConfigError(at, "'" + k + "' is not an index of a list of " + array.size()
                        + " (use 0.." + (array.size() - 1) + " or *)", origin));
                return;
            }
            for (int j : indices) {
                String element = at + "[" + j + "]";
                if (last) {
                    array.set(j, value);
                    origins.put(element, origin);
                } else {
                    set(array.get(j), keys, i + 1, value, element, origin, errors, origins);
                }
            }
            return;
        }
        if (!(node instanceof ObjectNode object)) {
            errors.add(new ConfigError(at, "'" + keys[i - 1] + "' is not an object or a list", origin));
            return;
        }
        String child = at.isEmpty() ? k : at + "." + k;
        if (last) {
            object.set(k, value);
            origins.put(child, origin);
            return;
        }
        JsonNode next = object.get(k);
        if (next == null || next.isNull()) {
            next = object.putObject(k);
        }
        set(next, keys, i + 1, value, child, origin, errors, origins);
    }
}
