package snn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;

import snn.config.SyntheticConfig;

class SyntheticSpikesTest {

    static final SyntheticConfig CONFIG = new SyntheticConfig(5, 40, 60, 300, 100, 3.0, 0.2, 0.01);

    static float[] sample(SpikeDataset d, int i) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate((long) d.channels() * d.timeSteps() * Float.BYTES);
            d.writeSample(i, s);
            return s.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    @Test
    void samplesAreDeterministicInTheSeed() {
        DatasetSplits a = SyntheticSpikes.splits(CONFIG, 7);
        DatasetSplits b = SyntheticSpikes.splits(CONFIG, 7);
        DatasetSplits c = SyntheticSpikes.splits(CONFIG, 8);
        assertArrayEquals(sample(a.train(), 3), sample(b.train(), 3));
        assertEquals(a.train().label(3), b.train().label(3));
        assertFalse(java.util.Arrays.equals(sample(a.train(), 3), sample(c.train(), 3)));
        assertFalse(java.util.Arrays.equals(sample(a.train(), 3), sample(a.test(), 3)), "test differs from train");
    }

    @Test
    void shapesLabelsAndSpikeCountsAreSane() {
        DatasetSplits s = SyntheticSpikes.splits(CONFIG, 1);
        assertEquals(300, s.train().size());
        assertEquals(100, s.test().size());
        int[] perClass = new int[5];
        for (int i = 0; i < s.train().size(); i++) {
            perClass[s.train().label(i)]++;
        }
        for (int n : perClass) {
            assertTrue(n > 30, "every class is represented: " + java.util.Arrays.toString(perClass));
        }
        float total = 0;
        for (float v : sample(s.train(), 0)) {
            assertTrue(v >= 0);
            total += v;
        }
        // About half of 40 channels fire (minus 20% dropped), plus ~1% of 2400 cells as noise.
        assertTrue(total > 5 && total < 80, "spikes in a sample: " + total);
    }

    @Test
    void classesHaveDifferentTemporalPatterns() {
        DatasetSplits s = SyntheticSpikes.splits(new SyntheticConfig(2, 40, 60, 200, 10, 0.0, 0.0, 0.0), 3);
        float[][] mean = new float[2][40 * 60];
        for (int i = 0; i < 200; i++) {
            float[] x = sample(s.train(), i);
            for (int j = 0; j < x.length; j++) {
                mean[s.train().label(i)][j] += x[j];
            }
        }
        assertFalse(java.util.Arrays.equals(mean[0], mean[1]));
    }
}
