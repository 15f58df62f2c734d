package snn.runtime;

/** Where tensors live. Only {@link #CPU} is exercised on the project's machines; CUDA is accepted and checked. */
public enum Device {
    CPU, CUDA;

    /** Parses {@code cpu} or {@code cuda} (case-insensitive). */
    public static Device parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "cpu" -> CPU;
            case "cuda", "gpu" -> CUDA;
            default -> throw new IllegalArgumentException("unknown device '" + name + "', expected cpu or cuda");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
