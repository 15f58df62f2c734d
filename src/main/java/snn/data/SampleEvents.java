package snn.data;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.function.Consumer;

import snn.neurons.SpikeEvents;

/**
 * One sample's non-zero entries, collected in the order of a channel-by-channel scan (by channel, then step) for a
 * batch given as events ({@link SpikeEvents}). Reused from sample to sample by one thread; not thread-safe.
 */
public final class SampleEvents {

    private final int channels;
    private final int steps;
    private int[] positions = new int[1024];
    private float[] values = new float[1024];
    private int count;
    /** The dense scratch of {@link #scan}, made on first use (freed by the garbage collector with this list). */
    private MemorySegment scratch;

    /**
     * An empty list for samples of {@code channels} x {@code steps}.
     *
     * @param channels the samples' channels, 1 to 65536
     * @param steps    the samples' time steps, 1 to 65536
     * @throws IllegalArgumentException when an extent does not fit 16 bits of a position
     */
    public SampleEvents(int channels, int steps) {
        if (channels < 1 || channels > SpikeEvents.MAX_EXTENT || steps < 1 || steps > SpikeEvents.MAX_EXTENT) {
            throw new IllegalArgumentException("events need 1 to " + SpikeEvents.MAX_EXTENT + " channels and steps,"
                    + " got " + channels + " channels and " + steps + " steps");
        }
        this.channels = channels;
        this.steps = steps;
    }

    /**
     * Appends an entry: after every entry added since {@link #clear()}, in the order of the channels and then the
     * steps. A value of 0 is no entry and is skipped.
     *
     * @param channel in {@code [0, channels)}
     * @param step    in {@code [0, steps)}
     * @param value   the entry's value
     * @throws IllegalArgumentException when the place is out of range or does not follow the previous entry's
     */
    public void add(int channel, int step, float value) {
        if (value == 0f) {
            return;
        }
        if (channel < 0 || channel >= channels || step < 0 || step >= steps) {
            throw new IllegalArgumentException("event at channel " + channel + ", step " + step + " is outside "
                    + channels + " channels x " + steps + " steps");
        }
        int position = SpikeEvents.position(channel, step);
        if (count > 0 && position <= positions[count - 1]) {
            throw new IllegalArgumentException("event at channel " + channel + ", step " + step + " does not follow"
                    + " the one before it (channel " + (positions[count - 1] >>> 16) + ", step "
                    + (positions[count - 1] & 0xffff) + "); add events by channel and then step, once each");
        }
        if (count == positions.length) {
            positions = Arrays.copyOf(positions, 2 * count);
            values = Arrays.copyOf(values, 2 * count);
        }
        positions[count] = position;
        values[count] = value;
        count++;
    }

    /**
     * The entries of a sample written densely: {@code writer} adds the sample into a zero-filled region of
     * {@code channels * steps} float32 values laid out as {@link SpikeDataset#writeSample} lays them out, whose
     * non-zero values (NaN included) are then appended in order.
     *
     * @param writer adds the sample's values into the region it is given
     */
    public void scan(Consumer<MemorySegment> writer) {
        long floats = (long) channels * steps;
        if (scratch == null) {
            scratch = Arena.ofAuto().allocate(floats * Float.BYTES, 64);
        }
        scratch.fill((byte) 0);
        writer.accept(scratch);
        for (int c = 0; c < channels; c++) {
            long row = (long) c * steps;
            for (int t = 0; t < steps; t++) {
                float v = scratch.getAtIndex(ValueLayout.JAVA_FLOAT, row + t);
                if (v != 0f) {
                    add(c, t, v);
                }
            }
        }
    }

    /** Empties the list for the next sample. */
    public void clear() {
        count = 0;
    }

    /** {@return the number of entries} */
    public int count() {
        return count;
    }

    /**
     * The place of an entry.
     *
     * @param i in {@code [0, count())}
     * @return {@code channel << 16 | step} ({@link SpikeEvents#position})
     */
    public int position(int i) {
        return positions[i];
    }

    /**
     * The value of an entry.
     *
     * @param i in {@code [0, count())}
     * @return the value, never 0
     */
    public float value(int i) {
        return values[i];
    }

    /** Copies the entries to native memory: positions as int32 at {@code pos}, values as float32 at {@code val}. */
    void copyTo(MemorySegment pos, long posIndex, MemorySegment val, long valIndex) {
        MemorySegment.copy(positions, 0, pos, ValueLayout.JAVA_INT, posIndex * Integer.BYTES, count);
        MemorySegment.copy(values, 0, val, ValueLayout.JAVA_FLOAT, valIndex * Float.BYTES, count);
    }
}
