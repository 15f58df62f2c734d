package snn.config;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.core.ConfigException.ConfigError;

/**
 * Checks a JSON config tree against the record type it binds to, before binding, so that every unknown key and every
 * value of the wrong type is found in one pass (a binder stops at the first). Each problem is removed from the tree
 * (the key dropped, so the record's default applies) so that the rest can still be bound and validated: the caller
 * then reports the problems found here together with the validator's.
 *
 * <p>JSON keys are the record components' names in snake_case; {@code null} leaves a setting at its default. Checked
 * types: whole numbers ({@code Integer}, {@code Long}), numbers ({@code Double}), {@code Boolean}, {@code String},
 * {@code Path} (a string), enums (their {@link JsonProperty} names), lists of these, and nested records.
 */
final class ConfigSchema {

    private static final PropertyNamingStrategies.NamingBase SNAKE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    private final List<ConfigError> errors = new ArrayList<>();

    private ConfigSchema() {
    }

    /**
     * Checks {@code tree} against {@code type}, removing each offending key from it.
     *
     * @param tree the config as JSON, modified in place
     * @param type the record class it binds to
     * @return every unknown key and wrongly typed value, with its JSON path, in document order
     */
    static List<ConfigError> check(ObjectNode tree, Class<?> type) {
        ConfigSchema schema = new ConfigSchema();
        schema.object(tree, type, "");
        return List.copyOf(schema.errors);
    }

    private void object(ObjectNode node, Class<?> type, String path) {
        Map<String, Type> components = components(type);
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        List<String> drop = new ArrayList<>();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String at = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
            Type expected = components.get(field.getKey());
            if (expected == null) {
                errors.add(new ConfigError(at, "unknown key '" + field.getKey() + "'; expected one of: "
                        + components.keySet().stream().sorted().collect(Collectors.joining(", "))));
                drop.add(field.getKey());
            } else if (!value(field.getValue(), expected, at)) {
                drop.add(field.getKey());
            }
        }
        drop.forEach(node::remove);
    }

    /** Checks one value; false when it is unusable (and so to be dropped). */
    private boolean value(JsonNode v, Type type, String path) {
        if (v.isNull()) {
            return true;
        }
        if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
            if (!(v instanceof ArrayNode array)) {
                return wrong(path, "a JSON list, e.g. [8, 16]", v);
            }
            boolean ok = true;
            for (int i = 0; i < array.size(); i++) {
                ok &= value(array.get(i), p.getActualTypeArguments()[0], path + "[" + i + "]");
            }
            return ok;
        }
        if (!(type instanceof Class<?> c)) {
            return true; // not a type configs use: left to the binder
        }
        if (c.isRecord()) {
            if (!(v instanceof ObjectNode o)) {
                return wrong(path, "a JSON object", v);
            }
            object(o, c, path);
            return true;
        }
        if (c.isEnum()) {
            List<String> names = enumNames(c);
            return v.isTextual() && names.contains(v.asText()) || wrong(path, "one of "
                    + names.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", ")), v);
        }
        if (c == Integer.class || c == int.class) {
            return v.isIntegralNumber() && v.canConvertToInt() || wrong(path, "a whole number", v);
        }
        if (c == Long.class || c == long.class) {
            return v.isIntegralNumber() && v.canConvertToLong() || wrong(path, "a whole number", v);
        }
        if (c == Double.class || c == double.class) {
            return v.isNumber() || wrong(path, "a number", v);
        }
        if (c == Boolean.class || c == boolean.class) {
            return v.isBoolean() || wrong(path, "true or false", v);
        }
        if (c == String.class || c == Path.class) {
            return v.isTextual() || wrong(path, "a string", v);
        }
        return true;
    }

    private boolean wrong(String path, String expected, JsonNode got) {
        errors.add(new ConfigError(path, "expected " + expected + ", got " + got));
        return false;
    }

    /** The JSON keys of a record's components, with their declared types, in declaration order. */
    private static Map<String, Type> components(Class<?> type) {
        Map<String, Type> out = new LinkedHashMap<>();
        RecordComponent[] rc = type.getRecordComponents();
        if (rc == null) {
            return out;
        }
        for (RecordComponent c : rc) {
            out.put(SNAKE.translate(c.getName()), c.getGenericType());
        }
        return out;
    }

    /** An enum's JSON names: each constant's {@link JsonProperty} value, else its lower-case name. */
    static List<String> enumNames(Class<?> type) {
        return Arrays.stream(type.getEnumConstants()).map(e -> {
            try {
                JsonProperty p = type.getField(((Enum<?>) e).name()).getAnnotation(JsonProperty.class);
                return p != null ? p.value() : ((Enum<?>) e).name().toLowerCase(Locale.ROOT);
            } catch (NoSuchFieldException ex) {
                throw new IllegalStateException(ex);
            }
        }).toList();
    }
}
