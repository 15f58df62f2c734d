package snn.config;

import snn.core.ConfigException;

/**
 * One experiment: data, model, training protocol and runtime, as read from a JSON file in {@code configs/}.
 * Build it with {@link ConfigLoader} (which validates) or in code followed by {@link ConfigValidator#check}.
 *
 * @param name       run name; results go to {@code <resultsDir>/<name>/} (default "run")
 * @param seed       seed of every random choice: initialisation, data order, synthetic data (default 42)
 * @param resultsDir folder for run outputs (default "results")
 * @param runtime    device and threads (default {@link RuntimeConfig#DEFAULT})
 * @param data       the dataset and its encoding into spikes (default: the synthetic task)
 * @param model      the network (default: a standard LIF network with one hidden layer of 128)
 * @param training   the optimisation protocol (default: {@link TrainingConfig}'s defaults)
 */
public record ExperimentConfig(String name, Long seed, String resultsDir, RuntimeConfig runtime, DataConfig data,
        ModelConfig model, TrainingConfig training) {

    /** Fills in the defaults of settings left null. */
    public ExperimentConfig {
        name = name != null ? name : "run";
        seed = seed != null ? seed : 42L;
        resultsDir = resultsDir != null ? resultsDir : "results";
        runtime = runtime != null ? runtime : RuntimeConfig.DEFAULT;
        data = data != null ? data : DataConfig.builder("synthetic").build();
        model = model != null ? model
                : ModelConfig.UNSPECIFIED;
        training = training != null ? training : TrainingConfig.builder().build();
    }

    /**
     * A builder for configs made in code; {@link Builder#build()} validates like the JSON loader does.
     *
     * @return a builder with every setting at its default
     */
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

        /**
         * Sets the run name; results go to {@code <resultsDir>/<name>/} (default "run").
         *
         * @param name letters, digits, '.', '_' or '-'
         * @return this builder
         */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /**
         * Sets the seed of initialisation, data order and synthetic data (default 42).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the folder for run outputs (default "results").
         *
         * @param resultsDir a path, relative to the working directory or absolute
         * @return this builder
         */
        public Builder resultsDir(String resultsDir) {
            this.resultsDir = resultsDir;
            return this;
        }

        /**
         * Sets the device and threads (default {@link RuntimeConfig#DEFAULT}).
         *
         * @param runtime where and how LibTorch runs
         * @return this builder
         */
        public Builder runtime(RuntimeConfig runtime) {
            this.runtime = runtime;
            return this;
        }

        /**
         * Sets the dataset and its spike encoding (default: the synthetic task).
         *
         * @param data for example {@link DataConfig#of(String, java.nio.file.Path)}
         * @return this builder
         */
        public Builder data(DataConfig data) {
            this.data = data;
            return this;
        }

        /**
         * Sets the network (default: standard LIF, one hidden layer of 128).
         *
         * @param model for example {@code ModelConfig.dblock(4).hidden(128).build()}
         * @return this builder
         */
        public Builder model(ModelConfig model) {
            this.model = model;
            return this;
        }

        /**
         * Sets the optimisation protocol (default: {@link TrainingConfig}'s defaults).
         *
         * @param training for example {@code TrainingConfig.builder().epochs(5).build()}
         * @return this builder
         */
        public Builder training(TrainingConfig training) {
            this.training = training;
            return this;
        }

        /**
         * The config, validated.
         *
         * @return the config, every unset setting at its default
         * @throws ConfigException listing every problem, with the JSON path of each setting
         */
        public ExperimentConfig build() {
            return ConfigValidator.check(new ExperimentConfig(name, seed, resultsDir, runtime, data, model, training),
                    "(built in code)");
        }
    }
}
