package snn.config;

/**
 * Where and how LibTorch runs.
 *
 * @param device       {@code cpu} (default) or {@code cuda}
 * @param torchThreads libtorch intra-op threads (default: the measured best, all cores)
 * @param blasThreads  OpenBLAS threads (default: the measured best, 1)
 * @param flushDenormals whether the threads that run LibTorch's operations flush denormal floats to zero (FTZ and
 *                     DAZ; default {@value #FLUSH_DENORMALS_DEFAULT}, null keeps the default): see
 *                     {@link #flushesDenormals()}
 */
public record RuntimeConfig(String device, Integer torchThreads, Integer blasThreads, Boolean flushDenormals) {

    /**
     * Whether LibTorch's threads flush denormals unless the config says otherwise: no, since flushing showed no change
     * in the speed of the LibTorch-ops training steps measured (docs/benchmarks.md, "Denormals on the LibTorch path").
     */
    public static final boolean FLUSH_DENORMALS_DEFAULT = false;

    /** CPU with the measured default threads. */
    public static final RuntimeConfig DEFAULT = builder().build();

    /** Fills in the default device; null thread counts keep the measured defaults. */
    public RuntimeConfig {
        device = device != null ? device : "cpu";
    }

    /**
     * {@return whether the threads that run LibTorch's operations flush denormal floats (magnitudes below 2^-126)
     * to zero: {@code flush_denormals}, or {@value #FLUSH_DENORMALS_DEFAULT} when it is not set} The native kernels
     * flush them inside their own calls either way.
     */
    public boolean flushesDenormals() {
        return flushDenormals != null ? flushDenormals : FLUSH_DENORMALS_DEFAULT;
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
        private Boolean flushDenormals;

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
         * Sets whether the threads running LibTorch's operations flush denormal floats to zero (default
         * {@value RuntimeConfig#FLUSH_DENORMALS_DEFAULT}).
         *
         * @param flushDenormals true for FTZ and DAZ on those threads, false for IEEE 754 gradual underflow
         * @return this builder
         */
        public Builder flushDenormals(boolean flushDenormals) {
            this.flushDenormals = flushDenormals;
            return this;
        }

        /**
         * The config. It is not validated here: {@link ExperimentConfig.Builder#build()} checks it.
         *
         * @return the runtime settings, every unset setting at its default
         */
        public RuntimeConfig build() {
            return new RuntimeConfig(device, torchThreads, blasThreads, flushDenormals);
        }
    }
}
