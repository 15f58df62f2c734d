package snn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.config.ModelConfig;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * What a network hands out stays valid as long as the caller holds it, however soon the garbage collector frees the
 * temporaries it was made from. {@code max(dim)} and {@code TensorVector.get} return references into a pair or a
 * vector; a handle made from such a reference dangles once the container is collected, which may be at once. This
 * test collects every unreachable object (and lets JavaCPP's deallocator free their native memory), reuses that
 * memory with objects of the same size, and then reads what it kept.
 */
class HandleOwnershipTest {

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    @Test
    void outputsOfEveryKindOutliveTheirTemporaries() throws InterruptedException {
        List<ModelConfig> models = List.of(
                ModelConfig.standard().hidden(9).recurrent(true).readout(ModelConfig.Readout.MAX).build(),
                ModelConfig.standard().hidden(9).reset(snn.neurons.LifLayer.Reset.ZERO).readout(ModelConfig.Readout.MAX)
                        .build(),
                ModelConfig.dblock(3).hidden(9).recurrent(true).readout(ModelConfig.Readout.MAX).build(),
                ModelConfig.block().hidden(9).readout(ModelConfig.Readout.MAX).build());
        for (ModelConfig model : models) {
            for (int steps : new int[] {1, 12}) {
                if (steps < 3 && model.kind() != ModelConfig.Kind.STANDARD) {
                    continue; // a d-block layer needs at least d steps
                }
                torch.manual_seed(5);
                SpikingNetwork net = new SpikingNetwork(model, 6, 4);
                Tensor x = torch.rand(new long[] {5, 6, steps}).mul(Tensors.scalar(3.0));
                List<float[]> want = new ArrayList<>();
                NetworkOutput fresh = net.forward(x);
                want.add(Tensors.toArray(fresh.logits()));
                want.add(Tensors.toArray(fresh.readoutMembrane()));
                for (Tensor s : fresh.hiddenSpikes()) {
                    want.add(Tensors.toArray(s));
                }
                NetworkOutput kept = net.forward(x);
                collectAndReuse();
                List<float[]> got = new ArrayList<>();
                got.add(Tensors.toArray(kept.logits()));
                got.add(Tensors.toArray(kept.readoutMembrane()));
                for (Tensor s : kept.hiddenSpikes()) {
                    got.add(Tensors.toArray(s));
                }
                for (int i = 0; i < want.size(); i++) {
                    assertArrayEquals(want.get(i), got.get(i), model + ", " + steps + " steps, output " + i);
                }
            }
        }
    }

    @Test
    void elementsAndMaximaAreHandlesOfTheirOwn() throws InterruptedException {
        Tensor t = torch.arange(new org.bytedeco.pytorch.Scalar(24)).reshape(2, 3, 4).to(torch.ScalarType.Float);
        Tensor max = Tensors.maxValues(t, 2);
        Tensor second = Tensors.element(t.unbind(1), 1);
        collectAndReuse();
        assertArrayEquals(new float[] {3, 7, 11, 15, 19, 23}, Tensors.toArray(max));
        assertArrayEquals(new float[] {4, 5, 6, 7, 16, 17, 18, 19}, Tensors.toArray(second));
    }

    /**
     * Collects what is unreachable until a dropped object is seen collected, gives JavaCPP's deallocator thread time
     * to free native memory, and then allocates and drops containers of the sizes just freed, so that a dangling
     * handle would read (or free) somebody else's memory.
     */
    private static void collectAndReuse() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            WeakReference<Object> probe = new WeakReference<>(new Object());
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (probe.get() != null && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(10);
            }
            assertTrue(probe.get() == null, "the garbage collector ran");
            Thread.sleep(50);
            Tensor filler = torch.rand(new long[] {5, 4, 12});
            for (int i = 0; i < 200; i++) {
                filler.max(2);
                TensorVector v = filler.unbind(2);
                v.size();
            }
        }
    }
}
