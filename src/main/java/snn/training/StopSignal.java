package snn.training;

/**
 * A request to stop a training run early, from outside it: the command line sets it when the process gets SIGINT
 * (Ctrl-C) or SIGTERM. The run checks it after every batch and before every epoch; when it is set, the run abandons
 * the epoch under way (its last completed epoch is saved) and ends with a {@link snn.core.TrainingStoppedException}
 * saying where it stopped and how to resume. Safe to set from any thread.
 */
public final class StopSignal {

    private volatile String signal;
    private volatile int exitStatus;

    /** A signal nothing has set yet. */
    public StopSignal() {
    }

    /**
     * Asks the run to stop; later requests are ignored.
     *
     * @param signal     what asked, for the message, e.g. {@code "SIGINT (Ctrl-C)"}
     * @param exitStatus the process's exit status for it (128 + the signal's number, as shells report it)
     */
    public synchronized void request(String signal, int exitStatus) {
        if (this.signal == null) {
            this.exitStatus = exitStatus;
            this.signal = signal;
        }
    }

    /** {@return whether a stop was requested} */
    public boolean requested() {
        return signal != null;
    }

    /** {@return what asked to stop, or null} */
    public String signal() {
        return signal;
    }

    /** {@return the exit status for the request, or 0 when none was made} */
    public int exitStatus() {
        return exitStatus;
    }
}
