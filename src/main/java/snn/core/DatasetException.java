package snn.core;

import java.nio.file.Path;

/**
 * A dataset file that cannot be used: truncated or corrupt, a wrong magic number or shape, a label out of range,
 * an empty sample. The message names the file and the problem; the CLI prints it alone (exit status 2).
 */
public sealed class DatasetException extends SnnException permits MissingDatasetException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * A problem with a file; the message reads "{@code file}: {@code problem}".
     *
     * @param file    the file (or folder) at fault
     * @param problem what is wrong with it
     */
    public DatasetException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /**
     * As {@link #DatasetException(Path, String)}, keeping the low-level cause for debugging.
     *
     * @param file    the file (or folder) at fault
     * @param problem what is wrong with it
     * @param cause   the exception that revealed the problem
     */
    public DatasetException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /**
     * For subclasses that compose the whole message themselves.
     *
     * @param message the whole message
     * @param file    the file (or folder) at fault
     */
    protected DatasetException(String message, Path file) {
        super(message);
        this.file = file;
    }

    /** {@return the file (or folder) at fault} */
    public Path file() {
        return file;
    }
}
