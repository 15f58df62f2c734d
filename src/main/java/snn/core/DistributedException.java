package snn.core;

/**
 * A distributed run cannot start or cannot go on: a variable of the launch contract is missing or malformed, the
 * store's port is in use or its host unreachable, the ranks were started differently, or a rank died or hung. The
 * message names the rank, the variable or the value, and what to do.
 */
public final class DistributedException extends SnnException {
    private static final long serialVersionUID = 1L;

    /**
     * A failure without an underlying exception.
     *
     * @param message what failed, naming the rank or variable, and what to do
     */
    public DistributedException(String message) {
        super(message);
    }

    /**
     * A failure with a low-level cause (typically c10d's own exception), kept for debugging.
     *
     * @param message what failed, naming the rank or variable, and what to do
     * @param cause   the exception that caused it
     */
    public DistributedException(String message, Throwable cause) {
        super(message, cause);
    }
}
