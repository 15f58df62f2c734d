package snn.data;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.SplittableRandom;

import snn.config.DataConfig;

/**
 * Measures how fast SHD-sized event data loads and how long one epoch of training batches takes to assemble
 * (a developer benchmark, compiled with the JMH sources by the {@code jmh} Maven profile; not in the jar). Generate
 * the input first, then run with the build's classpath:
 *
 * <pre>
 * /usr/bin/python3 src/test/resources/fixtures/make_fixtures.py --benchmark /tmp/shd-bench
 * bin/mvn -B -q -DskipTests package &amp;&amp; bin/mvn -B -q -Pjmh test-compile
 * java -cp target/test-classes:target/classes:target/lib/* snn.data.LoadBenchmark /tmp/shd-bench [epochs] [step-ms]
 * </pre>
 *
 * It reports: the time to read {@code shd_train.h5} into memory (jhdf, binning, compact encoding) and the memory the
 * events take; the time to assemble an epoch of {@code [128, 700, 500]} float32 batches into one reused off-heap
 * buffer (zeroing plus scattering the events); and the time per epoch through {@link BatchLoader} (tensor memory,
 * shuffling, background prefetch), first with nothing else to do, then with a simulated training step of
 * {@code step-ms} (default 100) per batch, to show how much of the loading the prefetch hides.
 */
public final class LoadBenchmark {

    private LoadBenchmark() {
    }

    /**
     * Runs the measurements and prints them.
     *
     * @param args the input folder (default {@code /tmp/shd-bench}), then optionally the epochs (default 3) and the
     *             simulated training step in ms (default 100)
     */
    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/shd-bench");
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        long stepMillis = args.length > 2 ? Long.parseLong(args[2]) : 100;
        if (!Files.isRegularFile(dir.resolve("shd_train.h5"))) {
            System.err.println("no " + dir.resolve("shd_train.h5") + "; generate it with\n  /usr/bin/python3"
                    + " src/test/resources/fixtures/make_fixtures.py --benchmark " + dir);
            System.exit(2);
        }
        DataConfig cfg = DataConfig.builder("shd").root(dir).tLen(500).dtMs(2.0).build();
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long heapBefore = rt.totalMemory() - rt.freeMemory();
        long t0 = System.nanoTime();
        EventDataset train = (EventDataset) Datasets.openSplit(cfg, "train");
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        System.gc();
        long heapAfter = rt.totalMemory() - rt.freeMemory();
        SplitStatistics s = train.statistics();
        System.out.printf(Locale.ROOT, "load: %d samples, %d events (%d dropped) in %.2f s; events stored in %.1f MB"
                + " (%.2f bytes per kept event); heap growth %.1f MB%n", s.samples(), s.events(), s.droppedEvents(),
                loadSeconds, train.storedBytes() / 1e6, train.storedBytes() / (double) (s.events() - s.droppedEvents()),
                (heapAfter - heapBefore) / 1e6);

        int batch = 128;
        long sampleBytes = (long) train.channels() * train.timeSteps() * Float.BYTES;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(batch * sampleBytes, 64);
            for (int epoch = 0; epoch < epochs; epoch++) {
                int[] order = shuffled(train.size(), epoch);
                long zeroNanos = 0;
                long scatterNanos = 0;
                for (int from = 0; from < order.length; from += batch) {
                    int n = Math.min(batch, order.length - from);
                    long a = System.nanoTime();
                    buffer.asSlice(0, n * sampleBytes).fill((byte) 0);
                    long b = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        train.writeSample(order[from + i], buffer.asSlice(i * sampleBytes, sampleBytes));
                    }
                    scatterNanos += System.nanoTime() - b;
                    zeroNanos += b - a;
                }
                int batches = (order.length + batch - 1) / batch;
                System.out.printf(Locale.ROOT, "plain segment, epoch %d: %d batches in %.2f s (zeroing %.2f s,"
                        + " scattering events %.2f s; %.1f ms per batch)%n", epoch, batches,
                        (zeroNanos + scatterNanos) / 1e9, zeroNanos / 1e9, scatterNanos / 1e9,
                        (zeroNanos + scatterNanos) / 1e6 / batches);
            }
        }

        try (BatchLoader loader = new BatchLoader(train, batch, true, true, 42)) {
            for (int epoch = 0; epoch <= epochs; epoch++) {
                long step = epoch == epochs ? stepMillis : 0;
                long start = System.nanoTime();
                long waited = 0;
                int batches = 0;
                Iterator<Batch> it = loader.epoch(epoch);
                while (it.hasNext()) {
                    long w = System.nanoTime();
                    it.next();
                    waited += System.nanoTime() - w;
                    batches++;
                    sleep(step);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "BatchLoader, epoch %d%s: %d batches of [%d, %d, %d] in %.2f s;"
                        + " the consumer waited %.1f ms per batch%n", epoch,
                        step > 0 ? " with a simulated " + step + " ms training step" : "", batches, batch,
                        train.channels(), train.timeSteps(), seconds, waited / 1e6 / batches);
            }
        }
    }

    private static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int[] shuffled(int n, long seed) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        return order;
    }
}
