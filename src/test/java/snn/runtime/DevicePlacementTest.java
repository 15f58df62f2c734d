package snn.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.config.ModelConfig;
import snn.config.SurrogateConfig;
import snn.data.SyntheticSpikes;
import snn.models.NetworkOutput;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.neurons.DBlockLayer;
import snn.neurons.LayerOutput;
import snn.training.Evaluator;

/**
 * Tensors land on the run's device. No GPU is available here, so LibTorch's meta device (shapes and types, no
 * memory) stands in for one: a tensor left on the CPU by mistake makes the next elementwise operation fail with
 * "Expected all tensors to be on the same device". The meta device lacks a few kernels (abs, flip, where,
 * logical_and, reading a value), so the models run here with the arctan surrogate and fixed decays, forward and
 * backward where meta allows it; {@code snn.ArchitectureTest} checks that nothing else makes tensors.
 */
class DevicePlacementTest {

    @BeforeEach
    void onMeta() {
        TorchRuntime.init(ThreadSettings.defaults(), Device.META);
    }

    @AfterEach
    void backOnTheCpu() {
        TorchRuntime.init(ThreadSettings.defaults(), Device.CPU);
    }

    private static ModelConfig.Builder onMetaKernels(ModelConfig.Builder b) {
        return b.hidden(6, 5).beta(true, false).surrogate(new SurrogateConfig(SurrogateConfig.Kind.ARCTAN, 2.0));
    }

    @Test
    void theTensorFactoryMakesTensorsOnTheRunsDevice() {
        assertEquals(Device.META, TorchRuntime.device());
        assertEquals(Device.META, Device.of(Tensors.zeros(2, 3)));
        assertEquals(Device.META, Device.of(Tensors.full(0.5, 4)));
        assertEquals(Device.META, Device.of(Tensors.uniform(null, 3)));
        assertEquals(Device.META, Device.of(Tensors.uniform(torch.make_generator_cpu(1), 3)));
        assertEquals(Device.META, Device.of(Tensors.randomLabels(10, 4)));
        Tensor cpu = Tensors.fromArray(new float[] {1, 2}, 2);
        assertEquals(Device.CPU, Device.of(cpu), "Java-filled memory is on the CPU by name");
        assertEquals(Device.META, Device.of(Tensors.onRunDevice(cpu)));
        assertEquals(Device.CPU, Device.of(Tensors.arange(5, torch.ScalarType.Long, cpu)), "follows its model");
        assertEquals(Device.CPU, Device.of(Tensors.empty(Device.CPU, torch.ScalarType.Int, 3)));
    }

    @Test
    void everyModelsParametersAreMadeOnTheRunsDevice() {
        for (ModelConfig model : List.of(ModelConfig.standard().hidden(6, 5).recurrent(true).build(),
                ModelConfig.standard().singleSpike(true).build(), ModelConfig.block().hidden(6, 5).build(),
                ModelConfig.dblock(3).hidden(6).recurrent(true).build())) {
            SpikingNetwork net = new SpikingNetwork(model, 8, 4);
            assertFalse(net.kernelSelection().isNative(), "the native kernels serve the CPU only");
            Map<String, Tensor> params = Parameters.named(net);
            assertTrue(params.size() >= 6, params.keySet().toString());
            params.forEach((name, p) -> assertEquals(Device.META, Device.of(p), model.kind() + ": " + name));
        }
    }

    @Test
    void aStandardNetworkTrainsAStepOnTheRunsDevice() {
        try (PointerScope scope = new PointerScope()) {
            SpikingNetwork net = new SpikingNetwork(onMetaKernels(ModelConfig.standard()).recurrent(true).build(),
                    8, 4);
            Adam adam = new Adam(net.parameters(), new AdamOptions(1e-3));
            Tensor input = Tensors.onRunDevice(Tensors.fromArray(new float[3 * 8 * 10], 3, 8, 10));
            NetworkOutput out = net.forward(input);
            Tensor loss = torch.cross_entropy_loss(out.logits(),
                    Tensors.onRunDevice(Tensors.labels(new long[] {0, 1, 3})));
            loss.backward();
            adam.step();
            assertEquals(Device.META, Device.of(out.logits()));
            out.hiddenSpikes().forEach(s -> assertEquals(Device.META, Device.of(s)));
            Parameters.named(net).forEach((name, p) -> {
                if (p.requires_grad()) {
                    assertEquals(Device.META, Device.of(p.grad()), "gradient of " + name);
                }
            });
        }
    }

    @Test
    void blockAndDBlockNetworksRunForwardOnTheRunsDevice() {
        for (ModelConfig model : List.of(onMetaKernels(ModelConfig.block()).build(),
                onMetaKernels(ModelConfig.dblock(4)).recurrent(true).build(),
                onMetaKernels(ModelConfig.dblock(3)).recurrent(true).recurrentInput(DBlockLayer.RecurrentInput.SUM)
                        .build())) {
            try (PointerScope scope = new PointerScope()) {
                SpikingNetwork net = new SpikingNetwork(model, 8, 4);
                // 150 steps: the membrane in chunks (beyond 128 steps) as well as in one product per chunk.
                Tensor input = Tensors.onRunDevice(Tensors.fromArray(new float[2 * 8 * 150], 2, 8, 150));
                NetworkOutput out = net.forward(input);
                assertEquals(Device.META, Device.of(out.logits()), model.kind().toString());
                for (LayerOutput layer : net.forwardHidden(input)) {
                    assertEquals(Device.META, Device.of(layer.membrane()));
                }
            }
        }
    }

    @Test
    void theEvaluatorMovesEveryBatchToTheRunsDevice() {
        ExperimentConfig config = ConfigLoader.parse("""
                {"name": "meta",
                 "data": {"synthetic": {"classes": 3, "channels": 8, "t_len": 10, "train_samples": 8,
                          "test_samples": 4}},
                 "model": {"kind": "standard", "hidden": [5], "recurrent": true, "learn_beta": false,
                           "surrogate": {"kind": "arctan", "scale": 2}}}""", List.of(), "meta");
        SpikingNetwork net = new SpikingNetwork(config.model(), 8, 3);
        var test = SyntheticSpikes.splits(config.data().synthetic(), 1).test();
        RuntimeException e = assertThrows(RuntimeException.class, () -> Evaluator.evaluate(net, test, 2));
        // It got as far as reading the loss's value, which the meta device cannot give: every tensor before that
        // (the batch and labels moved from the loader's CPU buffers, the network's) was on the meta device, or an
        // elementwise operation would have failed first with "Expected all tensors to be on the same device".
        assertTrue(e.getMessage().contains("_local_scalar_dense") && e.getMessage().contains("Meta"), e.getMessage());
    }
}
