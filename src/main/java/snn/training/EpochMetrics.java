package snn.training;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * One row of {@code metrics.csv}.
 *
 * @param epoch              1-based epoch
 * @param trainLoss          mean training loss over the epoch's batches (per sample)
 * @param trainAccuracy      training accuracy over the epoch (with the weights of the moment)
 * @param validationAccuracy accuracy on the validation split, NaN when there is none
 * @param testAccuracy       test accuracy after the epoch (reported, never used for selection)
 * @param learningRate       the learning rate used in the epoch
 * @param spikesPerSample    mean test spikes per sample of each hidden layer
 * @param forwardMs          mean forward time per training batch
 * @param backwardMs         mean backward time per training batch (including the optimiser step)
 * @param epochSeconds       wall time of the epoch's training pass: from its first batch's loading to its last
 *                           optimiser step, everything in between included (batch loading, the per-batch metrics
 *                           and callbacks); the figure to compare with a paper's time per training epoch
 * @param skippedBatches     batches skipped for a non-finite loss ({@code training.on_non_finite_loss = skip})
 * @param evaluationSeconds  wall time of the evaluations after the training pass (validation, when selecting on it,
 *                           and test); 0 in states saved before it was recorded
 * @param optimizerMs        mean time per training batch of the optimiser's step, a part of {@code backwardMs}; 0 in
 *                           states saved before it was recorded
 * @param batchWaitSeconds   the part of {@code epochSeconds} spent waiting for the loader's next batch (the loader
 *                           assembles it on its own thread while the previous one trains); 0 in states saved before
 *                           it was recorded
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double validationAccuracy,
        double testAccuracy, double learningRate, List<Double> spikesPerSample, double forwardMs, double backwardMs,
        double epochSeconds, int skippedBatches, double evaluationSeconds, double optimizerMs,
        double batchWaitSeconds) {

    /**
     * The CSV header of {@code metrics.csv}.
     *
     * @param layers the number of hidden layers, one spike column each
     * @return the comma-separated column names, snake_case
     */
    public static String header(int layers) {
        StringBuilder sb = new StringBuilder("epoch,train_loss,train_accuracy,validation_accuracy,test_accuracy,"
                + "learning_rate");
        for (int i = 0; i < layers; i++) {
            sb.append(",spikes_per_sample_layer").append(i);
        }
        return sb.append(",forward_ms,backward_ms,epoch_seconds,skipped_batches,evaluation_seconds,optimizer_ms,"
                + "batch_wait_seconds").toString();
    }

    /** {@return this row in CSV, in {@link #header(int)} order; the cell is empty when validation accuracy is NaN} */
    public String csv() {
        return String.format(Locale.ROOT, "%d,%.6f,%.6f,%s,%.6f,%.3g,%s,%.3f,%.3f,%.3f,%d,%.3f,%.3f,%.3f", epoch, trainLoss,
                trainAccuracy,
                Double.isNaN(validationAccuracy) ? "" : String.format(Locale.ROOT, "%.6f", validationAccuracy),
                testAccuracy, learningRate,
                spikesPerSample.stream().map(s -> String.format(Locale.ROOT, "%.3f", s)).collect(Collectors.joining(",")),
                forwardMs, backwardMs, epochSeconds, skippedBatches, evaluationSeconds, optimizerMs,
                batchWaitSeconds);
    }
}
