package snn.training;

import snn.cli.UserError;

/** Training stopped: a non-finite loss or an unusable run folder. The message says where and what to do. */
public final class TrainingException extends RuntimeException implements UserError {
    private static final long serialVersionUID = 1L;

    public TrainingException(String message) {
        super(message);
    }

    public TrainingException(String message, Throwable cause) {
        super(message, cause);
    }
}
