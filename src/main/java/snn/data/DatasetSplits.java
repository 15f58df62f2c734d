package snn.data;

import java.util.Optional;

/**
 * The splits of one dataset.
 *
 * @param train      training samples (without the validation part, when there is one)
 * @param validation samples held out of the training set for model selection, or {@code null}
 * @param test       test samples, never used for selection
 */
public record DatasetSplits(SpikeDataset train, SpikeDataset validation, SpikeDataset test) {

    /**
     * Checks that the splits agree.
     *
     * @throws IllegalArgumentException when train and test differ in channels, time steps or classes
     */
    public DatasetSplits {
        if (train.channels() != test.channels() || train.timeSteps() != test.timeSteps()
                || train.classes() != test.classes()) {
            throw new IllegalArgumentException("train and test splits differ in shape or classes");
        }
    }

    /** {@return the validation split, or empty when there is none} */
    public Optional<SpikeDataset> validationSplit() {
        return Optional.ofNullable(validation);
    }
}
