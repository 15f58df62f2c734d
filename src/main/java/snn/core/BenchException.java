package snn.core;

/** A benchmark that cannot run as configured on this machine; the CLI prints the message alone. */
public final class BenchException extends SnnException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what cannot run and what to do
     */
    public BenchException(String message) {
        super(message);
    }
}
