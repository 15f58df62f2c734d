package snn.core;

/**
 * A file that cannot be read or written as asked: the message names the file, the problem and, where there is
 * one, the fix (for example how to re-save a Python checkpoint).
 */
public final class InteropException extends SnnException {
    private static final long serialVersionUID = 1L;

    /**
     * A failure without an underlying exception.
     *
     * @param message the problem, naming the file
     */
    public InteropException(String message) {
        super(message);
    }

    /**
     * A failure with a low-level cause, kept for debugging.
     *
     * @param message the problem, naming the file
     * @param cause   the exception that revealed it
     */
    public InteropException(String message, Throwable cause) {
        super(message, cause);
    }
}
