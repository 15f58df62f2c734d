package snn.neurons;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.models.Parameters;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/** Identities between the three dynamics that the papers state (docs/specification.md 3.3 and 4.3). */
class EquivalenceTest {

    static final Surrogate SURROGATE = new Surrogate.FastSigmoid(10);

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    static Tensor binaryInput(long seed, int batch, int inputs, int steps, double rate) {
        torch.manual_seed(seed);
        return torch.rand(new long[] {batch, inputs, steps}, Tensors.float32()).lt(Tensors.scalar(rate))
                .to(torch.ScalarType.Float);
    }

    /** Gives {@code to} the parameter values of {@code from} (same names). */
    static void copyParameters(Module from, Module to) {
        Map<String, Tensor> values = Parameters.named(from);
        Parameters.load(to, values);
    }

    @Test
    void blockLayerSpikesEqualTheStandardSingleSpikeLayer() {
        for (boolean perNeuron : new boolean[] {true, false}) {
            for (long seed = 1; seed <= 3; seed++) {
                torch.manual_seed(seed);
                Beta beta = new Beta(perNeuron ? 0.9 : 0.95, perNeuron, true);
                BlockLayer block = new BlockLayer(30, 40, true, beta, SURROGATE);
                LifLayer single = new LifLayer(30, 40, LifLayer.Mode.SINGLE_SPIKE, false, beta, SURROGATE);
                copyParameters(block, single);
                // Heterogeneous decays, so neurons fire at different times.
                if (perNeuron) {
                    Tensor b = torch.rand(new long[] {40}, Tensors.float32()).mul(Tensors.scalar(0.2))
                            .add(Tensors.scalar(0.8));
                    Parameters.load(block, Map.of("beta", b));
                    Parameters.load(single, Map.of("beta", b));
                }
                Tensor x = binaryInput(seed * 7, 4, 30, 64, 0.3);
                LayerOutput a = block.forward(x);
                LayerOutput b = single.forward(x);
                float[] sa = Tensors.toArray(a.spikes());
                assertArrayEquals(Tensors.toArray(b.spikes()), sa, "spikes, seed " + seed);
                double spikes = 0;
                for (float v : sa) {
                    spikes += v;
                }
                assertTrue(spikes > 20, "the comparison must exercise spiking neurons, got " + spikes + " spikes");
                // Membranes agree up to and including each neuron's first spike (the standard layer zeroes after).
                float[] ma = Tensors.toArray(a.membrane());
                float[] mb = Tensors.toArray(b.membrane());
                int steps = 64;
                for (int row = 0; row < sa.length / steps; row++) {
                    for (int t = 0; t < steps; t++) {
                        int i = row * steps + t;
                        assertEquals(ma[i], mb[i], 1e-4, "membrane before/at the first spike");
                        if (sa[i] == 1f) {
                            break;
                        }
                    }
                }
            }
        }
    }

    @Test
    void feedForwardDBlockWithOneBlockIsTheBlockLayer() {
        for (int steps : new int[] {1, 17, 50}) {
            torch.manual_seed(steps);
            Beta beta = new Beta(0.9, true, true);
            BlockLayer block = new BlockLayer(12, 10, true, beta, SURROGATE);
            DBlockLayer dblock = new DBlockLayer(12, 10, 1, false, true, DBlockLayer.RecurrentInput.MAX, true, beta,
                    SURROGATE);
            copyParameters(block, dblock);
            Tensor x = binaryInput(steps, 3, 12, steps, 0.4).mul(Tensors.scalar(3));
            Tensor xa = x.clone().set_requires_grad(true);
            Tensor xb = x.clone().set_requires_grad(true);
            LayerOutput a = block.forward(xa);
            LayerOutput b = dblock.forward(xb);
            assertArrayEquals(Tensors.toArray(a.spikes()), Tensors.toArray(b.spikes()));
            assertArrayEquals(Tensors.toArray(a.membrane()), Tensors.toArray(b.membrane()), 1e-6f);
            Tensor up = torch.rand(Tensors.shape(a.spikes()), Tensors.float32());
            a.spikes().mul(up).sum().add(a.membrane().sum()).backward();
            b.spikes().mul(up).sum().add(b.membrane().sum()).backward();
            assertArrayEquals(Tensors.toArray(xa.grad()), Tensors.toArray(xb.grad()), 1e-4f);
            Map<String, Tensor> pa = Parameters.named(block);
            Map<String, Tensor> pb = Parameters.named(dblock);
            for (String name : pa.keySet()) {
                assertArrayEquals(Tensors.toArray(pa.get(name).grad()), Tensors.toArray(pb.get(name).grad()), 1e-3f,
                        name);
            }
        }
    }

    @Test
    void dBlockRestartsTheMembraneAtEveryBlockBoundary() {
        // Constant positive current below threshold: each block's membrane must start again at I_0.
        DBlockLayer layer = new DBlockLayer(1, 1, 3, false, true, DBlockLayer.RecurrentInput.MAX, true,
                new Beta(0.5, false, false), SURROGATE);
        Tensor current = Tensors.full(0.1, 1, 1, 10); // L = 3, r = 1: blocks [0,3) [3,6) [6,9) [9,10)
        float[] v = Tensors.toArray(layer.run(current).membrane());
        float[] expected = {0.1f, 0.15f, 0.175f, 0.1f, 0.15f, 0.175f, 0.1f, 0.15f, 0.175f, 0.1f};
        assertArrayEquals(expected, v, 1e-6f);
    }

    @Test
    void standardLayerReproducesTheWorkedExample() {
        // docs/specification.md 2.2: beta 0.9, currents 0.6, 0.6, 0.6, 0, 1.5, 0.2.
        Tensor current = Tensors.fromArray(new float[] {0.6f, 0.6f, 0.6f, 0f, 1.5f, 0.2f}, 1, 1, 6);
        Beta beta = new Beta(0.9, false, false);
        LayerOutput multi = new LifLayer(1, 1, LifLayer.Mode.MULTI_SPIKE, false, beta, SURROGATE).run(current);
        assertArrayEquals(new float[] {0, 1, 0, 0, 1, 1}, Tensors.toArray(multi.spikes()));
        assertArrayEquals(new float[] {0.6f, 1.14f, 0.726f, 0.6534f, 2.0881f, 1.1793f},
                Tensors.toArray(multi.membrane()), 1e-4f);
        LayerOutput zero = new LifLayer(1, 1, LifLayer.Mode.MULTI_SPIKE, LifLayer.Reset.ZERO, false, beta, SURROGATE,
                NeuronKernels.TORCH).run(current);
        assertArrayEquals(new float[] {0, 1, 0, 0, 1, 0}, Tensors.toArray(zero.spikes()));
        assertArrayEquals(new float[] {0.6f, 1.14f, 0.6f, 0.54f, 1.986f, 0.2f}, Tensors.toArray(zero.membrane()), 1e-4f);
        LayerOutput single = new LifLayer(1, 1, LifLayer.Mode.SINGLE_SPIKE, false, beta, SURROGATE).run(current);
        assertArrayEquals(new float[] {0, 1, 0, 0, 0, 0}, Tensors.toArray(single.spikes()));
        assertArrayEquals(new float[] {0.6f, 1.14f, 0, 0, 0, 0}, Tensors.toArray(single.membrane()), 1e-4f);
        LayerOutput integrator = new LifLayer(1, 1, LifLayer.Mode.INTEGRATOR, false, beta, SURROGATE).run(current);
        assertArrayEquals(new float[] {0.6f, 1.14f, 1.626f, 1.4634f, 2.8171f, 2.7354f},
                Tensors.toArray(integrator.membrane()), 1e-4f);
    }
}
