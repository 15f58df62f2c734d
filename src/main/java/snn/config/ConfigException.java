package snn.config;

import java.util.List;

import snn.cli.UserError;

/** A config that cannot be used; the message names the file, each JSON path at fault and what was expected. */
public final class ConfigException extends IllegalArgumentException implements UserError {
    private static final long serialVersionUID = 1L;

    private final List<ConfigError> errors;

    public ConfigException(String source, List<ConfigError> errors) {
        super(format(source, errors));
        this.errors = List.copyOf(errors);
    }

    /** One problem: where ({@code model.d}) and what is wrong. */
    public record ConfigError(String path, String message) {
        @Override
        public String toString() {
            return path + ": " + message;
        }
    }

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
