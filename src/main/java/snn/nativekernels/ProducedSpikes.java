package snn.nativekernels;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.bytedeco.pytorch.Tensor;

import snn.runtime.Tensors;

/**
 * The spike tensors native calls produced, as consumers find them (docs/native-kernels.md, "Bits between"): a call
 * whose layer projects its input event by event and whose input is such a tensor reads the events' positions from the
 * producer's bit mask instead of scanning the float spikes, and, when it is the tensor autograd tracks, hands its
 * {@code dL/dI} to the producer's backward pass instead of writing {@code dL/dx}.
 *
 * <p>An entry lives exactly as long as the producer's saved state (which holds the spikes' memory, so no other tensor
 * can have its address meanwhile): registered after the forward kernel of a call with a graph, removed before the
 * saved state is released. A consumer takes it only when the tensor is the same one, at the version the forward
 * kernel left it: a spike tensor changed in place is scanned as any input is.
 */
final class ProducedSpikes {

    /**
     * One producer's spikes.
     *
     * @param impl     the address of the spikes' {@code TensorImpl}: the tensor autograd tracks
     * @param shape    their shape {@code [batch, neurons, steps]}
     * @param alias    a detached alias of the spikes (the producer's saved one), for their version
     * @param version  the version the forward kernel left them at
     * @param bits     where they are non-zero, {@code [batch, neurons, ceil(steps / 64)]} 64-bit words as int32 pairs
     * @param nan      int32 {@code [batch]}: 1 for a sample with a NaN spike (its values are read from the spikes)
     * @param backward the producer's backward pass, which adds a consumer's share of the spikes' gradient
     * @param claimed  whether a consumer hands its gradient to the producer: one may (the others return dL/dx)
     */
    record Producer(long impl, long[] shape, Tensor alias, long version, Tensor bits, Tensor nan,
            NativeBackward backward,
            AtomicBoolean claimed) {

        /** {@return true for the first consumer that asks: it hands its input's gradient to the producer} */
        boolean claim() {
            return claimed.compareAndSet(false, true);
        }

        /**
         * {@return whether {@code x} is these spikes, unchanged since the forward kernel wrote them}
         *
         * @param x a consumer's input, contiguous
         */
        boolean matches(Tensor x) {
            return Arrays.equals(Tensors.shape(x), shape) && alias._version() == version;
        }

        /**
         * {@return whether {@code x} is the tensor autograd tracks as the producer's output (not another tensor over
         * the same memory), so that the producer's backward pass receives the gradient that reaches {@code x}}
         *
         * @param x a consumer's input that {@link #matches}
         */
        boolean isOutput(Tensor x) {
            return x.unsafeGetTensorImpl().address() == impl;
        }
    }

    private static final Map<Long, Producer> BY_DATA = new ConcurrentHashMap<>();

    /** Consumer calls that read a producer's bit mask, and gradients handed to producers, since the JVM started. */
    private static final AtomicLong BITS_READ = new AtomicLong();
    private static final AtomicLong HANDED_OVER = new AtomicLong();

    /** Whether consumers look producers up: off only in tests that compare with the scanning path. */
    private static volatile boolean enabled = true;

    private ProducedSpikes() {
    }

    /**
     * Registers a call's spikes until its saved state is released.
     *
     * @param spikes   the output the caller receives
     * @param alias    the call's saved detached alias of it
     * @param bits     the bit mask the forward kernel wrote
     * @param nan      the samples with a NaN spike, as the forward kernel marked them
     * @param backward the call's backward pass
     * @param lifetime the call's lifetime, whose saved state holds {@code alias} and {@code bits}
     */
    static void register(Tensor spikes, Tensor alias, Tensor bits, Tensor nan, NativeBackward backward,
            CallLifetime lifetime) {
        long data = alias.data_ptr().address();
        Producer p = new Producer(spikes.unsafeGetTensorImpl().address(), Tensors.shape(spikes), alias,
                alias._version(), bits, nan, backward, new AtomicBoolean());
        BY_DATA.put(data, p);
        lifetime.onSavedGone(() -> BY_DATA.remove(data, p));
    }

    /**
     * The producer of a consumer's input, if a native call produced it and it is unchanged.
     *
     * @param x the consumer's input, contiguous float32 {@code [batch, channels, steps]}
     * @return the producer, or empty
     */
    static Optional<Producer> of(Tensor x) {
        if (!enabled) {
            return Optional.empty();
        }
        Producer p = BY_DATA.get(x.data_ptr().address());
        return p != null && p.matches(x) ? Optional.of(p) : Optional.empty();
    }

    /** Counts a consumer call that reads a producer's bit mask. */
    static void noteBitsRead() {
        BITS_READ.incrementAndGet();
    }

    /** Counts a consumer's gradient handed to its producer. */
    static void noteHandedOver() {
        HANDED_OVER.incrementAndGet();
    }

    /** {@return consumer calls that read a producer's bit mask so far} */
    static long bitsRead() {
        return BITS_READ.get();
    }

    /** {@return consumers' gradients handed to producers so far} */
    static long handedOver() {
        return HANDED_OVER.get();
    }

    /** {@return the producers registered now (for tests: none once their graphs are gone)} */
    static int registered() {
        return BY_DATA.size();
    }

    /**
     * Turns the hand-over on or off for the calls that start afterwards, on every thread (tests compare both paths).
     *
     * @param on whether consumers look producers up
     * @return the previous setting
     */
    static boolean enable(boolean on) {
        boolean was = enabled;
        enabled = on;
        return was;
    }
}
