package snn.core;

/**
 * A download that failed: unreachable server, HTTP error, interrupted transfer, checksum mismatch or a corrupt
 * archive. Nothing has been installed when it is thrown; the message says what happened and what to do.
 */
public final class DownloadException extends SnnException {
    private static final long serialVersionUID = 1L;

    /**
     * A failure without an underlying exception (e.g. a checksum mismatch).
     *
     * @param message what happened and what to do
     */
    public DownloadException(String message) {
        super(message);
    }

    /**
     * A failure with a low-level cause, kept for debugging.
     *
     * @param message what happened and what to do
     * @param cause   the exception that caused the failure
     */
    public DownloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
