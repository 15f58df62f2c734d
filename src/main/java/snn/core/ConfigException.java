package snn.core;

import java.util.List;

/** A config that cannot be used; the message names the file, each JSON path at fault and what was expected. */
public final class ConfigException extends SnnException {
    private static final long serialVersionUID = 1L;

    /** Every problem, in the order found. */
    private final List<ConfigError> errors;

    /**
     * Creates the exception; its message lists every error.
     *
     * @param source where the config came from (a file name, or e.g. "(built in code)"), named first in the message
     * @param errors every problem found, at least one
     */
    public ConfigException(String source, List<ConfigError> errors) {
        super(format(source, errors));
        this.errors = List.copyOf(errors);
    }

    /**
     * One problem: where ({@code model.d}), what is wrong, and which {@code --set} override put the value there.
     *
     * @param path    the JSON path at fault, e.g. {@code model.hidden[0]}, or a marker such as {@code (file)},
     *                {@code (syntax)} or {@code (root)}
     * @param message what is wrong and what was expected
     * @param origin  the override that set the value, e.g. {@code --set model.d=200}, or {@code null} when the value
     *                comes from the file (or is a default)
     */
    public record ConfigError(String path, String message, String origin) {

        /**
         * A problem with a value from the file itself.
         *
         * @param path    the JSON path at fault
         * @param message what is wrong and what was expected
         */
        public ConfigError(String path, String message) {
            this(path, message, null);
        }

        /**
         * This problem attributed to an override.
         *
         * @param override the override's text, e.g. {@code --set model.d=200}
         * @return a copy with {@code origin} set
         */
        public ConfigError from(String override) {
            return new ConfigError(path, message, override);
        }

        @Override
        public String toString() {
            return origin == null ? path + ": " + message : path + " (" + origin + "): " + message;
        }
    }

    /** {@return every problem, in the order found} */
    public List<ConfigError> errors() {
        return errors;
    }

    /**
     * The header names where the problems come from: the file, its {@code --set} overrides, or both. A file that is
     * fine is not blamed for a bad override.
     */
    private static String format(String source, List<ConfigError> errors) {
        long fromOverrides = errors.stream().filter(e -> e.origin() != null).count();
        String where = fromOverrides == 0 ? "invalid config " + source
                : fromOverrides == errors.size() ? "invalid --set override" + (fromOverrides == 1 ? "" : "s") + " of "
                        + source
                : "invalid config " + source + " and --set overrides";
        StringBuilder sb = new StringBuilder(where).append(" (")
                .append(errors.size()).append(errors.size() == 1 ? " error)" : " errors)");
        for (ConfigError e : errors) {
            sb.append("\n  ").append(e);
        }
        return sb.toString();
    }
}
