package snn.config;

import java.nio.file.Path;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Which data to train on and how it becomes spike tensors.
 *
 * @param dataset            {@code synthetic} (built in, the default), {@code fashion-mnist}, {@code mnist},
 *                           {@code nmnist}, {@code shd} or {@code ssc}
 * @param root               folder holding the dataset's files (not used by {@code synthetic})
 * @param tLen               time steps per sample (default per dataset: 100 images, 300 N-MNIST, 500 SHD/SSC)
 * @param dtMs               bin width in ms for event datasets (default 1 N-MNIST, 2 SHD/SSC)
 * @param encoding           images only: {@code latency} (one spike at floor((1-x)(T-1)), default) or {@code ttfs}
 * @param augment            images only: the paper's training-time augmentation (default false)
 * @param validationFraction share of the training set held out for model selection; 0 (default) follows the
 *                           papers (no validation split; selection on training loss)
 * @param trainLimit         use only the first N training samples (quick runs); null for all
 * @param testLimit          use only the first N test samples; null for all
 * @param synthetic          parameters of the built-in synthetic task
 */
public record DataConfig(
        String dataset,
        Path root,
        Integer tLen,
        Double dtMs,
        Encoding encoding,
        Boolean augment,
        Double validationFraction,
        Integer trainLimit,
        Integer testLimit,
        SyntheticConfig synthetic) {

    /**
     * Fills in the defaults of settings left null; {@code tLen} and {@code dtMs} are the dataset's
     * ({@link KnownDataset#defaultTLen()}, {@link KnownDataset#defaultDtMs()}; the synthetic task's own length).
     */
    public DataConfig {
        dataset = dataset != null ? dataset : "synthetic";
        encoding = encoding != null ? encoding : Encoding.LATENCY;
        augment = augment != null ? augment : false;
        validationFraction = validationFraction != null ? validationFraction : 0.0;
        synthetic = synthetic != null ? synthetic : SyntheticConfig.DEFAULT;
        KnownDataset known = KnownDataset.find(dataset).orElse(KnownDataset.SYNTHETIC); // unknown: the validator says so
        if (tLen == null) {
            tLen = known == KnownDataset.SYNTHETIC ? synthetic.tLen() : known.defaultTLen();
        }
        if (dtMs == null) {
            dtMs = known.defaultDtMs();
        }
    }

    /**
     * The built-in synthetic task.
     *
     * @param synthetic the task's parameters; its {@code tLen} becomes the config's
     * @return a data config with every other setting at its default
     */
    public static DataConfig synthetic(SyntheticConfig synthetic) {
        return builder("synthetic").synthetic(synthetic).build();
    }

    /**
     * A published dataset in {@code root}, with the papers' time steps, bin width and encoding.
     *
     * @param dataset {@code fashion-mnist}, {@code mnist}, {@code nmnist}, {@code shd} or {@code ssc}
     * @param root    folder holding the dataset's files
     * @return a data config with every other setting at its default
     */
    public static DataConfig of(String dataset, Path root) {
        return builder(dataset).root(root).build();
    }

    /**
     * A builder for other settings than {@link #of}'s.
     *
     * @param dataset {@code synthetic}, {@code fashion-mnist}, {@code mnist}, {@code nmnist}, {@code shd} or
     *                {@code ssc}
     * @return a builder with every other setting at its default
     */
    public static Builder builder(String dataset) {
        return new Builder(dataset);
    }

    /**
     * This config with part of the training set held out for model selection.
     *
     * @param fraction share of the training set held out, in [0, 1)
     * @return a copy with {@code validationFraction} replaced
     */
    public DataConfig withValidationFraction(double fraction) {
        return toBuilder().validationFraction(fraction).build();
    }

    /**
     * This config using only the first samples of each split.
     *
     * @param train training samples to use; null for all
     * @param test  test samples to use; null for all
     * @return a copy with {@code trainLimit} and {@code testLimit} replaced
     */
    public DataConfig withLimits(Integer train, Integer test) {
        Builder b = toBuilder();
        b.trainLimit = train;
        b.testLimit = test;
        return b.build();
    }

    private Builder toBuilder() {
        Builder b = new Builder(dataset);
        b.root = root;
        b.tLen = tLen;
        b.dtMs = dtMs;
        b.encoding = encoding;
        b.augment = augment;
        b.validationFraction = validationFraction;
        b.trainLimit = trainLimit;
        b.testLimit = testLimit;
        b.synthetic = synthetic;
        return b;
    }

    /** Builds a {@link DataConfig}; settings not given keep the defaults documented on the record. */
    public static final class Builder {
        private final String dataset;
        private Path root;
        private Integer tLen;
        private Double dtMs;
        private Encoding encoding;
        private Boolean augment;
        private Double validationFraction;
        private Integer trainLimit;
        private Integer testLimit;
        private SyntheticConfig synthetic;

        private Builder(String dataset) {
            this.dataset = dataset;
        }

        /**
         * Sets the folder holding the dataset's files (required except for {@code synthetic}).
         *
         * @param root the folder
         * @return this builder
         */
        public Builder root(Path root) {
            this.root = root;
            return this;
        }

        /**
         * Sets the time steps per sample (default per dataset: 100 images, 300 N-MNIST, 500 SHD/SSC).
         *
         * @param tLen at least 1
         * @return this builder
         */
        public Builder tLen(int tLen) {
            this.tLen = tLen;
            return this;
        }

        /**
         * Sets the bin width of event datasets (default 1 ms N-MNIST, 2 ms SHD/SSC).
         *
         * @param dtMs milliseconds, positive
         * @return this builder
         */
        public Builder dtMs(double dtMs) {
            this.dtMs = dtMs;
            return this;
        }

        /**
         * Images only: sets the spike encoding (default latency).
         *
         * @param encoding {@link Encoding#LATENCY} or {@link Encoding#TTFS}
         * @return this builder
         */
        public Builder encoding(Encoding encoding) {
            this.encoding = encoding;
            return this;
        }

        /**
         * Images only: turns the papers' training-time augmentation on or off (default off).
         *
         * @param augment whether to augment training images
         * @return this builder
         */
        public Builder augment(boolean augment) {
            this.augment = augment;
            return this;
        }

        /**
         * Sets the share of the training set held out for model selection (default 0, the papers' protocol).
         *
         * @param fraction in [0, 1)
         * @return this builder
         */
        public Builder validationFraction(double fraction) {
            this.validationFraction = fraction;
            return this;
        }

        /**
         * Uses only the first samples of each split (quick runs); by default all.
         *
         * @param train training samples to use, at least 1
         * @param test  test samples to use, at least 1
         * @return this builder
         */
        public Builder limits(int train, int test) {
            this.trainLimit = train;
            this.testLimit = test;
            return this;
        }

        /**
         * Sets the built-in synthetic task's parameters (default {@link SyntheticConfig#DEFAULT}).
         *
         * @param synthetic the task
         * @return this builder
         */
        public Builder synthetic(SyntheticConfig synthetic) {
            this.synthetic = synthetic;
            return this;
        }

        /**
         * The config. It is not validated here: {@link ExperimentConfig.Builder#build()} checks it.
         *
         * @return the data settings, every unset setting at its default
         */
        public DataConfig build() {
            return new DataConfig(dataset, root, tLen, dtMs, encoding, augment, validationFraction, trainLimit,
                    testLimit, synthetic);
        }
    }

    /** Image-to-spike encodings. */
    public enum Encoding {
        /** Block paper: every pixel spikes once, at floor((1 - x)(T - 1)). */
        @JsonProperty("latency") LATENCY,
        /** FastSNN v1: time to first spike tau ln(x / (x - theta)), tau 20, theta 0.2, 1 ms bins. */
        @JsonProperty("ttfs") TTFS
    }
}
