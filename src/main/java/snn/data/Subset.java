package snn.data;

import java.lang.foreign.MemorySegment;
import java.util.random.RandomGenerator;

/**
 * A view of some samples of another dataset, in the given order: a training-set limit, or the training or
 * validation part of a split. A validation view never augments.
 */
final class Subset implements SpikeDataset {

    private final SpikeDataset base;
    private final int[] indices;
    private final boolean augments;
    private final String name;

    /**
     * @param augments whether training-time augmentation of {@code base} stays on (false for validation views)
     */
    Subset(SpikeDataset base, int[] indices, boolean augments, String name) {
        this.base = base;
        this.indices = indices.clone();
        this.augments = augments;
        this.name = name;
    }

    /** The first {@code n} samples of {@code base}, or {@code base} itself when it has no more than that. */
    static SpikeDataset first(SpikeDataset base, Integer n) {
        if (n == null || n >= base.size()) {
            return base;
        }
        int[] indices = new int[n];
        for (int i = 0; i < n; i++) {
            indices[i] = i;
        }
        return new Subset(base, indices, true, base.name());
    }

    /** The index in the underlying dataset of sample {@code index}. */
    int baseIndex(int index) {
        return indices[index];
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public int channels() {
        return base.channels();
    }

    @Override
    public int timeSteps() {
        return base.timeSteps();
    }

    @Override
    public int classes() {
        return base.classes();
    }

    @Override
    public int label(int index) {
        return base.label(indices[index]);
    }

    @Override
    public void writeSample(int index, MemorySegment dst) {
        base.writeSample(indices[index], dst);
    }

    @Override
    public void writeSample(int index, MemorySegment dst, RandomGenerator random) {
        if (augments) {
            base.writeSample(indices[index], dst, random);
        } else {
            base.writeSample(indices[index], dst);
        }
    }

    @Override
    public void writeEvents(int index, SampleEvents events) {
        base.writeEvents(indices[index], events);
    }

    @Override
    public void writeEvents(int index, SampleEvents events, RandomGenerator random) {
        if (augments) {
            base.writeEvents(indices[index], events, random);
        } else {
            base.writeEvents(indices[index], events);
        }
    }

    @Override
    public String name() {
        return name;
    }
}
