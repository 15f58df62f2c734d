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
}
