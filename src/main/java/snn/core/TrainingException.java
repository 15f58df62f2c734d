package snn.core;

/** Training stopped: a non-finite loss or an unusable run folder. The message says where and what to do. */
public final class TrainingException extends SnnException {
    private static final long serialVersionUID = 1L;

    /**
     * A failure without an underlying exception.
     *
     * @param message where training stopped and what to do
     */
    public TrainingException(String message) {
        super(message);
    }

    /**
     * A failure with a low-level cause, kept for debugging.
     *
     * @param message what failed and what to do
     * @param cause   the exception that caused it
     */
    public TrainingException(String message, Throwable cause) {
        super(message, cause);
    }
}
