package snn.distributed;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import snn.core.DistributedException;
import snn.models.Parameters;
import snn.runtime.Tensors;

/**
 * Data-parallel training of one network over a {@link ProcessGroup}, as DistributedDataParallel does it: every rank
 * holds the whole network, computes the gradient of the mean loss over its share of the batch, and one all-reduce per
 * step turns the ranks' gradients into the gradient of the mean over the whole batch, so that the optimiser takes the
 * same step everywhere.
 *
 * <p><b>The step.</b> Rank r's gradient {@code g_r} is the mean over its {@code n_r} samples; the all-reduce sums
 * {@code n_r g_r} over the ranks and divides by {@code N = sum n_r}, which is the single-process mean over the
 * {@code N} samples of the batch (up to the order of floating-point additions). All gradients travel in one flat
 * buffer, laid out once in the order of {@link Parameters#named} (the same on every rank), followed by one number per
 * parameter (on how many ranks its gradient exists) and the step's sample count, loss sum, correct predictions and
 * non-finite count, so that the loss, the accuracy and the decision to skip a step are the same on every rank. A rank
 * whose share of a batch is empty (fewer samples than ranks) takes part with nothing in its part of the sums. A
 * parameter without a gradient on every rank (not used by the loss) keeps none, as it would in a single process.
 *
 * <p><b>Native memory.</b> The flat buffer and the parameter handles are owned by this object from its constructor
 * to {@link #close()}, whatever {@code PointerScope}s are open around either. A single process allocates nothing.
 */
public final class DataParallel implements AutoCloseable {

    /**
     * What one step did, over all ranks together.
     *
     * @param samples the samples of the batch
     * @param lossSum the sum of the per-sample losses (the mean loss times {@code samples})
     * @param correct the correctly predicted samples
     * @param finite  whether every rank's loss was finite; if not, no rank steps
     */
    public record Step(int samples, double lossSum, long correct, boolean finite) {
    }

    private final ProcessGroup group;
    private final Module net;
    private final List<Tensor> trainable = new ArrayList<>();
    private final long[] sizes;
    private final long gradientElements;
    private final Tensor flat;
    private long reduceNanos;
    private int reduces;
    private boolean closed;

    /**
     * Prepares data-parallel steps of {@code net}.
     *
     * @param net   the network, built the same way on every rank
     * @param group the ranks; for {@link ProcessGroup#single()} every method returns at once
     */
    public DataParallel(Module net, ProcessGroup group) {
        this.group = group;
        this.net = net;
        long total = 0;
        for (Tensor p : Parameters.named(net).values()) {
            if (p.requires_grad()) {
                trainable.add(p.retainReference());
                total += p.numel();
            }
        }
        this.sizes = trainable.stream().mapToLong(Tensor::numel).toArray();
        this.gradientElements = total;
        if (group.size() > 1 && !trainable.isEmpty()) {
            try (PointerScope temporaries = new PointerScope()) {
                // Of the parameters' type and on their device; the handle new_empty returns is the owning one.
                Tensor buffer = trainable.get(0).new_empty(total + trainable.size() + 4);
                buffer.zero_();
                this.flat = buffer.retainReference();
            }
        } else {
            this.flat = null;
        }
    }

    /**
     * Makes every rank start from rank 0's parameters, as DistributedDataParallel does (ranks that initialised from
     * the same seed already hold the same values; this makes it so whatever their libraries).
     *
     * @throws DistributedException naming the rank at fault when a peer died or hung
     */
    public void broadcastParameters() {
        if (group.size() == 1) {
            return;
        }
        try (PointerScope scope = new PointerScope()) {
            for (Tensor p : Parameters.named(net).values()) {
                group.broadcast(p.detach(), "the broadcast of rank 0's parameters");
            }
        }
    }

    /**
     * Combines this rank's part of a step with the other ranks' (see the class comment): after it, every
     * parameter's gradient is the gradient of the mean loss over the whole batch, the same on every rank. Call it
     * after {@code backward()} (or instead of it, when this rank's share was empty or its loss not finite) and
     * before the optimiser's step, inside the step's {@code PointerScope}.
     *
     * @param samples this rank's samples in the step (0 when its share of the batch is empty)
     * @param loss    the mean loss over them (ignored when {@code samples} is 0)
     * @param correct how many of them were predicted correctly
     * @return the step over all ranks; when it is not {@link Step#finite()}, gradients are unchanged and no rank
     *         should step
     * @throws DistributedException naming the rank at fault when a peer died or hung
     */
    public Step reduce(int samples, float loss, long correct) {
        boolean finite = samples == 0 || Float.isFinite(loss);
        if (flat == null) {
            return new Step(samples, (double) loss * samples, correct, finite);
        }
        long start = System.nanoTime();
        int n = trainable.size();
        boolean contributes = samples > 0 && finite;
        float[] tail = new float[n + 4];
        long offset = 0;
        for (int i = 0; i < n; i++) {
            Tensor gradient = trainable.get(i).grad();
            Tensor slot = flat.narrow(0, offset, sizes[i]);
            if (contributes && gradient.defined()) {
                slot.copy_(gradient.reshape(-1));
                tail[i] = 1;
            } else {
                slot.zero_();
            }
            offset += sizes[i];
        }
        tail[n] = samples;
        tail[n + 1] = finite ? loss * samples : 0;
        tail[n + 2] = correct;
        tail[n + 3] = finite ? 0 : 1;
        Tensor gradients = flat.narrow(0, 0, gradientElements);
        gradients.mul_(Tensors.scalar(samples));
        flat.narrow(0, gradientElements, n + 4).copy_(Tensors.fromArray(tail, n + 4));
        group.allReduceSum(flat, "the gradient all-reduce");
        float[] totals = Tensors.toArray(flat.narrow(0, gradientElements, n + 4).cpu());
        int batch = Math.round(totals[n]);
        boolean allFinite = totals[n + 3] == 0;
        if (allFinite && batch > 0) {
            gradients.div_(Tensors.scalar(batch));
            offset = 0;
            for (int i = 0; i < n; i++) {
                if (totals[i] > 0) {
                    Tensor p = trainable.get(i);
                    Tensor mean = flat.narrow(0, offset, sizes[i]).view(Tensors.shape(p));
                    Tensor gradient = p.grad();
                    if (gradient.defined()) {
                        gradient.copy_(mean);
                    } else {
                        p.mutable_grad().put(mean.clone());
                    }
                }
                offset += sizes[i];
            }
        }
        reduceNanos += System.nanoTime() - start;
        reduces++;
        return new Step(batch, totals[n + 1], Math.round(totals[n + 2]), allFinite);
    }

    /**
     * The mean time {@link #reduce} took since the last call (copying, the all-reduce and the division), for reports.
     *
     * @return milliseconds per step, 0 when there was none or the process is alone
     */
    public double takeMillisPerStep() {
        double ms = reduces == 0 ? 0 : reduceNanos / 1e6 / reduces;
        reduceNanos = 0;
        reduces = 0;
        return ms;
    }

    /**
     * Checks that every rank holds bit-identical parameters: a CRC-32C of their bytes, compared through an
     * all-reduce of its maximum and of its negation's maximum.
     *
     * @param when when the check runs, for the message (e.g. {@code after epoch 3})
     * @throws DistributedException on every rank when the parameters differ between ranks (ranks running different
     *                              builds or libraries), or naming the rank at fault when a peer died or hung
     */
    public void checkInSync(String when) {
        if (group.size() == 1) {
            return;
        }
        CRC32C crc = new CRC32C();
        try (PointerScope scope = new PointerScope()) {
            for (Tensor p : Parameters.named(net).values()) {
                Tensor c = p.detach().cpu().contiguous();
                crc.update(MemorySegment.ofAddress(c.data_ptr().address()).reinterpret(c.nbytes()).asByteBuffer());
            }
        }
        long digest = crc.getValue();
        long[] max = group.max(new long[] {digest, -digest}, "the parameter check");
        if (max[0] != digest || -max[1] != digest) {
            throw new DistributedException("the ranks' parameters differ " + when + " (CRC-32C of rank " + group.rank()
                    + ": " + Long.toHexString(digest) + "): they must step identically. Run every rank with the same"
                    + " build of snn and the same libraries");
        }
    }

    /** Frees the flat buffer and the parameter handles; calling it again does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (flat != null) {
            flat.releaseReference();
        }
        trainable.forEach(Tensor::releaseReference);
    }
}
