package snn.runtime;

/** Where tensors live. Only {@link #CPU} is exercised on the project's machines; CUDA is accepted and checked. */
public enum Device {
    /** The CPU, LibTorch's default. */
    CPU,
    /** The default CUDA GPU; needs a CUDA build of LibTorch and a driver. */
    CUDA;

    /**
     * Parses a device name (case-insensitive).
     *
     * @param name {@code cpu} or {@code cuda} ({@code gpu} is accepted for {@code cuda})
     * @return the device
     * @throws IllegalArgumentException for any other name
     */
    public static Device parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "cpu" -> CPU;
            case "cuda", "gpu" -> CUDA;
            default -> throw new IllegalArgumentException("unknown device '" + name + "', expected cpu or cuda");
        };
    }

    /** {@return the lower-case name, as in configs: {@code cpu} or {@code cuda}} */
    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
