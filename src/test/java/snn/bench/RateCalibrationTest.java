package snn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.config.ModelConfig;
import snn.core.BenchException;
import snn.models.SpikingNetwork;
import snn.nativekernels.NativeKernels;
import snn.runtime.Device;
import snn.runtime.TorchRuntime;

class RateCalibrationTest {

    @BeforeAll
    static void runtime() {
        TorchRuntime.ensureInitialised();
    }

    private static List<Variant> variants() {
        List<Variant> out = new ArrayList<>(List.of(new Variant(ModelConfig.Kind.BLOCK, null,
                ModelConfig.Kernels.TORCH), new Variant(ModelConfig.Kind.DBLOCK, 4, ModelConfig.Kernels.TORCH),
                Variant.standard(ModelConfig.Kernels.TORCH)));
        if (NativeKernels.choose(ModelConfig.Kernels.NATIVE, Device.CPU).isNative()) {
            out.add(new Variant(ModelConfig.Kind.BLOCK, null, ModelConfig.Kernels.NATIVE));
            out.add(new Variant(ModelConfig.Kind.DBLOCK, 4, ModelConfig.Kernels.NATIVE));
        }
        return out;
    }

    @Test
    void freshNetworksThatFireNothingAreScaledToTheTargetAndKeepItWhileTimed() {
        // a sparse input at which a fresh block network is silent, as at Fashion-MNIST's density
        BenchPoint p = new BenchPoint(16, 120, 40, 2, 48, true, true, true, 0.01, false, BenchConfig.Scope.NETWORK,
                4, Map.of());
        double target = 12;
        for (Variant v : variants()) {
            try (PointerScope scope = new PointerScope()) {
                torch.manual_seed(3);
                Tensor input = PoissonInput.atRate(p.batch(), p.nIn(), p.tLen(), p.inputRate());
                SpikingNetwork network = new SpikingNetwork(v.model(p), p.nIn(), p.classes());
                MethodHarness before = new MethodHarness(network, p.scope(), input,
                        PoissonInput.labels(p.batch(), p.classes()));
                double atRest = before.step().layerSpikes()[1];
                RateCalibration.Result r = RateCalibration.calibrate(network, input, target, v.label());
                MethodHarness harness = new MethodHarness(network, p.scope(), input,
                        PoissonInput.labels(p.batch(), p.classes()));
                double[] timed = harness.step().layerSpikes();
                for (int l = 0; l < 2; l++) {
                    assertEquals(target, r.spikesPerSample()[l], RateCalibration.TOLERANCE * target,
                            v.label() + " layer " + l + ": " + r.describe());
                    assertEquals(r.spikesPerSample()[l], timed[l], 1e-9, v.label() + ": the timed step fires as"
                            + " calibrated");
                    assertTrue(r.gains()[l] > 0, r.describe());
                }
                assertTrue(Math.abs(atRest - target) > RateCalibration.TOLERANCE * target || r.gains()[1] == 1,
                        v.label() + " " + r.describe());
            }
        }
    }

    @Test
    void anUnreachableTargetIsAnErrorNamingTheLayerAndTheBound() {
        BenchPoint p = new BenchPoint(8, 60, 10, 1, 32, false, true, true, 0.05, false, BenchConfig.Scope.NETWORK,
                3, Map.of());
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(3);
            Tensor input = PoissonInput.atRate(p.batch(), p.nIn(), p.tLen(), p.inputRate());
            Variant block = new Variant(ModelConfig.Kind.BLOCK, null, ModelConfig.Kernels.TORCH);
            SpikingNetwork network = new SpikingNetwork(block.model(p), p.nIn(), p.classes());
            BenchException e = assertThrows(BenchException.class,
                    () -> RateCalibration.calibrate(network, input, 25, block.label()));
            assertTrue(e.getMessage().contains("block torch: hidden layer 0 fires ")
                    && e.getMessage().contains("cannot reach target_spikes 25"), e.getMessage());
        }
    }
}
