package snn.config;

import java.util.List;

/**
 * Early stopping ({@code training.early_stopping}): the run ends when a metric has not improved by more than
 * {@code min_delta} for {@code patience} epochs in a row. The selected model is then evaluated as at a normal end.
 *
 * @param metric   the metric watched: {@code train_loss} (lower is better), {@code train_accuracy} or
 *                 {@code validation_accuracy} (higher is better); null (default) for the selection metric
 *                 (validation accuracy when {@code data.validation_fraction} &gt; 0, else the training loss)
 * @param patience epochs without improvement before stopping (default 10)
 * @param minDelta the least change that counts as an improvement (default 0)
 */
public record EarlyStoppingConfig(String metric, Integer patience, Double minDelta) {

    /** The metrics early stopping (and the plateau schedule) can watch. */
    public static final List<String> METRICS = List.of("train_loss", "train_accuracy", "validation_accuracy");

    /** Fills in the defaults of settings left null. */
    public EarlyStoppingConfig {
        patience = patience != null ? patience : 10;
        minDelta = minDelta != null ? minDelta : 0.0;
    }
}
