package snn.config;

import java.util.List;

import snn.cli.UserError;

/** A config that cannot be used; the message names the file, each JSON path at fault and what was expected. */
public final class ConfigException extends IllegalArgumentException implements UserError {
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
     * One problem: where ({@code model.d}) and what is wrong.
     *
     * @param path the JSON path at fault, e.g. {@code model.hidden[0]}, or a marker such as {@code (file)},
     *             {@code (syntax)}, {@code (root)} or {@code --set key}
     * @param message what is wrong and what was expected
     */
    public record ConfigError(String path, String message) {
        @Override
        public String toString() {
            return path + ": " + message;
        }
    }

    /** {@return every problem, in the order found} */
    public List<ConfigError> errors() {
        return errors;
    }

    private static String format(String source, List<ConfigError> errors) {
        StringBuilder sb = new StringBuilder("invalid config ").append(source).append(" (")
                .append(errors.size()).append(errors.size() == 1 ? " error)" : " errors)");
        for (ConfigError e : errors) {
            sb.append("\n  ").append(e);
        }
        return sb.toString();
    }
}
