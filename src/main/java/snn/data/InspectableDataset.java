package snn.data;

/** A dataset read from files, which can describe itself for {@code snn data inspect}. */
public interface InspectableDataset extends SpikeDataset {

    /** {@return sample, class and event counts of the whole file this dataset was read from} */
    SplitStatistics statistics();
}
