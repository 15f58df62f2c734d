package snn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.SplittableRandom;

import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.config.SyntheticConfig;
import snn.neurons.SpikeEvents;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * Batches as events: a sparse dataset's batches come as events that describe exactly the dense batch the samples
 * write, the dense form is made on demand, and a dense dataset's batches stay dense.
 */
class BatchEventsTest {

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    /** Event samples of 300 channels x 200 steps, some with events stacked in one bin, some denser than others. */
    private static EventDataset events(int samples, int maxEvents) {
        EventDataset.Builder builder = new EventDataset.Builder("random", 300, 200, 1.0, 5, "memory");
        SplittableRandom random = new SplittableRandom(3);
        for (int s = 0; s < samples; s++) {
            int n = 1 + random.nextInt(maxEvents);
            float[] seconds = new float[n];
            int[] units = new int[n];
            for (int e = 0; e < n; e++) {
                seconds[e] = random.nextInt(250) / 1000f;
                units[e] = random.nextInt(900);
            }
            builder.add(Path.of("memory"), "sample " + s, seconds, units, s % 5);
        }
        return builder.build();
    }

    /** Every batch of an epoch: as events (or dense) as expected, and equal to the samples written densely. */
    private static void checkEpoch(SpikeDataset data, int batchSize, boolean expectEvents) {
        try (BatchLoader loader = new BatchLoader(data, batchSize, true, false, 7)) {
            Iterator<Batch> it = loader.epoch(1);
            while (it.hasNext()) {
                try (PointerScope scope = new PointerScope()) {
                    Batch b = it.next();
                    float[] expected = new float[b.size() * data.channels() * data.timeSteps()];
                    MemorySegment dst = MemorySegment.ofArray(expected);
                    long sampleBytes = 4L * data.channels() * data.timeSteps();
                    for (int i = 0; i < b.size(); i++) {
                        MemorySegment sample = MemorySegment.ofArray(new float[data.channels() * data.timeSteps()]);
                        data.writeSample(b.indices()[i], sample);
                        MemorySegment.copy(sample, 0, dst, i * sampleBytes, sampleBytes);
                    }
                    SpikeEvents events = b.events();
                    if (expectEvents) {
                        assertNotNull(events, "a sparse batch comes as events");
                        events.check();
                        assertEquals(b.size(), events.batch());
                        assertArrayEquals(expected, Tensors.toArray(events.dense()));
                    } else {
                        assertNull(events, "a dense batch comes dense");
                    }
                    assertArrayEquals(expected, Tensors.toArray(b.input()), "the dense form");
                    assertArrayEquals(expected, Tensors.toArray(b.input()), "the dense form, asked again");
                }
            }
        }
    }

    @Test
    void eventDatasetBatchesAreEventsOfTheirDenseBatches() {
        checkEpoch(events(40, 3_000), 16, true);
    }

    @Test
    void eventArraysGrowForBatchesWithMoreEventsThanTheirFirstCapacity() {
        // up to 5 % of the bins per sample, over the 1/64 of the batch's bins the buffers start with
        checkEpoch(events(24, 6_000), 12, true);
    }

    @Test
    void anEmptyShareOfABatchIsAnEmptyDenseBatch() {
        try (BatchLoader loader = new BatchLoader(events(5, 3_000), 4, false, false, 7, new BatchLoader.Share(0, 3));
                PointerScope scope = new PointerScope()) {
            Iterator<Batch> it = loader.epoch(0);
            Batch first = it.next();
            assertEquals(1, first.size());
            assertNotNull(first.events());
            Batch last = it.next();
            assertEquals(0, last.size(), "the last batch has 1 sample, and share 0 of 3 takes none of it");
            assertNull(last.events());
            assertArrayEquals(new long[] {0, 300, 200}, Tensors.shape(last.input()));
        }
    }

    @Test
    void scannedDatasetsComeAsEventsToo() {
        SpikeDataset synthetic = SyntheticSpikes.splits(new SyntheticConfig(3, 8, 20, 50, 10, 2.0, 0.1, 0.02), 5)
                .train();
        checkEpoch(synthetic, 16, true);
    }

    @Test
    void aDenseDatasetKeepsDenseBatches() {
        SpikeDataset dense = new SpikeDataset() {
            @Override
            public int size() {
                return 10;
            }

            @Override
            public int channels() {
                return 6;
            }

            @Override
            public int timeSteps() {
                return 9;
            }

            @Override
            public int classes() {
                return 2;
            }

            @Override
            public int label(int index) {
                return index % 2;
            }

            @Override
            public void writeSample(int index, MemorySegment dst) {
                for (int k = 0; k < 54; k++) {
                    dst.setAtIndex(ValueLayout.JAVA_FLOAT, k, 0.5f + index + k);
                }
            }
        };
        checkEpoch(dense, 4, false);
    }

    @Test
    void sampleEventsKeepTheScanOrderAndRefuseOthers() {
        SampleEvents list = new SampleEvents(3, 4);
        list.add(0, 3, 1f);
        list.add(1, 0, 0f);
        list.add(1, 2, 2f);
        assertEquals(2, list.count(), "a 0 is no event");
        assertEquals(SpikeEvents.position(1, 2), list.position(1));
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> list.add(1, 1, 1f)).getMessage().contains("does not follow"));
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> list.add(3, 0, 1f)).getMessage().contains("outside 3 channels x 4 steps"));
    }
}
