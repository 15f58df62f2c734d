package snn.core;

/**
 * Training stopped because it was asked to (Ctrl-C, SIGTERM): the message says where it stopped, what is saved and
 * the command that continues the run. The process exits with {@link #exitStatus()}.
 */
public final class TrainingStoppedException extends SnnException {

    private static final long serialVersionUID = 1L;

    /** The process's exit status for this stop. */
    private final int exitStatus;

    /**
     * A stop.
     *
     * @param message    where training stopped and how to resume
     * @param exitStatus the exit status for it (130 for SIGINT, 143 for SIGTERM)
     */
    public TrainingStoppedException(String message, int exitStatus) {
        super(message);
        this.exitStatus = exitStatus;
    }

    /** {@return the process's exit status for this stop} */
    public int exitStatus() {
        return exitStatus;
    }
}
