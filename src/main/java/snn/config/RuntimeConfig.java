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
    public static final RuntimeConfig DEFAULT = builder().build();

    /** Fills in the default device; null thread counts keep the measured defaults. */
    public RuntimeConfig {
        device = device != null ? device : "cpu";
    }

    /** {@return a builder starting from the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link RuntimeConfig}; settings not given keep the defaults documented on the record. */
    public static final class Builder {
        private String device;
        private Integer torchThreads;
        private Integer blasThreads;

        private Builder() {
        }

        /**
         * Sets the device (default {@code cpu}).
         *
         * @param device {@code cpu} or {@code cuda}
         * @return this builder
         */
        public Builder device(String device) {
            this.device = device;
            return this;
        }

        /**
         * Sets the thread pools (defaults: the measured best, see {@code ThreadSettings.defaults()}).
         *
         * @param torchThreads libtorch intra-op threads, at least 1
         * @param blasThreads  OpenBLAS threads, at least 1
         * @return this builder
         */
        public Builder threads(int torchThreads, int blasThreads) {
            this.torchThreads = torchThreads;
            this.blasThreads = blasThreads;
            return this;
        }

        /**
         * The config. It is not validated here: {@link ExperimentConfig.Builder#build()} checks it.
         *
         * @return the runtime settings, every unset setting at its default
         */
        public RuntimeConfig build() {
            return new RuntimeConfig(device, torchThreads, blasThreads);
        }
    }
}
