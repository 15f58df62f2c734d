package snn.nativekernels;

import org.bytedeco.pytorch.Tensor;

import snn.neurons.SpikeEvents;

/**
 * Which of a layer's two input paths the kernels take: the projection event by event inside the kernel (sparse
 * input), or a current LibTorch projected first (dense input) (docs/native-kernels.md, "Event-driven input
 * projection").
 */
final class InputPath {

    /**
     * Largest fraction of non-zero inputs (estimated on the first sample) for which the input projection is computed
     * event by event inside the kernel; denser inputs are projected with a LibTorch matrix product first.
     */
    static final double EVENT_DRIVEN_DENSITY = SpikeEvents.MAX_DENSITY;

    /**
     * Largest neurons x steps of a layer whose input the kernels project themselves: each thread builds a sample's
     * current step-major in scratch (and its gradient in the backward pass), 16 MiB at this size.
     */
    static final long PROJECTED_SCRATCH_LIMIT = 1L << 22;

    private InputPath() {
    }

    /**
     * Whether the kernels project an input of {@code channels} x {@code steps} themselves, event by event: its first
     * sample has at most {@link #EVENT_DRIVEN_DENSITY} of its entries non-zero ({@code sampleEvents}) and the
     * step-major current of {@code neurons} fits the scratch limit.
     */
    static boolean projectsEvents(long sampleEvents, long channels, long steps, long neurons) {
        return sampleEvents <= EVENT_DRIVEN_DENSITY * channels * steps && neurons * steps <= PROJECTED_SCRATCH_LIMIT;
    }

    /** Non-zero entries of the first sample of {@code x}: the density estimate for the event-driven projection. */
    static long firstSampleEvents(Tensor x) {
        return x.select(0, 0).count_nonzero().item_long();
    }

    /**
     * Room for events per sample in the forward pass's event cache, for dL/dW_in: twice the first sample's (and at
     * least 2 % of the bins); a sample with more is scanned again in the backward pass.
     */
    static long eventCapacity(long sampleEvents, long bins) {
        return Math.min(bins, Math.max(2 * sampleEvents, bins / 50) + 64);
    }
}
