package snn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import snn.core.DatasetException;

/** The papers' binning rule and the compact event store behind SHD, SSC and N-MNIST. */
class EventDatasetTest {

    private static final Path FILE = Path.of("test.h5");

    @Test
    void binsRoundHalfToEvenInFloat32() {
        assertEquals(0, EventBinning.bin(0.001f, 2f), "0.5 -> 0");
        assertEquals(2, EventBinning.bin(0.003f, 2f), "1.5 -> 2");
        assertEquals(2, EventBinning.bin(0.005f, 2f), "2.5 -> 2");
        assertEquals(4, EventBinning.bin(0.007f, 2f), "3.5 -> 4");
        assertEquals(500, EventBinning.bin(1.0f, 2f));
        assertEquals(0, EventBinning.bin(-0.0009f, 2f), "-0.45 rounds to (minus) zero: kept in bin 0");
        assertTrue(EventBinning.bin(-0.002f, 2f) < 0);
        assertEquals(-1, EventBinning.bin(Float.NaN, 1f));
        assertEquals(Integer.MAX_VALUE, EventBinning.bin(1e30f, 1f));
        // float32(0.2995) * 1000 rounds to exactly 299.5 in float32, hence bin 300; in double it would be 299.
        assertEquals(300, EventBinning.bin((float) (299_500 * 1e-6), 1f));
    }

    @Test
    void channelsWrapModuloTheChannelCount() {
        assertEquals(5, EventBinning.channel(705, 700));
        assertEquals(5, EventBinning.channel(1405, 700));
        assertEquals(699, EventBinning.channel(-1, 700));
        assertEquals(209, EventBinning.channel(209 + 1156, 1156));
    }

    @Test
    void randomSamplesRoundTripThroughTheCompactStore() {
        int channels = 300;
        int steps = 200;
        EventDataset.Builder builder = new EventDataset.Builder("random", channels, steps, 1.0, 5, "memory");
        SplittableRandom random = new SplittableRandom(3);
        float[][] expected = new float[50][channels * steps];
        for (int s = 0; s < 50; s++) {
            int n = 1 + random.nextInt(s == 7 ? 60_000 : 2_000);
            float[] seconds = new float[n];
            int[] units = new int[n];
            for (int e = 0; e < n; e++) {
                seconds[e] = random.nextInt(250) / 1000f;
                units[e] = random.nextInt(channels * 3);
                int bin = EventBinning.bin(seconds[e], 1f);
                if (bin < steps) {
                    expected[s][(units[e] % channels) * steps + bin]++;
                }
            }
            builder.add(FILE, "sample " + s, seconds, units, s % 5);
        }
        EventDataset data = builder.build();
        assertEquals(50, data.size());
        for (int s = 0; s < 50; s++) {
            assertEquals(s % 5, data.label(s));
            assertArrayEquals(expected[s], Fixtures.dense(data, s), "sample " + s);
        }
        assertTrue(max(expected[7]) > 1, "sample 7 is dense enough to stack events in one bin");
    }

    @Test
    void writeSampleAddsToWhatIsAlreadyThere() {
        EventDataset.Builder builder = new EventDataset.Builder("tiny", 2, 3, 1.0, 2, "memory");
        builder.add(FILE, "sample 0", new float[] {0.001f, 0.001f, 0.002f}, new int[] {1, 1, 0}, 1);
        EventDataset data = builder.build();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment segment = arena.allocate(6 * Float.BYTES);
            segment.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 4, 0.5f);
            data.writeSample(0, segment);
            assertArrayEquals(new float[] {0, 0, 1, 0, 2.5f, 0},
                    segment.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT));
        }
    }

    @Test
    void storageIsCompact() {
        int channels = 700;
        int steps = 500;
        EventDataset.Builder builder = new EventDataset.Builder("dense", channels, steps, 2.0, 1, "memory");
        SplittableRandom random = new SplittableRandom(5);
        int n = 5000;
        float[] seconds = new float[n];
        int[] units = new int[n];
        for (int e = 0; e < n; e++) {
            seconds[e] = random.nextFloat();
            units[e] = random.nextInt(channels);
        }
        builder.add(FILE, "sample 0", seconds, units, 0);
        EventDataset data = builder.build();
        assertEquals(n, data.keptEvents(0) + data.statistics().droppedEvents());
        assertEquals(n, data.statistics().events());
        assertTrue(data.storedBytes() <= 1.5 * data.keptEvents(0),
                data.storedBytes() + " bytes for " + data.keptEvents(0) + " events");
    }

    @Test
    void samplesSpreadOverManyPagesReadBackIntact() {
        EventDataset.Builder builder = new EventDataset.Builder("paged", 50, 40, 1.0, 3, "memory", 256);
        SplittableRandom random = new SplittableRandom(9);
        float[][] expected = new float[200][50 * 40];
        for (int s = 0; s < 200; s++) {
            int n = 1 + random.nextInt(s == 100 ? 400 : 40);
            float[] seconds = new float[n];
            int[] units = new int[n];
            for (int e = 0; e < n; e++) {
                seconds[e] = random.nextInt(45) / 1000f;
                units[e] = random.nextInt(50);
                int bin = EventBinning.bin(seconds[e], 1f);
                if (bin < 40) {
                    expected[s][units[e] * 40 + bin]++;
                }
            }
            builder.add(FILE, "sample " + s, seconds, units, s % 3);
        }
        EventDataset data = builder.build();
        assertTrue(data.pageCount() > 10, "pages: " + data.pageCount());
        for (int s = 0; s < 200; s++) {
            assertArrayEquals(expected[s], Fixtures.dense(data, s), "sample " + s);
        }
    }

    @Test
    void unequalTimesAndUnitsAreRejected() {
        EventDataset.Builder builder = new EventDataset.Builder("x", 2, 3, 1.0, 2, "memory");
        DatasetException e = assertThrows(DatasetException.class,
                () -> builder.add(FILE, "sample 4", new float[] {0.001f, 0.002f}, new int[] {1}, 1));
        assertEquals("test.h5: sample 4 has 2 spike times but 1 units", e.getMessage());
    }

    private static float max(float[] values) {
        float m = 0;
        for (float v : values) {
            m = Math.max(m, v);
        }
        return m;
    }
}
