package snn.cli;

import snn.config.ExperimentConfig;
import snn.data.DatasetSplits;
import snn.data.Datasets;

/** Opens the dataset a config names. */
final class DataSources {

    private DataSources() {
    }

    static DatasetSplits open(ExperimentConfig config) {
        return Datasets.open(config.data(), config.seed());
    }
}
