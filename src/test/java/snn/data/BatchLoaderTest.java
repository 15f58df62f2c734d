package snn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.config.SyntheticConfig;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

class BatchLoaderTest {

    static final SpikeDataset DATA = SyntheticSpikes.splits(new SyntheticConfig(3, 8, 20, 50, 10, 2.0, 0.1, 0.02), 5)
            .train();

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    @Test
    void anEpochVisitsEverySampleOnceAndKeepsThePartialBatch() {
        try (BatchLoader loader = new BatchLoader(DATA, 16, true, false, 1)) {
            assertEquals(4, loader.batchesPerEpoch());
            List<Integer> seen = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            Iterator<Batch> it = loader.epoch(0);
            while (it.hasNext()) {
                Batch b = it.next();
                sizes.add(b.size());
                assertArrayEquals(new long[] {b.size(), 8, 20}, Tensors.shape(b.input()));
                for (int i : b.indices()) {
                    seen.add(i);
                }
            }
            assertEquals(List.of(16, 16, 16, 2), sizes);
            assertEquals(50, seen.size());
            assertEquals(50, seen.stream().distinct().count());
        }
    }

    @Test
    void sharesSplitEveryBatchOfTheSameOrderContiguouslyAndEvenly() {
        // 50 samples in batches of 16 (16, 16, 16, 2) over 3 processes: every batch is cut into 3 contiguous slices
        // whose sizes differ by at most one; the short last batch leaves one process with nothing.
        List<List<Integer>> whole = new ArrayList<>();
        try (BatchLoader loader = new BatchLoader(DATA, 16, true, false, 4)) {
            loader.epoch(2).forEachRemaining(b -> whole.add(Arrays.stream(b.indices()).boxed().toList()));
        }
        List<List<List<Integer>>> parts = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            List<List<Integer>> mine = new ArrayList<>();
            try (BatchLoader loader = new BatchLoader(DATA, 16, true, false, 4, new BatchLoader.Share(r, 3))) {
                assertEquals(4, loader.batchesPerEpoch(), "every process steps as often as a single one");
                Iterator<Batch> it = loader.epoch(2);
                while (it.hasNext()) {
                    Batch b = it.next();
                    assertArrayEquals(new long[] {b.size(), 8, 20}, Tensors.shape(b.input()));
                    mine.add(Arrays.stream(b.indices()).boxed().toList());
                }
            }
            parts.add(mine);
        }
        for (int b = 0; b < whole.size(); b++) {
            List<Integer> joined = new ArrayList<>();
            int smallest = Integer.MAX_VALUE;
            int largest = 0;
            for (int r = 0; r < 3; r++) {
                List<Integer> slice = parts.get(r).get(b);
                joined.addAll(slice);
                smallest = Math.min(smallest, slice.size());
                largest = Math.max(largest, slice.size());
            }
            assertEquals(whole.get(b), joined, "batch " + b + " is the processes' slices in rank order");
            assertTrue(largest - smallest <= 1, "batch " + b + " slices differ by at most one sample");
        }
        assertEquals(List.of(List.of(), List.of(whole.get(3).get(0)), List.of(whole.get(3).get(1))),
                List.of(parts.get(0).get(3), parts.get(1).get(3), parts.get(2).get(3)));
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader.Share(2, 2));
    }

    @Test
    void batchesHoldExactlyTheSamplesAndLabels() {
        try (BatchLoader loader = new BatchLoader(DATA, 16, true, false, 1)) {
            Iterator<Batch> it = loader.epoch(3);
            while (it.hasNext()) {
                Batch b = it.next();
                float[] values = Tensors.toArray(b.input());
                float[] labels = Tensors.toArray(b.labels().to(org.bytedeco.pytorch.global.torch.ScalarType.Float));
                int per = 8 * 20;
                for (int i = 0; i < b.size(); i++) {
                    assertArrayEquals(SyntheticSpikesTest.sample(DATA, b.indices()[i]),
                            Arrays.copyOfRange(values, i * per, (i + 1) * per));
                    assertEquals(DATA.label(b.indices()[i]), (int) labels[i]);
                }
            }
        }
    }

    @Test
    void orderIsReproducibleAndChangesPerEpoch() {
        try (BatchLoader a = new BatchLoader(DATA, 16, true, false, 9);
                BatchLoader b = new BatchLoader(DATA, 16, true, false, 9);
                BatchLoader plain = new BatchLoader(DATA, 16, false, false, 9)) {
            assertArrayEquals(a.order(2), b.order(2));
            assertFalse(Arrays.equals(a.order(1), a.order(2)));
            int[] identity = new int[50];
            Arrays.setAll(identity, i -> i);
            assertArrayEquals(identity, plain.order(4));
        }
    }

    /**
     * A dataset whose first {@code writeSample} blocks, ignoring interrupts (as a slow disk read would), until
     * released; it records the writing thread and every write made after {@link #closeReturned} was set.
     */
    static final class Blocking implements SpikeDataset {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicReference<Thread> writer = new AtomicReference<>();
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger writesAfterClose = new AtomicInteger();
        final AtomicBoolean closeReturned = new AtomicBoolean();

        @Override public int size() { return DATA.size(); }
        @Override public int channels() { return DATA.channels(); }
        @Override public int timeSteps() { return DATA.timeSteps(); }
        @Override public int classes() { return DATA.classes(); }
        @Override public int label(int index) { return DATA.label(index); }

        @Override
        public void writeSample(int index, MemorySegment dst) {
            writer.set(Thread.currentThread());
            if (calls.incrementAndGet() == 1) {
                entered.countDown();
                boolean released = false;
                while (!released) {
                    try {
                        released = release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        // ignored on purpose: the loader must cope with a dataset that does not stop at once
                    }
                }
            }
            DATA.writeSample(index, dst);
            if (closeReturned.get()) {
                writesAfterClose.incrementAndGet();
            }
        }
    }

    @Test
    void closeWaitsForAnInFlightPrefetchAndNothingIsWrittenAfterwards() throws Exception {
        Blocking data = new Blocking();
        BatchLoader loader = new BatchLoader(data, 16, false, false, 1);
        loader.epoch(0); // the first batch is now being filled
        assertTrue(data.entered.await(30, TimeUnit.SECONDS), "the prefetch thread started writing");
        Thread releaser = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            data.release.countDown();
        });
        releaser.start();
        loader.close();
        data.closeReturned.set(true);
        Thread prefetch = data.writer.get();
        assertFalse(prefetch.isAlive(), "close() returned while the prefetch thread was still running");
        releaser.join();
        prefetch.join(TimeUnit.SECONDS.toMillis(30));
        assertEquals(0, data.writesAfterClose.get(), "samples written into the buffers after close() returned");
        assertEquals(1, data.calls.get(), "the prefetch abandons its batch after the sample in progress");
        assertThrows(IllegalStateException.class, () -> loader.epoch(1), "a closed loader loads nothing");
        loader.close(); // a second close does nothing
    }

    @Test
    void closeGivesUpWithAClearErrorWhenWriteSampleNeverReturns() throws Exception {
        Blocking data = new Blocking();
        BatchLoader loader = new BatchLoader(data, 16, false, false, 1);
        loader.epoch(0);
        assertTrue(data.entered.await(30, TimeUnit.SECONDS));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> loader.close(Duration.ofMillis(200)));
        assertTrue(e.getMessage().contains("did not stop within 200 ms") && e.getMessage().contains("writeSample"),
                e.getMessage());
        Thread prefetch = data.writer.get();
        assertTrue(prefetch.isAlive());
        data.release.countDown();
        loader.close(); // the thread now stops, and the buffers are freed
        assertFalse(prefetch.isAlive());
        assertEquals(1, data.calls.get());
    }

    @Test
    void theLoaderOwnsItsBuffersWhateverScopeItWasMadeIn() {
        BatchLoader loader;
        try (PointerScope scope = new PointerScope()) {
            loader = new BatchLoader(DATA, 16, false, false, 1);
        }
        try (loader) {
            Iterator<Batch> it = loader.epoch(0);
            Batch b = it.next();
            assertFalse(b.input().isNull(), "the input buffer was freed with the scope it was made in");
            float[] values = Tensors.toArray(b.input());
            int per = 8 * 20;
            for (int i = 0; i < b.size(); i++) {
                assertArrayEquals(SyntheticSpikesTest.sample(DATA, b.indices()[i]),
                        Arrays.copyOfRange(values, i * per, (i + 1) * per));
            }
        }
    }
}
