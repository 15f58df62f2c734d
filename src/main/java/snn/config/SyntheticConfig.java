package snn.config;

/**
 * The built-in synthetic task: each class has its own spike-time pattern over the channels; samples are that
 * pattern with jittered spike times, dropped spikes and background noise. Deterministic from the run's seed.
 *
 * @param classes      number of classes (default 10)
 * @param channels     input channels (default 100)
 * @param tLen         time steps (default 100)
 * @param trainSamples training samples (default 2000)
 * @param testSamples  test samples (default 500)
 * @param jitter       standard deviation of spike-time jitter in steps (default 4)
 * @param dropout      probability that a pattern spike is dropped (default 0.2)
 * @param noiseRate    probability of a background spike per channel and step (default 0.005)
 */
public record SyntheticConfig(Integer classes, Integer channels, Integer tLen, Integer trainSamples,
        Integer testSamples, Double jitter, Double dropout, Double noiseRate) {

    /** The defaults. */
    public static final SyntheticConfig DEFAULT = builder().build();

    /** Fills in the defaults of settings left null. */
    public SyntheticConfig {
        classes = classes != null ? classes : 10;
        channels = channels != null ? channels : 100;
        tLen = tLen != null ? tLen : 100;
        trainSamples = trainSamples != null ? trainSamples : 2000;
        testSamples = testSamples != null ? testSamples : 500;
        jitter = jitter != null ? jitter : 4.0;
        dropout = dropout != null ? dropout : 0.2;
        noiseRate = noiseRate != null ? noiseRate : 0.005;
    }

    /** {@return a builder starting from the defaults} */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link SyntheticConfig}; settings not given keep the defaults documented on the record. */
    public static final class Builder {
        private Integer classes;
        private Integer channels;
        private Integer tLen;
        private Integer trainSamples;
        private Integer testSamples;
        private Double jitter;
        private Double dropout;
        private Double noiseRate;

        private Builder() {
        }

        /**
         * Sets the number of classes (default 10).
         *
         * @param classes at least 2
         * @return this builder
         */
        public Builder classes(int classes) {
            this.classes = classes;
            return this;
        }

        /**
         * Sets the number of input channels (default 100).
         *
         * @param channels at least 1
         * @return this builder
         */
        public Builder channels(int channels) {
            this.channels = channels;
            return this;
        }

        /**
         * Sets the number of time steps (default 100).
         *
         * @param tLen at least 2
         * @return this builder
         */
        public Builder tLen(int tLen) {
            this.tLen = tLen;
            return this;
        }

        /**
         * Sets the sizes of the two splits (defaults 2000 and 500).
         *
         * @param train training samples, at least 1
         * @param test  test samples, at least 1
         * @return this builder
         */
        public Builder samples(int train, int test) {
            this.trainSamples = train;
            this.testSamples = test;
            return this;
        }

        /**
         * Sets how far samples stray from their class's pattern (defaults 4, 0.2 and 0.005).
         *
         * @param jitter    standard deviation of spike-time jitter in steps, at least 0
         * @param dropout   probability that a pattern spike is dropped
         * @param noiseRate probability of a background spike per channel and step
         * @return this builder
         */
        public Builder noise(double jitter, double dropout, double noiseRate) {
            this.jitter = jitter;
            this.dropout = dropout;
            this.noiseRate = noiseRate;
            return this;
        }

        /**
         * The config. It is not validated here: {@link ExperimentConfig.Builder#build()} checks it.
         *
         * @return the synthetic task, every unset setting at its default
         */
        public SyntheticConfig build() {
            return new SyntheticConfig(classes, channels, tLen, trainSamples, testSamples, jitter, dropout, noiseRate);
        }
    }
}
