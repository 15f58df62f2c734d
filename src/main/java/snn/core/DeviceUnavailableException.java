package snn.core;

/** A device was requested that this process cannot use. */
public final class DeviceUnavailableException extends SnnException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which device was asked for, why it is unavailable and what to do instead
     */
    public DeviceUnavailableException(String message) {
        super(message);
    }
}
