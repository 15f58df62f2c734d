package snn.cli;

import snn.config.ExperimentConfig;
import snn.data.DatasetSplits;
import snn.data.SyntheticSpikes;
import snn.training.TrainingException;

/** Opens the dataset a config names. */
final class DataSources {

    private DataSources() {
    }

    static DatasetSplits open(ExperimentConfig config) {
        String name = config.data().dataset();
        if (name.equals("synthetic")) {
            return SyntheticSpikes.splits(config.data().synthetic(), config.seed());
        }
        throw new TrainingException("dataset \"" + name + "\" cannot be loaded by this build yet");
    }
}
