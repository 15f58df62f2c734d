package snn.data;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.random.RandomGenerator;

import snn.config.DataConfig.Encoding;

/**
 * Grey images (MNIST, Fashion-MNIST) kept in memory as bytes and encoded into spikes when a sample is written.
 * Channel {@code row * cols + col} is pixel (row, col), as the reference's {@code Flatten}; intensities are
 * {@code x = value / 255} (float32, as {@code ToTensor}).
 * <ul>
 *   <li>{@link Encoding#LATENCY} (block paper, {@code SingleSpike2DEncoding}): every pixel spikes exactly once, at
 *       step {@code floor((1 - x)(T - 1))}; black pixels fire at the last step.</li>
 *   <li>{@link Encoding#TTFS} (FastSNN v1): a pixel with {@code x > 0.2} spikes once, at
 *       {@code t = 20 ln(x / (x - 0.2))} ms, binned as events are ({@code round-half-even(t / dt)}); darker
 *       pixels, and spikes at or past {@code T}, are silent.</li>
 * </ul>
 * With an {@link ImageAugmentation}, {@link #writeSample(int, MemorySegment, RandomGenerator)} augments the image
 * first (training only); {@link #writeSample(int, MemorySegment)} never augments.
 */
final class ImageDataset implements InspectableDataset {

    /** TTFS membrane time constant, ms. */
    static final float TTFS_TAU_MS = 20f;
    /** TTFS threshold on x: pixels at or below it stay silent. */
    static final float TTFS_THETA = 0.2f;

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final String name;
    private final byte[] pixels;
    private final byte[] labels;
    private final int count;
    private final int rows;
    private final int cols;
    private final int classes;
    private final int timeSteps;
    private final Encoding encoding;
    private final float dtMs;
    private final ImageAugmentation augmentation;
    private final String source;
    /** The encoded step of each byte value, -1 for silent. */
    private final int[] stepOfValue = new int[256];
    private volatile SplitStatistics statistics;

    /**
     * @param images       decoded images; {@code labels[i]} is the class of image {@code i} (validated by the caller)
     * @param augmentation training-time augmentation, or {@code null} for none
     * @param source       the file the images came from, for {@code inspect}
     */
    ImageDataset(String name, IdxReader.Images images, byte[] labels, int classes, int timeSteps, Encoding encoding,
            double dtMs, ImageAugmentation augmentation, String source) {
        this.name = name;
        this.pixels = images.pixels();
        this.count = images.count();
        this.rows = images.rows();
        this.cols = images.cols();
        this.labels = labels;
        this.classes = classes;
        this.timeSteps = timeSteps;
        this.encoding = encoding;
        this.dtMs = (float) dtMs;
        this.augmentation = augmentation;
        this.source = source;
        for (int v = 0; v < 256; v++) {
            stepOfValue[v] = step(v / 255f);
        }
    }

    /** The step at which a pixel of intensity {@code x} in [0, 1] spikes, or -1 if it stays silent. */
    int step(float x) {
        if (encoding == Encoding.LATENCY) {
            int t = (int) ((1f - x) * (timeSteps - 1));
            return Math.min(timeSteps - 1, Math.max(0, t));
        }
        if (!(x > TTFS_THETA)) {
            return -1;
        }
        float ms = TTFS_TAU_MS * (float) Math.log(x / (x - TTFS_THETA));
        double bin = Math.rint(ms / dtMs);
        return bin < timeSteps ? (int) bin : -1;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int channels() {
        return rows * cols;
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
        return labels[index] & 0xFF;
    }

    @Override
    public String name() {
        return name;
    }

    /** Whether {@link #writeSample(int, MemorySegment, RandomGenerator)} augments. */
    public boolean augmenting() {
        return augmentation != null;
    }

    @Override
    public void writeSample(int index, MemorySegment dst) {
        spikes(index, null, (channel, step) -> add(dst, channel, step));
    }

    @Override
    public void writeSample(int index, MemorySegment dst, RandomGenerator random) {
        spikes(index, random, (channel, step) -> add(dst, channel, step));
    }

    /** The spikes straight into the list: at most one per pixel, pixels in channel order. */
    @Override
    public void writeEvents(int index, SampleEvents events) {
        spikes(index, null, (channel, step) -> events.add(channel, step, 1f));
    }

    @Override
    public void writeEvents(int index, SampleEvents events, RandomGenerator random) {
        spikes(index, random, (channel, step) -> events.add(channel, step, 1f));
    }

    /** Receives a sample's spikes, one per spiking pixel, in the order of the pixels. */
    private interface Spikes {
        void accept(int channel, int step);
    }

    /** The spikes of image {@code index}, augmented with {@code random} when it is given and augmentation is on. */
    private void spikes(int index, RandomGenerator random, Spikes out) {
        int n = rows * cols;
        int base = index * n;
        if (random == null || augmentation == null) {
            for (int p = 0; p < n; p++) {
                int t = stepOfValue[pixels[base + p] & 0xFF];
                if (t >= 0) {
                    out.accept(p, t);
                }
            }
            return;
        }
        float[] image = new float[n];
        for (int p = 0; p < n; p++) {
            image[p] = (pixels[base + p] & 0xFF) / 255f;
        }
        augmentation.apply(image, rows, cols, random);
        for (int p = 0; p < n; p++) {
            int t = step(image[p]);
            if (t >= 0) {
                out.accept(p, t);
            }
        }
    }

    private void add(MemorySegment dst, int channel, int step) {
        long offset = ((long) channel * timeSteps + step) * Float.BYTES;
        dst.set(FLOAT, offset, dst.get(FLOAT, offset) + 1f);
    }

    @Override
    public SplitStatistics statistics() {
        SplitStatistics s = statistics;
        if (s == null) {
            statistics = s = computeStatistics();
        }
        return s;
    }

    private SplitStatistics computeStatistics() {
        int n = rows * cols;
        int[] spikes = new int[count];
        int[] labelInts = new int[count];
        long dropped = 0;
        int first = Integer.MAX_VALUE;
        int last = Integer.MIN_VALUE;
        for (int i = 0; i < count; i++) {
            labelInts[i] = label(i);
            for (int p = 0; p < n; p++) {
                int v = pixels[i * n + p] & 0xFF;
                int t = stepOfValue[v];
                if (t >= 0) {
                    spikes[i]++;
                    first = Math.min(first, t);
                    last = Math.max(last, t);
                } else if (encoding == Encoding.TTFS && v / 255f > TTFS_THETA) {
                    spikes[i]++; // a spike at or past T: counted, then dropped by binning
                    dropped++;
                }
            }
        }
        boolean any = first <= last;
        return SplitStatistics.of(source, labelInts, classes, spikes, dropped,
                any ? first * (double) dtMs : 0, any ? last * (double) dtMs : 0);
    }
}
