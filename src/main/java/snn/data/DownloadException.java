package snn.data;

import snn.cli.UserError;

/**
 * A download that failed: unreachable server, HTTP error, interrupted transfer, checksum mismatch or a corrupt
 * archive. Nothing has been installed when it is thrown; the message says what happened and what to do.
 */
public final class DownloadException extends RuntimeException implements UserError {
    private static final long serialVersionUID = 1L;

    public DownloadException(String message) {
        super(message);
    }

    public DownloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
