package snn.core;

/**
 * The failures a user can act on: a bad config, missing or corrupt data, an unusable file or run folder, a device
 * that is not there. Every such failure of the library is one of these types, and its message says what is wrong and
 * what to do, naming the file, field or value. The command line prints the message alone and maps the type to an
 * exit status; any other exception is a bug and is reported with its stack trace.
 *
 * <p>The hierarchy is sealed, so a {@code switch} over it is checked for completeness: adding a kind of failure
 * makes every such switch (the command line's exit codes among them) decide what it means.
 */
public abstract sealed class SnnException extends RuntimeException permits ConfigException, DatasetException,
        DownloadException, InteropException, TrainingException, BenchException, DeviceUnavailableException,
        DistributedException, TrainingStoppedException {

    private static final long serialVersionUID = 1L;

    /**
     * A failure without an underlying exception.
     *
     * @param message what is wrong and what to do
     */
    protected SnnException(String message) {
        super(message);
    }

    /**
     * A failure with a low-level cause, kept for debugging.
     *
     * @param message what is wrong and what to do
     * @param cause   the exception that caused it
     */
    protected SnnException(String message, Throwable cause) {
        super(message, cause);
    }
}
