package snn.runtime;

/** A device was requested that this process cannot use. */
public final class DeviceUnavailableException extends RuntimeException implements snn.cli.UserError {
    private static final long serialVersionUID = 1L;

    public DeviceUnavailableException(String message) {
        super(message);
    }
}
