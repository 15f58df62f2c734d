package snn.training;

import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of a training run.
 *
 * @param runDir    where the run's files are
 * @param bestEpoch the epoch whose weights were selected (1-based)
 * @param selection how it was selected: "validation_accuracy" or "train_loss" (the papers' protocol)
 * @param test      the selected model on the test split
 * @param history   every epoch's metrics
 */
public record TrainingResult(Path runDir, int bestEpoch, String selection, Evaluation test,
        List<EpochMetrics> history) {

    /** {@return the selected model's checkpoint in the run folder} */
    public Path model() {
        return runDir.resolve(RunFolder.MODEL);
    }
}
