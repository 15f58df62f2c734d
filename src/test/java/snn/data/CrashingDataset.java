package snn.data;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A dataset that fails after {@code limit} samples were written, for tests: a crash in the middle of an epoch.
 *
 * @param inner   the samples
 * @param limit   how many samples are written before the failure
 * @param written the samples written so far
 */
public record CrashingDataset(SpikeDataset inner, int limit, AtomicInteger written) implements SpikeDataset {

    /**
     * A dataset that fails after {@code limit} samples.
     *
     * @param inner the samples
     * @param limit how many samples are written before the failure
     */
    public CrashingDataset(SpikeDataset inner, int limit) {
        this(inner, limit, new AtomicInteger());
    }

    @Override
    public int size() {
        return inner.size();
    }

    @Override
    public int channels() {
        return inner.channels();
    }

    @Override
    public int timeSteps() {
        return inner.timeSteps();
    }

    @Override
    public int classes() {
        return inner.classes();
    }

    @Override
    public int label(int i) {
        return inner.label(i);
    }

    @Override
    public String name() {
        return inner.name();
    }

    /** Writes sample {@code i}, or fails with "simulated crash" once {@code limit} samples were written. */
    @Override
    public void writeSample(int i, MemorySegment dst) {
        if (written.incrementAndGet() > limit) {
            throw new IllegalStateException("simulated crash");
        }
        inner.writeSample(i, dst);
    }
}
