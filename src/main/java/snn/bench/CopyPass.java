package snn.bench;

import org.bytedeco.pytorch.Tensor;

import snn.runtime.Tensors;

/**
 * The memory-bandwidth probe of a point: one copy of a float32 array {@code [batch, hidden, tLen]} (a hidden layer's
 * spikes or membrane) into another, both made once. Timed in the same rounds as the training steps, it gives the
 * bandwidth that the dynamics' floor is taken at, under the same load.
 */
final class CopyPass {

    private final Tensor source;
    private final Tensor target;

    CopyPass(int batch, int hidden, int tLen) {
        source = Tensors.uniform(null, batch, hidden, tLen);
        target = Tensors.zeros(batch, hidden, tLen);
        target.copy_(source); // fault the target's pages in before anything is timed
    }

    /** {@return the bytes one pass moves: the array read once and written once} */
    double bytes() {
        return 2.0 * Float.BYTES * source.numel();
    }

    /** Copies once; {@return the wall-clock time in ms} */
    double run() {
        long t0 = System.nanoTime();
        target.copy_(source);
        return (System.nanoTime() - t0) / 1e6;
    }
}
