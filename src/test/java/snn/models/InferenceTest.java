package snn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.config.ModelConfig;
import snn.config.SyntheticConfig;
import snn.data.DatasetSplits;
import snn.data.SyntheticSpikes;
import snn.runtime.TorchRuntime;

class InferenceTest {

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    @Test
    void recordingShowsEveryLayerAndAgreesWithPrediction() {
        torch.manual_seed(3);
        DatasetSplits data = SyntheticSpikes.splits(SyntheticConfig.builder().classes(3).channels(20).tLen(24).samples(10, 10)
                .noise(4.0, 0.2, 0.2).build(), 1);
        SpikingNetwork net = new SpikingNetwork(ModelConfig.dblock(4).hidden(12, 8).recurrent(true).build(), 20, 3);
        int[] predicted = Inference.predict(net, data.test(), 0, 1, 2, 3);
        for (int i = 0; i < 4; i++) {
            Inference.Recording r = Inference.record(net, data.test(), i);
            assertEquals(3, r.layers().size());
            assertEquals("hidden.0", r.layers().get(0).name());
            assertEquals(12, r.layers().get(0).spikes().length);
            assertEquals(24, r.layers().get(0).spikes()[0].length);
            assertEquals(8, r.layers().get(1).membrane().length);
            assertEquals(3, r.layers().get(2).membrane().length);
            assertEquals(20, r.input().length);
            // Logits are the readout membrane summed over time.
            float[] sums = new float[3];
            for (int c = 0; c < 3; c++) {
                for (float v : r.layers().get(2).membrane()[c]) {
                    sums[c] += v;
                }
            }
            assertArrayEquals(sums, r.logits(), 1e-4f);
            assertEquals(predicted[i], r.predicted());
        }
    }
}
