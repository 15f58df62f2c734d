package snn.data;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import snn.core.DatasetException;

/**
 * Event-based samples (N-MNIST, SHD, SSC) held in memory in compact binned form and scattered into the spike
 * tensor on demand.
 *
 * <p>Each sample's kept events become flat indices {@code channel * timeSteps + bin} (binned by the papers' rule,
 * see {@link EventBinning}); they are sorted and stored as variable-length (LEB128) deltas in large byte pages,
 * about 1.1 to 1.5 bytes per event instead of 8 for the raw (time, unit) pairs. {@link #writeSample} decodes them
 * and adds 1 per event, so events sharing a (channel, bin) add up. Read-only after construction, hence safe for
 * concurrent {@code writeSample} calls.
 */
final class EventDataset implements InspectableDataset {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final String name;
    private final int channels;
    private final int timeSteps;
    private final int classes;
    private final int[] labels;
    private final byte[][] pages;
    private final int[] samplePage;
    private final int[] sampleStart;
    private final int[] sampleEnd;
    private final SplitStatistics statistics;

    private EventDataset(Builder b, SplitStatistics statistics) {
        this.name = b.name;
        this.channels = b.channels;
        this.timeSteps = b.timeSteps;
        this.classes = b.classes;
        this.labels = Arrays.copyOf(b.labels, b.size);
        this.pages = b.pages.toArray(byte[][]::new);
        this.samplePage = Arrays.copyOf(b.samplePage, b.size);
        this.sampleStart = Arrays.copyOf(b.sampleStart, b.size);
        this.sampleEnd = Arrays.copyOf(b.sampleEnd, b.size);
        this.statistics = statistics;
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int timeSteps() {
        return timeSteps;
    }

    @Override
    public int classes() {
        return classes;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public SplitStatistics statistics() {
        return statistics;
    }

    /** Events of sample {@code index} kept by binning (each adds 1 to the tensor). */
    public int keptEvents(int index) {
        byte[] page = pages[samplePage[index]];
        int count = 0;
        for (int pos = sampleStart[index], end = sampleEnd[index]; pos < end; pos++) {
            if (page[pos] >= 0) {
                count++;
            }
        }
        return count;
    }

    /** Bytes used to store the events of all samples. */
    long storedBytes() {
        long bytes = 0;
        for (int i = 0; i < size(); i++) {
            bytes += sampleEnd[i] - sampleStart[i];
        }
        return bytes;
    }

    /** Number of byte pages holding the events. */
    int pageCount() {
        return pages.length;
    }

    @Override
    public void writeSample(int index, MemorySegment dst) {
        decode(index, (flat, count) -> add(dst, flat, count));
    }

    /** Decodes the sample's events straight into the list: its flat indices are sorted by channel and then bin. */
    @Override
    public void writeEvents(int index, SampleEvents events) {
        decode(index, (flat, count) -> events.add(flat / timeSteps, flat % timeSteps, count));
    }

    /** Receives a sample's distinct flat indices in increasing order, each with its number of events. */
    private interface Runs {
        void accept(int flat, float count);
    }

    private void decode(int index, Runs runs) {
        byte[] page = pages[samplePage[index]];
        int pos = sampleStart[index];
        int end = sampleEnd[index];
        int flat = 0;
        int runIndex = -1;
        float runCount = 0;
        while (pos < end) {
            int b = page[pos++];
            int delta = b & 0x7F;
            for (int shift = 7; b < 0; shift += 7) {
                b = page[pos++];
                delta |= (b & 0x7F) << shift;
            }
            flat += delta;
            if (flat == runIndex) {
                runCount++;
                continue;
            }
            if (runIndex >= 0) {
                runs.accept(runIndex, runCount);
            }
            runIndex = flat;
            runCount = 1;
        }
        if (runIndex >= 0) {
            runs.accept(runIndex, runCount);
        }
    }

    private static void add(MemorySegment dst, int floatIndex, float value) {
        long offset = (long) floatIndex * Float.BYTES;
        dst.set(FLOAT, offset, dst.get(FLOAT, offset) + value);
    }

    /**
     * Collects samples one at a time: checks them, bins their events and encodes them compactly. Not thread-safe.
     */
    static final class Builder {
        private static final int DEFAULT_PAGE_BYTES = 1 << 26;

        private final String name;
        private final int channels;
        private final int timeSteps;
        private final int classes;
        private final float dtMs;
        private final String source;
        private final int pageBytes;
        private final List<byte[]> pages = new ArrayList<>();
        private byte[] page;
        private int pageUsed;
        private int[] labels = new int[1024];
        private int[] samplePage = new int[1024];
        private int[] sampleStart = new int[1024];
        private int[] sampleEnd = new int[1024];
        private int[] eventsPerSample = new int[1024];
        private int size;
        private int[] flat = new int[1024];
        private long dropped;
        private double firstMs = Double.POSITIVE_INFINITY;
        private double lastMs = Double.NEGATIVE_INFINITY;

        /**
         * @param source shown by {@code inspect} as where the samples came from
         */
        Builder(String name, int channels, int timeSteps, double dtMs, int classes, String source) {
            this(name, channels, timeSteps, dtMs, classes, source, DEFAULT_PAGE_BYTES);
        }

        /** As the other constructor, with pages of {@code pageBytes} (small pages exercise paging in tests). */
        Builder(String name, int channels, int timeSteps, double dtMs, int classes, String source, int pageBytes) {
            this.pageBytes = pageBytes;
            this.name = name;
            this.channels = channels;
            this.timeSteps = timeSteps;
            this.classes = classes;
            this.dtMs = (float) dtMs;
            this.source = source;
            page = new byte[Math.min(1 << 16, pageBytes)];
            pages.add(page);
        }

        /**
         * Adds one sample.
         *
         * @param file    the file it comes from, for error messages
         * @param what    which sample, for error messages (e.g. "sample 17")
         * @param seconds event times in seconds (as float32, like the reference)
         * @param units   event units; {@code seconds.length} of them
         * @throws DatasetException on an empty sample, a label out of range, or a negative or NaN time
         */
        void add(Path file, String what, float[] seconds, int[] units, int label) {
            if (label < 0 || label >= classes) {
                throw new DatasetException(file, what + " has label " + label + ", outside 0.." + (classes - 1)
                        + " (" + name + " has " + classes + " classes)");
            }
            int n = seconds.length;
            if (n != units.length) {
                throw new DatasetException(file, what + " has " + n + " spike times but " + units.length + " units");
            }
            if (n == 0) {
                throw new DatasetException(file, what + " is empty (no spikes)");
            }
            if (flat.length < n) {
                flat = new int[Math.max(n, flat.length * 2)];
            }
            int kept = 0;
            for (int e = 0; e < n; e++) {
                float t = seconds[e];
                int bin = EventBinning.bin(t, dtMs);
                if (bin < 0) {
                    throw new DatasetException(file, what + " has spike time " + t + " s at position " + e
                            + "; times must be >= 0");
                }
                double ms = t * 1000.0;
                firstMs = Math.min(firstMs, ms);
                lastMs = Math.max(lastMs, ms);
                if (bin >= timeSteps) {
                    dropped++;
                    continue;
                }
                flat[kept++] = EventBinning.channel(units[e], channels) * timeSteps + bin;
            }
            Arrays.sort(flat, 0, kept);
            append(flat, kept);
            ensureSampleCapacity();
            labels[size] = label;
            eventsPerSample[size] = n;
            size++;
        }

        private void ensureSampleCapacity() {
            if (size == labels.length) {
                int grown = labels.length * 2;
                labels = Arrays.copyOf(labels, grown);
                samplePage = Arrays.copyOf(samplePage, grown);
                sampleStart = Arrays.copyOf(sampleStart, grown);
                sampleEnd = Arrays.copyOf(sampleEnd, grown);
                eventsPerSample = Arrays.copyOf(eventsPerSample, grown);
            }
        }

        /** Encodes sorted flat indices as LEB128 deltas into the current page. */
        private void append(int[] sorted, int count) {
            ensureSampleCapacity();
            long worst = 5L * count;
            if (pageUsed + worst > page.length) {
                if (pageUsed + worst <= pageBytes) {
                    page = Arrays.copyOf(page, (int) Math.min(pageBytes, Math.max(2L * page.length, pageUsed + worst)));
                    pages.set(pages.size() - 1, page);
                } else {
                    pages.set(pages.size() - 1, Arrays.copyOf(page, pageUsed));
                    page = new byte[(int) Math.max(worst, Math.min(1 << 20, pageBytes))];
                    pageUsed = 0;
                    pages.add(page);
                }
            }
            samplePage[size] = pages.size() - 1;
            sampleStart[size] = pageUsed;
            int previous = 0;
            for (int i = 0; i < count; i++) {
                int delta = sorted[i] - previous;
                previous = sorted[i];
                while ((delta & ~0x7F) != 0) {
                    page[pageUsed++] = (byte) ((delta & 0x7F) | 0x80);
                    delta >>>= 7;
                }
                page[pageUsed++] = (byte) delta;
            }
            sampleEnd[size] = pageUsed;
        }

        EventDataset build() {
            pages.set(pages.size() - 1, Arrays.copyOf(page, pageUsed));
            int[] finalLabels = Arrays.copyOf(labels, size);
            SplitStatistics stats = SplitStatistics.of(source, finalLabels, classes,
                    Arrays.copyOf(eventsPerSample, size), dropped, firstMs, lastMs);
            return new EventDataset(this, stats);
        }
    }
}
