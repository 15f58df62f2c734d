package snn.config;

/**
 * Where and how LibTorch runs.
 *
 * @param device       {@code cpu} (default) or {@code cuda}
 * @param torchThreads libtorch intra-op threads (default: the measured best, all cores)
 * @param blasThreads  OpenBLAS threads (default: the measured best, 1)
 */
public record RuntimeConfig(String device, Integer torchThreads, Integer blasThreads) {

    /** CPU with the measured default threads. */
    public static final RuntimeConfig DEFAULT = new RuntimeConfig(null, null, null);

    /** Fills in the default device; null thread counts keep the measured defaults. */
    public RuntimeConfig {
        device = device != null ? device : "cpu";
    }
}
