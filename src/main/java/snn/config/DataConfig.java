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

    /** Fills in the defaults of settings left null; {@code tLen} and {@code dtMs} depend on the dataset. */
    public DataConfig {
        dataset = dataset != null ? dataset : "synthetic";
        encoding = encoding != null ? encoding : Encoding.LATENCY;
        augment = augment != null ? augment : false;
        validationFraction = validationFraction != null ? validationFraction : 0.0;
        synthetic = synthetic != null ? synthetic : SyntheticConfig.DEFAULT;
        if (tLen == null) {
            tLen = switch (dataset) {
                case "synthetic" -> synthetic.tLen();
                case "nmnist" -> 300;
                case "shd", "ssc" -> 500;
                default -> 100;
            };
        }
        if (dtMs == null) {
            dtMs = switch (dataset) {
                case "shd", "ssc" -> 2.0;
                default -> 1.0;
            };
        }
    }

    /**
     * The built-in synthetic task.
     *
     * @param synthetic the task's parameters; its {@code tLen} becomes the config's
     * @return a data config with every other setting at its default
     */
    public static DataConfig synthetic(SyntheticConfig synthetic) {
        return new DataConfig("synthetic", null, null, null, null, null, null, null, null, synthetic);
    }

    /**
     * A published dataset in {@code root}, with the papers' time steps, bin width and encoding.
     *
     * @param dataset {@code fashion-mnist}, {@code mnist}, {@code nmnist}, {@code shd} or {@code ssc}
     * @param root    folder holding the dataset's files
     * @return a data config with every other setting at its default
     */
    public static DataConfig of(String dataset, Path root) {
        return new DataConfig(dataset, root, null, null, null, null, null, null, null, null);
    }

    /**
     * This config with part of the training set held out for model selection.
     *
     * @param fraction share of the training set held out, in [0, 1)
     * @return a copy with {@code validationFraction} replaced
     */
    public DataConfig withValidationFraction(double fraction) {
        return new DataConfig(dataset, root, tLen, dtMs, encoding, augment, fraction, trainLimit, testLimit,
                synthetic);
    }

    /**
     * This config using only the first samples of each split.
     *
     * @param train training samples to use; null for all
     * @param test  test samples to use; null for all
     * @return a copy with {@code trainLimit} and {@code testLimit} replaced
     */
    public DataConfig withLimits(Integer train, Integer test) {
        return new DataConfig(dataset, root, tLen, dtMs, encoding, augment, validationFraction, train, test,
                synthetic);
    }

    /** Image-to-spike encodings. */
    public enum Encoding {
        /** Block paper: every pixel spikes once, at floor((1 - x)(T - 1)). */
        @JsonProperty("latency") LATENCY,
        /** FastSNN v1: time to first spike tau ln(x / (x - theta)), tau 20, theta 0.2, 1 ms bins. */
        @JsonProperty("ttfs") TTFS
    }
}
