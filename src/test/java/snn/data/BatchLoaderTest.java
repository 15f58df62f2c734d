package snn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.config.SyntheticConfig;
import snn.neurons.Tensors;
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
}
