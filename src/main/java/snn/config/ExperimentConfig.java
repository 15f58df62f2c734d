package snn.config;

/**
 * One experiment: data, model, training protocol and runtime, as read from a JSON file in {@code configs/}.
 * Build it with {@link ConfigLoader} (which validates) or in code followed by {@link ConfigValidator#check}.
 *
 * @param name       run name; results go to {@code <resultsDir>/<name>/} (default "run")
 * @param seed       seed of every random choice: initialisation, data order, synthetic data (default 42)
 * @param resultsDir folder for run outputs (default "results")
 */
public record ExperimentConfig(String name, Long seed, String resultsDir, RuntimeConfig runtime, DataConfig data,
        ModelConfig model, TrainingConfig training) {

    public ExperimentConfig {
        name = name != null ? name : "run";
        seed = seed != null ? seed : 42L;
        resultsDir = resultsDir != null ? resultsDir : "results";
        runtime = runtime != null ? runtime : RuntimeConfig.DEFAULT;
        data = data != null ? data : new DataConfig(null, null, null, null, null, null, null, null, null, null);
        model = model != null ? model
                : new ModelConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        training = training != null ? training : new TrainingConfig(null, null, null, null, null, null, null, null, null);
    }

    /** A builder for configs made in code; {@link Builder#build()} validates like the JSON loader does. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds and validates an {@link ExperimentConfig}. */
    public static final class Builder {
        private String name;
        private Long seed;
        private String resultsDir;
        private RuntimeConfig runtime;
        private DataConfig data;
        private ModelConfig model;
        private TrainingConfig training;

        private Builder() {
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder resultsDir(String resultsDir) {
            this.resultsDir = resultsDir;
            return this;
        }

        public Builder runtime(RuntimeConfig runtime) {
            this.runtime = runtime;
            return this;
        }

        public Builder data(DataConfig data) {
            this.data = data;
            return this;
        }

        public Builder model(ModelConfig model) {
            this.model = model;
            return this;
        }

        public Builder training(TrainingConfig training) {
            this.training = training;
            return this;
        }

        /**
         * The config, validated.
         *
         * @throws ConfigException listing every problem, with the JSON path of each setting
         */
        public ExperimentConfig build() {
            return ConfigValidator.check(new ExperimentConfig(name, seed, resultsDir, runtime, data, model, training),
                    "(built in code)");
        }
    }
}
