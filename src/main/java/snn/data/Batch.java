package snn.data;

import java.util.function.Supplier;

import org.bytedeco.pytorch.Tensor;

import snn.neurons.SpikeEvents;

/**
 * A batch of samples in tensor memory owned by a {@link BatchLoader}; valid until the next batch is requested. A
 * sparse batch (at most {@link SpikeEvents#MAX_DENSITY} of its first sample's entries non-zero) comes as events,
 * which a network reads without a dense tensor; its dense form is made on the first call of {@link #input()}.
 */
public final class Batch {

    private final Tensor input;
    private final SpikeEvents events;
    private final Supplier<Tensor> dense;
    private final Tensor labels;
    private final int[] indices;

    /**
     * A batch given densely.
     *
     * @param input   spikes {@code [size, channels, timeSteps]} float32
     * @param labels  class indices {@code [size]} int64
     * @param indices the dataset indices of the samples, in batch order
     */
    public Batch(Tensor input, Tensor labels, int[] indices) {
        this(input, null, null, labels, indices);
    }

    /** A batch of events whose dense form {@code dense} makes when asked; or a dense one ({@code events} null). */
    Batch(Tensor input, SpikeEvents events, Supplier<Tensor> dense, Tensor labels, int[] indices) {
        this.input = input;
        this.events = events;
        this.dense = dense;
        this.labels = labels;
        this.indices = indices;
    }

    /**
     * The input in dense form. For a batch of events it is made on the first call (in the loader's memory, valid as
     * long as the batch) and is what the events describe.
     *
     * @return spikes {@code [size, channels, timeSteps]} float32, CPU
     */
    public Tensor input() {
        return input != null ? input : dense.get();
    }

    /** {@return the input as events, or {@code null} when the batch is dense (too dense for events, or empty)} */
    public SpikeEvents events() {
        return events;
    }

    /** {@return class indices {@code [size]} int64} */
    public Tensor labels() {
        return labels;
    }

    /** {@return the dataset indices of the samples, in batch order} */
    public int[] indices() {
        return indices;
    }

    /** {@return the number of samples in this batch (the last batch of an epoch may be smaller)} */
    public int size() {
        return indices.length;
    }
}
