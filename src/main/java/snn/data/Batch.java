package snn.data;

import org.bytedeco.pytorch.Tensor;

/**
 * A batch of samples in tensor memory owned by a {@link BatchLoader}; valid until the next batch is requested.
 *
 * @param input   spikes {@code [size, channels, timeSteps]} float32
 * @param labels  class indices {@code [size]} int64
 * @param indices the dataset indices of the samples, in batch order
 */
public record Batch(Tensor input, Tensor labels, int[] indices) {

    /** {@return the number of samples in this batch (the last batch of an epoch may be smaller)} */
    public int size() {
        return indices.length;
    }
}
