package snn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;

import snn.config.ModelConfig;

/**
 * The dynamics' floor (docs/benchmarks.md, "Floors"): the arrays each kernel must move, 2 fewer where the kernels
 * project the input themselves, plus that input read once, as events (8 bytes each) or dense.
 */
class VariantFloorTest {

    /** The Fashion-MNIST shape: batch 128, 784 -> 1000, T 100, one hidden layer. */
    private static final BenchPoint FMNIST = new BenchPoint(128, 784, 1000, 1, 100, false, true, true, 0.01, true,
            BenchConfig.Scope.NETWORK, 10, Map.of());

    private static final double ARRAY = 4.0 * 128 * 1000 * 100;

    @Test
    void projectedByLibTorchTheKernelsMoveSixArraysSevenForTheSingleSpikeLif() {
        assertEquals(6 * ARRAY, block().dynamicsFloorBytes(FMNIST, false, -1));
        assertEquals(7 * ARRAY, standard().dynamicsFloorBytes(FMNIST, false, -1));
    }

    @Test
    void projectedByTheKernelsTheCurrentAndItsGradientStayInScratchAndTheInputIsReadOnce() {
        double denseInput = 4.0 * 128 * 784 * 100;
        assertEquals(4 * ARRAY + denseInput, block().dynamicsFloorBytes(FMNIST, true, -1));
        assertEquals(5 * ARRAY + denseInput, standard().dynamicsFloorBytes(FMNIST, true, -1));
        long events = 128L * 784; // one spike per pixel: the latency code
        assertEquals(4 * ARRAY + 8.0 * events, block().dynamicsFloorBytes(FMNIST, true, events), 1e-6);
    }

    private static Variant block() {
        return new Variant(ModelConfig.Kind.BLOCK, null, ModelConfig.Kernels.NATIVE);
    }

    private static Variant standard() {
        return new Variant(ModelConfig.Kind.STANDARD, null, ModelConfig.Kernels.NATIVE);
    }
}
