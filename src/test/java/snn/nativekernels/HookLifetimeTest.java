package snn.nativekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.neurons.Beta;
import snn.neurons.BlockLayer;
import snn.neurons.NeuronKernels;
import snn.neurons.Surrogate;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * How long a native-kernel layer can wait for its backward pass: the last {@value NativeKernels#KEPT_CALLS} forward
 * passes work, an older one fails with a clear exception instead of calling freed hooks (a JVM crash).
 */
class HookLifetimeTest {

    static NeuronKernels nativeKernels;

    @BeforeAll
    static void load() {
        TorchRuntime.ensureInitialised();
        nativeKernels = NativeKernels.load().orElse(null);
    }

    private static BlockLayer layer(NeuronKernels kernels) {
        torch.manual_seed(3);
        return new BlockLayer(12, 16, true, new Beta(0.9, true, true), new Surrogate.FastSigmoid(10), kernels);
    }

    private static Tensor input(long seed) {
        torch.manual_seed(seed);
        return torch.rand(new long[] {2, 12, 20}, Tensors.float32()).lt(Tensors.scalar(0.3))
                .to(torch.ScalarType.Float).set_requires_grad(true);
    }

    /** A loss that depends on both outputs, so that both outputs' hooks run. */
    private static Tensor loss(BlockLayer layer, Tensor x) {
        var out = layer.forward(x);
        return out.spikes().sum().add(out.membrane().pow(Tensors.scalar(2)).sum());
    }

    /** Collects garbage several times: hooks that nothing keeps reachable would be freed now. */
    private static void collectGarbage() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
    }

    @Test
    void theBackwardPassOfTheForwardPassBeforeLastStillRuns() throws Exception {
        assumeTrue(nativeKernels != null, "native kernels not built");
        BlockLayer nativeLayer = layer(nativeKernels);
        BlockLayer torchLayer = layer(NeuronKernels.TORCH);
        Tensor x1 = input(1);
        Tensor x2 = input(2);
        Tensor first = loss(nativeLayer, x1);
        loss(nativeLayer, x2); // a second forward pass before the first one's backward pass
        collectGarbage();
        first.backward();
        Tensor xt = x1.detach().clone().set_requires_grad(true);
        loss(torchLayer, xt).backward();
        float[] expected = Tensors.toArray(xt.grad());
        float[] actual = Tensors.toArray(x1.grad());
        assertArrayEquals(expected, actual, 1e-4f, "input gradient of the forward pass before last");
    }

    @Test
    void aBackwardPassAfterTwoLaterForwardPassesFailsClearly() throws Exception {
        assumeTrue(nativeKernels != null, "native kernels not built");
        BlockLayer nativeLayer = layer(nativeKernels);
        Tensor first = loss(nativeLayer, input(1));
        List<Tensor> later = new ArrayList<>();
        for (int i = 0; i < NativeKernels.KEPT_CALLS; i++) {
            later.add(loss(nativeLayer, input(10 + i)));
        }
        collectGarbage();
        RuntimeException e = assertThrows(RuntimeException.class, first::backward);
        String message = String.valueOf(e.getMessage()) + " " + e.getCause();
        assertTrue(message.contains("forward pass after next"), message);
        // The calls still kept work as before.
        later.get(later.size() - 1).backward();
    }
}
