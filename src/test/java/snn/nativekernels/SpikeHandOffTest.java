package snn.nativekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import snn.neurons.Beta;
import snn.neurons.DBlockLayer;
import snn.neurons.LayerOutput;
import snn.neurons.LifLayer;
import snn.neurons.NeuronKernels;
import snn.neurons.SpikingLayer;
import snn.neurons.Surrogate;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * Hidden spikes travel to the next native layer as bits, and its input gradient back to the producer as (dL/dI, W_in)
 * (docs/native-kernels.md, "Bits between"): on networks that fire, the forward values and every gradient equal, bit
 * for bit, those of the path on which the consumer scans the float spikes and writes a dense dL/dx, also when the
 * spikes feed a second consumer (a loss on spike counts) whose gradient autograd adds, and on every instruction set.
 */
class SpikeHandOffTest {

    private static NeuronKernels nativeKernels;

    @BeforeAll
    static void load() {
        TorchRuntime.ensureInitialised();
        nativeKernels = NativeRequirement.kernels();
    }

    @AfterEach
    void handOffOn() {
        ProducedSpikes.enable(true);
    }

    /** What one training step computes: outputs and gradients, in a fixed order. */
    private record Step(List<Tensor> values, long spikes) {
    }

    private static Step step(int blocks, boolean recurrent, boolean countLoss, boolean nan, boolean handOff) {
        ProducedSpikes.enable(handOff);
        torch.manual_seed(11);
        SpikingLayer hidden = new DBlockLayer(24, 40, blocks, recurrent, false, DBlockLayer.RecurrentInput.MAX, true,
                new Beta(0.9, true, true), new Surrogate.FastSigmoid(10), nativeKernels);
        SpikingLayer readout = new LifLayer(40, 5, LifLayer.Mode.INTEGRATOR, false, new Beta(0.8, true, true),
                new Surrogate.FastSigmoid(10), nativeKernels);
        torch.manual_seed(5);
        Tensor x = torch.rand(new long[] {3, 24, 37}, Tensors.float32()).lt(Tensors.scalar(0.08))
                .to(torch.ScalarType.Float).mul(Tensors.scalar(4));
        if (nan) {
            // one NaN input event: NaN spikes in sample 1, whose values the consumer then reads from the spikes
            x.select(0, 1).select(0, 3).select(0, 5).fill_(Tensors.scalar(Double.NaN));
        }
        x.set_requires_grad(true);
        Tensor weights = torch.randn(new long[] {3, 5, 37}, Tensors.float32());
        List<Tensor> values = new ArrayList<>();
        long spikes;
        try (PointerScope scope = new PointerScope()) {
            LayerOutput h = hidden.forward(x);
            LayerOutput out = readout.forward(h.spikes());
            Tensor loss = out.membrane().mul(weights).sum();
            if (countLoss) {
                // a second consumer of the spikes, and the hidden membrane: autograd adds their gradients
                Tensor counts = h.spikes().sum(new long[] {2}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
                loss = loss.add(counts.sub(Tensors.scalar(2)).pow(Tensors.scalar(2)).sum().mul(Tensors.scalar(0.1)))
                        .add(h.membrane().sum().mul(Tensors.scalar(0.01)));
            }
            loss.backward();
            spikes = h.spikes().nan_to_num().sum().item_long();
            for (Tensor t : List.of(h.spikes(), h.membrane(), out.membrane(), x.grad())) {
                values.add(keep(t));
            }
            for (SpikingLayer layer : List.of(hidden, readout)) {
                TensorVector parameters = layer.module().parameters();
                for (long i = 0; i < parameters.size(); i++) {
                    values.add(keep(parameters.get(i).grad()));
                }
            }
        }
        return new Step(values, spikes);
    }

    private static Tensor keep(Tensor t) {
        Tensor c = t.detach().clone();
        c.retainReference();
        return c;
    }

    @TestFactory
    Stream<DynamicNode> theHandOffGivesTheScanningPathsValuesAndGradients() {
        return EveryIsa.containers(() -> Stream.of("1 false false false", "1 false true false", "3 true false false",
                "3 true true false", "5 false true false", "1 false false true", "3 true true true").map(c -> {
                    String[] p = c.split(" ");
                    int blocks = Integer.parseInt(p[0]);
                    boolean recurrent = Boolean.parseBoolean(p[1]);
                    boolean countLoss = Boolean.parseBoolean(p[2]);
                    boolean nan = Boolean.parseBoolean(p[3]);
                    return DynamicTest.dynamicTest("d=" + blocks + " recurrent=" + recurrent + " spike-count loss="
                            + countLoss + " NaN input=" + nan, () -> compare(blocks, recurrent, countLoss, nan));
                }));
    }

    private static void compare(int blocks, boolean recurrent, boolean countLoss, boolean nan) {
        Step scanned = step(blocks, recurrent, countLoss, nan, false);
        long bitsRead = ProducedSpikes.bitsRead();
        long handed = ProducedSpikes.handedOver();
        Step bits = step(blocks, recurrent, countLoss, nan, true);
        assertEquals(1, ProducedSpikes.bitsRead() - bitsRead, "the readout read the hidden layer's bits");
        assertEquals(1, ProducedSpikes.handedOver() - handed, "the readout handed dL/dI to the hidden layer");
        assertTrue(scanned.spikes() > 50, "the hidden layer fires: " + scanned.spikes() + " spikes");
        assertEquals(nan, scanned.values().get(0).isnan().any().item_bool(), "NaN spikes exactly with a NaN input");
        assertEquals(scanned.values().size(), bits.values().size());
        for (int i = 0; i < scanned.values().size(); i++) {
            Tensor a = scanned.values().get(i);
            Tensor b = bits.values().get(i);
            // equal values, NaN in the same places
            assertTrue(torch.equal(a.isnan(), b.isnan()), "value " + i + ": NaN in other places");
            Tensor fa = a.masked_fill(a.isnan(), Tensors.scalar(0));
            Tensor fb = b.masked_fill(b.isnan(), Tensors.scalar(0));
            assertTrue(torch.equal(fa, fb), "value " + i + ": max difference " + fa.sub(fb).abs().max().item_float());
        }
        assertEquals(0, ProducedSpikes.registered(), "no producer is registered once the graphs are gone");
    }
}
