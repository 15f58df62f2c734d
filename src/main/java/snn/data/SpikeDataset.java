package snn.data;

import java.lang.foreign.MemorySegment;
import java.util.random.RandomGenerator;

/**
 * A labelled collection of spike trains of fixed shape {@code [channels, timeSteps]}.
 *
 * <p>Implement this over your own data to train with snn. Implementations must be safe for concurrent
 * {@link #writeSample} calls from a prefetching thread and deterministic: the same index (and, for augmenting
 * datasets, the same random generator state) always yields the same values. Values are spike counts per time bin;
 * they are usually 0 or 1 but may exceed 1 where several events fall into one bin (the papers' binning adds them up).
 */
public interface SpikeDataset {

    /** {@return the number of samples} */
    int size();

    /** {@return the number of input channels (neurons) per sample} */
    int channels();

    /** {@return the number of time steps (bins) per sample} */
    int timeSteps();

    /** {@return the number of classes; labels are in {@code [0, classes())}} */
    int classes();

    /**
     * The class of a sample.
     *
     * @param index the sample, in {@code [0, size())}
     * @return its label, in {@code [0, classes())}
     */
    int label(int index);

    /**
     * Adds sample {@code index} into {@code dst}, a zero-filled region of {@code channels() * timeSteps()}
     * native-order float32 values laid out channel-major: the value of channel {@code c} at step {@code t} goes to
     * float index {@code c * timeSteps() + t}.
     *
     * @param index the sample, in {@code [0, size())}
     * @param dst   the region to add the sample's values into
     */
    void writeSample(int index, MemorySegment dst);

    /**
     * As {@link #writeSample(int, MemorySegment)}, for training: datasets with random augmentation draw from
     * {@code random}, which the loader seeds from the run's seed, the epoch and the index. The default ignores it.
     *
     * @param index  the sample, in {@code [0, size())}
     * @param dst    the region to add the sample's values into
     * @param random the source of the sample's augmentation
     */
    default void writeSample(int index, MemorySegment dst, RandomGenerator random) {
        writeSample(index, dst);
    }

    /**
     * Appends sample {@code index}'s non-zero values to {@code events} (empty when called), in the order of the
     * channels and then the steps: the entries of the region {@link #writeSample(int, MemorySegment)} writes. The
     * default writes the sample densely into a scratch region and scans it; datasets that hold events override it.
     *
     * @param index  the sample, in {@code [0, size())}
     * @param events the list to append to
     */
    default void writeEvents(int index, SampleEvents events) {
        events.scan(dst -> writeSample(index, dst));
    }

    /**
     * As {@link #writeEvents(int, SampleEvents)}, for training: the entries of the region
     * {@link #writeSample(int, MemorySegment, RandomGenerator)} writes with the same {@code random}.
     *
     * @param index  the sample, in {@code [0, size())}
     * @param events the list to append to
     * @param random the source of the sample's augmentation
     */
    default void writeEvents(int index, SampleEvents events, RandomGenerator random) {
        events.scan(dst -> writeSample(index, dst, random));
    }

    /** {@return a short human-readable name, used in logs and manifests} */
    default String name() {
        return getClass().getSimpleName();
    }
}
