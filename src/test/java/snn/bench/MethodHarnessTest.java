package snn.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.config.ModelConfig;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

class MethodHarnessTest {

    @BeforeAll
    static void runtime() {
        TorchRuntime.ensureInitialised();
    }

    private static Map<String, float[]> values(SpikingNetwork network) {
        Map<String, float[]> out = new LinkedHashMap<>();
        Parameters.named(network).forEach((name, t) -> out.put(name, Tensors.toArray(t)));
        return out;
    }

    @Test
    void timedStepsRunTheOptimiserWithoutMovingTheParameters() {
        BenchPoint p = new BenchPoint(4, 20, 12, 2, 16, true, true, true, ModelConfig.Kernels.TORCH, false,
                BenchConfig.Scope.NETWORK, 3);
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(7);
            Tensor input = PoissonInput.spikes(p.batch(), p.nIn(), p.tLen());
            SpikingNetwork network = new SpikingNetwork(new Variant(ModelConfig.Kind.DBLOCK, 4).model(p), p.nIn(),
                    p.classes());
            Map<String, float[]> before = values(network);
            MethodHarness harness = new MethodHarness(network, p.scope(), input, PoissonInput.labels(p.batch(),
                    p.classes()));
            MethodHarness.Step first = harness.step();
            MethodHarness.Step second = harness.step();
            assertTrue(first.forwardMs() > 0 && first.backwardMs() > 0 && first.optimizerMs() > 0, first.toString());
            assertTrue(first.spikesPerSample() > 0, "the 2-layer recurrent d-block network should spike");
            assertEquals(first.spikesPerSample(), second.spikesPerSample());
            Map<String, float[]> after = values(network);
            assertEquals(before.keySet(), after.keySet());
            before.forEach((name, v) -> assertArrayEquals(v, after.get(name), name));
        }
    }

    @Test
    void poissonInputIsBinaryWithRatesUpToTwoHundredSpikesPerWindow() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(3);
            float[] x = Tensors.toArray(PoissonInput.spikes(64, 50, 100));
            double[] perSample = new double[64];
            for (int i = 0; i < x.length; i++) {
                assertTrue(x[i] == 0 || x[i] == 1, "entry " + x[i]);
                perSample[i / (50 * 100)] += x[i] / 50.0;
            }
            // A unit emits Poisson(r / T) clipped to 1 per step, r ~ U(0, 200): at most T = 100 spikes per window,
            // and samples spread over that range.
            double min = java.util.Arrays.stream(perSample).min().orElseThrow();
            double max = java.util.Arrays.stream(perSample).max().orElseThrow();
            assertTrue(min < 20 && max > 60, "per-sample spikes per unit range " + min + ".." + max);
            assertTrue(max <= 100);
        }
    }
}
