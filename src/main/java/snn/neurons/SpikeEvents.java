package snn.neurons;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Device;
import snn.runtime.Tensors;

/**
 * A batch of sparse input {@code [batch, channels, steps]} given by its non-zero entries (compressed sparse rows, one
 * row per sample) instead of a dense tensor: sample {@code b}'s events are {@code offsets[b] .. offsets[b + 1]} of
 * {@code positions} ({@code channel << 16 | step}) and {@code values}, sorted by channel and then step, each
 * position at most once, every value non-zero. That order is the order in which a channel-by-channel scan of the
 * dense tensor meets them, so a layer that projects its input event by event sums exactly what it sums from the
 * dense tensor ({@link #dense()}), in the same order.
 *
 * <p>The tensors are CPU tensors; their memory belongs to whoever made them (a {@code BatchLoader}'s buffers are valid
 * until its next batch). The canonical constructor checks shapes and types only; {@link #of} and {@link #check}
 * check the events themselves, and the native kernels check them again before they read any.
 *
 * @param offsets   int64 {@code [batch + 1]}, starting at 0, not decreasing
 * @param positions int32 {@code [>= offsets[batch]]}: {@code channel << 16 | step}
 * @param values    float32, as many as {@code positions}
 * @param channels  channels of the dense input (at most 65536)
 * @param steps     time steps of the dense input (at most 65536)
 */
public record SpikeEvents(Tensor offsets, Tensor positions, Tensor values, long channels, long steps) {

    /**
     * Largest fraction of non-zero entries for which an input is handled as events: denser inputs are projected by
     * a matrix product (the kernels' choice, made on a batch's first sample), and a batch loader hands them out
     * dense.
     */
    public static final double MAX_DENSITY = 0.1;

    /** Largest channel count and step count a position can hold (16 bits each). */
    public static final long MAX_EXTENT = 1L << 16;

    /**
     * Checks shapes and types.
     *
     * @throws IllegalArgumentException when a tensor has another type, rank or length than documented, or the
     *                                  extents are not in {@code 1 .. 65536}
     */
    public SpikeEvents {
        if (channels < 1 || channels > MAX_EXTENT || steps < 1 || steps > MAX_EXTENT) {
            throw new IllegalArgumentException("input events need 1 to " + MAX_EXTENT + " channels and steps, got "
                    + channels + " channels and " + steps + " steps");
        }
        require(offsets, "offsets", torch.ScalarType.Long);
        require(positions, "positions", torch.ScalarType.Int);
        require(values, "values", torch.ScalarType.Float);
        if (offsets.size(0) < 2) {
            throw new IllegalArgumentException("input event offsets need batch + 1 >= 2 entries, got "
                    + offsets.size(0));
        }
        if (positions.size(0) != values.size(0)) {
            throw new IllegalArgumentException("input events have " + positions.size(0) + " positions but "
                    + values.size(0) + " values");
        }
    }

    private static void require(Tensor t, String name, torch.ScalarType type) {
        if (t.dim() != 1 || t.scalar_type().intern() != type || !t.device().is_cpu() || !t.is_contiguous()) {
            throw new IllegalArgumentException("input event " + name + " must be a contiguous 1-d CPU " + type
                    + " tensor, got " + Arrays.toString(Tensors.shape(t)) + " " + t.scalar_type().intern());
        }
    }

    /**
     * Events checked in full ({@link #check}).
     *
     * @return the events
     * @throws IllegalArgumentException as {@link #check} and the constructor
     */
    public static SpikeEvents of(Tensor offsets, Tensor positions, Tensor values, long channels, long steps) {
        SpikeEvents events = new SpikeEvents(offsets, positions, values, channels, steps);
        events.check();
        return events;
    }

    /**
     * The events of a dense input: its non-zero entries (NaN included), in the order of a channel-by-channel scan.
     *
     * @param x float32 {@code [batch >= 1, channels, steps]} on the CPU, channels and steps at most 65536
     * @return new events describing {@code x} (their tensors are new CPU memory)
     * @throws IllegalArgumentException when {@code x} has another type, rank or device, or an extent is out of range
     */
    public static SpikeEvents fromDense(Tensor x) {
        if (x.dim() != 3 || x.scalar_type().intern() != torch.ScalarType.Float || !x.device().is_cpu()
                || x.size(0) < 1) {
            throw new IllegalArgumentException("events are made of a float32 CPU tensor [batch >= 1, channels, steps],"
                    + " got " + Arrays.toString(Tensors.shape(x)) + " " + x.scalar_type().intern());
        }
        long batch = x.size(0);
        long channels = x.size(1);
        long steps = x.size(2);
        Tensor dense = x.contiguous();
        Tensor offsets = Tensors.empty(Device.CPU, torch.ScalarType.Long, batch + 1);
        long total = dense.count_nonzero().item_long();
        Tensor positions = Tensors.empty(Device.CPU, torch.ScalarType.Int, total);
        Tensor values = Tensors.empty(Device.CPU, torch.ScalarType.Float, total);
        MemorySegment src = segment(dense);
        MemorySegment off = segment(offsets);
        MemorySegment pos = segment(positions);
        MemorySegment val = segment(values);
        long e = 0;
        off.setAtIndex(ValueLayout.JAVA_LONG, 0, 0L);
        for (long b = 0; b < batch; b++) {
            for (long c = 0; c < channels; c++) {
                long row = (b * channels + c) * steps;
                for (long t = 0; t < steps; t++) {
                    float v = src.getAtIndex(ValueLayout.JAVA_FLOAT, row + t);
                    if (v != 0f) {
                        pos.setAtIndex(ValueLayout.JAVA_INT, e, position((int) c, (int) t));
                        val.setAtIndex(ValueLayout.JAVA_FLOAT, e, v);
                        e++;
                    }
                }
            }
            off.setAtIndex(ValueLayout.JAVA_LONG, b + 1, e);
        }
        return new SpikeEvents(offsets, positions, values, channels, steps);
    }

    /**
     * The position of an event.
     *
     * @param channel in {@code [0, 65536)}
     * @param step    in {@code [0, 65536)}
     * @return {@code channel << 16 | step}
     */
    public static int position(int channel, int step) {
        return channel << 16 | step;
    }

    /**
     * Checks the events: offsets start at 0, do not decrease and stay within the arrays; in every sample the positions
     * increase strictly, channel below {@link #channels()}, step below {@link #steps()}; every value is non-zero.
     *
     * @throws IllegalArgumentException naming the first sample and event that break a rule
     */
    public void check() {
        long[] off = longs(offsets);
        long stored = positions.size(0);
        if (off[0] != 0) {
            throw new IllegalArgumentException("input event offsets must start at 0, got " + off[0]);
        }
        MemorySegment pos = segment(positions);
        MemorySegment val = segment(values);
        for (int b = 0; b + 1 < off.length; b++) {
            if (off[b + 1] < off[b] || off[b + 1] > stored) {
                throw new IllegalArgumentException("input event offsets of sample " + b + " run from " + off[b]
                        + " to " + off[b + 1] + "; expected non-decreasing offsets within the " + stored
                        + " events");
            }
            int previous = -1;
            for (long e = off[b]; e < off[b + 1]; e++) {
                int p = pos.getAtIndex(ValueLayout.JAVA_INT, e);
                long channel = p >>> 16;
                long step = p & 0xffff;
                if (channel >= channels || step >= steps) {
                    throw new IllegalArgumentException("input event " + (e - off[b]) + " of sample " + b
                            + " is at channel " + channel + ", step " + step + "; expected channel < " + channels
                            + " and step < " + steps);
                }
                if (e > off[b] && Integer.compareUnsigned(p, previous) <= 0) {
                    throw new IllegalArgumentException("input event " + (e - off[b]) + " of sample " + b
                            + " (channel " + channel + ", step " + step + ") does not follow the one before it"
                            + " (channel " + (previous >>> 16) + ", step " + (previous & 0xffff) + "); expected"
                            + " each sample's events sorted by channel and then step, without repeats");
                }
                if (val.getAtIndex(ValueLayout.JAVA_FLOAT, e) == 0f) {
                    throw new IllegalArgumentException("input event " + (e - off[b]) + " of sample " + b
                            + " (channel " + channel + ", step " + step + ") has the value 0; events are the"
                            + " non-zero entries");
                }
                previous = p;
            }
        }
    }

    /** {@return the number of samples} */
    public long batch() {
        return offsets.size(0) - 1;
    }

    /**
     * The number of events of a sample.
     *
     * @param sample in {@code [0, batch())}
     * @return {@code offsets[sample + 1] - offsets[sample]}
     */
    public long sampleEvents(int sample) {
        MemorySegment off = segment(offsets);
        return off.getAtIndex(ValueLayout.JAVA_LONG, sample + 1) - off.getAtIndex(ValueLayout.JAVA_LONG, sample);
    }

    /**
     * The dense input the events describe, in new CPU memory (checked first: bad events never write out of bounds).
     *
     * @return float32 {@code [batch, channels, steps]}: each event's value at its place, zero elsewhere
     * @throws IllegalArgumentException as {@link #check}
     */
    public Tensor dense() {
        Tensor out = Tensors.zeros(Device.CPU, batch(), channels, steps);
        writeDense(segment(out));
        return out;
    }

    /**
     * Writes each event's value at its place in {@code dst}, a zero-filled region of at least
     * {@code batch * channels * steps} float32 values laid out {@code [batch, channels, steps]} (checked first: bad
     * events never write out of bounds).
     *
     * @param dst the region, zero where no event falls
     * @throws IllegalArgumentException as {@link #check}, or when {@code dst} is too small
     */
    public void writeDense(MemorySegment dst) {
        check();
        if (dst.byteSize() < batch() * channels * steps * Float.BYTES) {
            throw new IllegalArgumentException("a dense region of " + dst.byteSize() + " bytes cannot hold "
                    + batch() + " x " + channels + " x " + steps + " floats");
        }
        long[] off = longs(offsets);
        MemorySegment pos = segment(positions);
        MemorySegment val = segment(values);
        for (int b = 0; b + 1 < off.length; b++) {
            long base = b * channels * steps;
            for (long e = off[b]; e < off[b + 1]; e++) {
                int p = pos.getAtIndex(ValueLayout.JAVA_INT, e);
                dst.setAtIndex(ValueLayout.JAVA_FLOAT, base + (long) (p >>> 16) * steps + (p & 0xffff),
                        val.getAtIndex(ValueLayout.JAVA_FLOAT, e));
            }
        }
    }

    private static long[] longs(Tensor t) {
        return segment(t).toArray(ValueLayout.JAVA_LONG);
    }

    private static MemorySegment segment(Tensor t) {
        // an empty tensor has no memory
        return t.numel() == 0 ? MemorySegment.NULL
                : MemorySegment.ofAddress(t.data_ptr().address()).reinterpret(t.nbytes());
    }
}
