package snn.nativekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import snn.neurons.Beta;
import snn.neurons.BlockLayer;
import snn.neurons.DBlockLayer;
import snn.neurons.LayerOutput;
import snn.neurons.LifLayer;
import snn.neurons.NeuronKernels;
import snn.neurons.NeuronLayer;
import snn.neurons.SpikeEvents;
import snn.neurons.Surrogate;
import snn.runtime.Device;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * The first layer's input given as events (docs/native-kernels.md, "Event-driven input projection"): the kernels
 * read the caller's events instead of scanning a dense x, with the same sums in the same order, so every output and
 * gradient equals the dense path's bit for bit, on every kind of layer; bad events are refused with an error.
 */
class EventInputTest {

    static NeuronKernels nativeKernels;

    @BeforeAll
    static void load() {
        TorchRuntime.ensureInitialised();
        nativeKernels = NativeRequirement.kernels();
    }

    static Stream<Arguments> kinds() {
        Surrogate s = new Surrogate.FastSigmoid(10);
        List<Arguments> kinds = List.of(
                Arguments.of("block", (Function<NeuronKernels, NeuronLayer<?>>)
                        k -> new BlockLayer(20, 24, true, new Beta(0.9, true, true), s, k)),
                Arguments.of("d-block feed-forward", (Function<NeuronKernels, NeuronLayer<?>>)
                        k -> new DBlockLayer(20, 24, 4, false, true, DBlockLayer.RecurrentInput.MAX, true,
                                new Beta(0.9, true, true), s, k)),
                Arguments.of("d-block recurrent, detached, max", (Function<NeuronKernels, NeuronLayer<?>>)
                        k -> new DBlockLayer(20, 24, 4, true, true, DBlockLayer.RecurrentInput.MAX, true,
                                new Beta(0.9, true, true), s, k)),
                Arguments.of("d-block recurrent, attached, sum", (Function<NeuronKernels, NeuronLayer<?>>)
                        k -> new DBlockLayer(20, 24, 5, true, false, DBlockLayer.RecurrentInput.SUM, true,
                                new Beta(0.9, true, true), s, k)),
                Arguments.of("standard multi-spike", (Function<NeuronKernels, NeuronLayer<?>>)
                        k -> new LifLayer(20, 24, LifLayer.Mode.MULTI_SPIKE, false, new Beta(0.9, true, true), s, k)),
                Arguments.of("standard multi-spike recurrent", (Function<NeuronKernels, NeuronLayer<?>>)
                        k -> new LifLayer(20, 24, LifLayer.Mode.MULTI_SPIKE, true, new Beta(0.9, true, true), s, k)),
                Arguments.of("standard single-spike recurrent", (Function<NeuronKernels, NeuronLayer<?>>)
                        k -> new LifLayer(20, 24, LifLayer.Mode.SINGLE_SPIKE, true, new Beta(0.9, true, true), s, k)),
                Arguments.of("integrator", (Function<NeuronKernels, NeuronLayer<?>>)
                        k -> new LifLayer(20, 24, LifLayer.Mode.INTEGRATOR, false, new Beta(0.9, true, true), s, k)));
        return kinds.stream();
    }

    /** Sparse counts (about 6 % of the bins, values 1 to 3) of 3 samples, 20 channels, 37 steps. */
    private static Tensor sparseInput(long seed) {
        torch.manual_seed(seed);
        Tensor mask = torch.rand(new long[] {3, 20, 37}, Tensors.float32()).lt(Tensors.scalar(0.06));
        Tensor counts = torch.randint(1, 4, new long[] {3, 20, 37}, Tensors.float32());
        return mask.to(torch.ScalarType.Float).mul(counts).contiguous();
    }

    private static NeuronLayer<?> layer(Function<NeuronKernels, NeuronLayer<?>> make) {
        torch.manual_seed(11);
        return make.apply(nativeKernels);
    }

    /** A loss of both outputs with fixed random weights, so that every gradient is exercised. */
    private static Tensor loss(LayerOutput out) {
        torch.manual_seed(5);
        Tensor g = torch.randn(out.membrane().sizes().vec().get(), Tensors.float32());
        Tensor l = out.membrane().mul(g).sum();
        return out.spikes() == null ? l : l.add(out.spikes().mul(g.flip(new long[] {2})).sum());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void eventsGiveTheDensePathsOutputsAndGradientsBitForBit(String kind,
            Function<NeuronKernels, NeuronLayer<?>> make) {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = sparseInput(2);
            assertTrue(NativeKernels.projectsEvents(x, 24), "the dense input takes the event-driven projection too");
            NeuronLayer<?> dense = layer(make);
            NeuronLayer<?> events = layer(make);
            LayerOutput a = dense.forward(x);
            LayerOutput b = events.forward(SpikeEvents.fromDense(x));
            if (a.spikes() != null) {
                assertTrue(torch.equal(a.spikes(), b.spikes()), kind + ": spikes");
                assertTrue(a.spikes().sum().item_float() > 0, kind + ": the layer spikes, the test is not vacuous");
            }
            assertTrue(torch.equal(a.membrane(), b.membrane()), kind + ": membrane");
            loss(a).backward();
            loss(b).backward();
            var pa = dense.named_parameters(true);
            var pb = events.named_parameters(true);
            for (long i = 0; i < pa.size(); i++) {
                String name = pa.get(i).key().getString();
                Tensor ga = pa.get(i).access().grad();
                Tensor gb = pb.get(i).access().grad();
                assertEquals(ga.defined(), gb.defined(), kind + ": " + name + " has a gradient on one path only");
                if (ga.defined()) {
                    assertTrue(torch.equal(ga, gb), kind + ": gradient of " + name);
                    assertTrue(ga.abs().sum().item_double() > 0, kind + ": gradient of " + name + " is not zero");
                }
            }
        }
    }

    @Test
    void aDenseInputAsEventsTakesTheDensePathWithTheSameResult() {
        try (PointerScope scope = new PointerScope()) {
            torch.manual_seed(4);
            // 60 % of the bins non-zero: not spikes, the kernels take LibTorch's current
            Tensor x = torch.rand(new long[] {2, 20, 16}, Tensors.float32()).sub(Tensors.scalar(0.4))
                    .clamp_min(Tensors.scalar(0)).contiguous();
            assertFalse(NativeKernels.projectsEvents(x, 24));
            Function<NeuronKernels, NeuronLayer<?>> make = k -> new LifLayer(20, 24, LifLayer.Mode.MULTI_SPIKE,
                    true, new Beta(0.9, true, true), new Surrogate.FastSigmoid(10), k);
            LayerOutput a = layer(make).forward(x);
            LayerOutput b = layer(make).forward(SpikeEvents.fromDense(x));
            assertTrue(torch.equal(a.spikes(), b.spikes()));
            assertTrue(torch.equal(a.membrane(), b.membrane()));
        }
    }

    @Test
    void eventsDescribeTheirDenseInput() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = sparseInput(3);
            SpikeEvents e = SpikeEvents.fromDense(x);
            e.check();
            assertEquals(3, e.batch());
            assertEquals(x.count_nonzero().item_long(), e.positions().size(0));
            assertEquals(x.select(0, 0).count_nonzero().item_long(), e.sampleEvents(0));
            assertArrayEquals(Tensors.toArray(x), Tensors.toArray(e.dense()));
        }
    }

    /** Events of one sample of 4 channels x 8 steps, as given (not checked by the factory). */
    private static SpikeEvents raw(int[] positions, float[] values) {
        Tensor off = Tensors.empty(Device.CPU, torch.ScalarType.Long, 2);
        Tensor pos = Tensors.empty(Device.CPU, torch.ScalarType.Int, positions.length);
        Tensor val = Tensors.fromArray(values, values.length);
        MemorySegment o = MemorySegment.ofAddress(off.data_ptr().address()).reinterpret(16);
        o.setAtIndex(ValueLayout.JAVA_LONG, 0, 0L);
        o.setAtIndex(ValueLayout.JAVA_LONG, 1, positions.length);
        MemorySegment p = MemorySegment.ofAddress(pos.data_ptr().address()).reinterpret(4L * positions.length);
        for (int i = 0; i < positions.length; i++) {
            p.setAtIndex(ValueLayout.JAVA_INT, i, positions[i]);
        }
        return new SpikeEvents(off, pos, val, 4, 8);
    }

    @Test
    void badEventsAreRefusedWithAnErrorNamingTheEvent() {
        try (PointerScope scope = new PointerScope()) {
            int p = SpikeEvents.position(2, 3);
            SpikeEvents unsorted = raw(new int[] {SpikeEvents.position(2, 5), p}, new float[] {1, 1});
            SpikeEvents repeated = raw(new int[] {p, p}, new float[] {1, 1});
            SpikeEvents channel = raw(new int[] {SpikeEvents.position(4, 0)}, new float[] {1});
            SpikeEvents step = raw(new int[] {SpikeEvents.position(1, 8)}, new float[] {1});
            SpikeEvents zero = raw(new int[] {p}, new float[] {0});
            assertTrue(assertThrows(IllegalArgumentException.class, unsorted::check).getMessage()
                    .contains("event 1 of sample 0 (channel 2, step 3) does not follow"));
            assertTrue(assertThrows(IllegalArgumentException.class, repeated::check).getMessage()
                    .contains("without repeats"));
            assertTrue(assertThrows(IllegalArgumentException.class, channel::check).getMessage()
                    .contains("channel 4, step 0; expected channel < 4"));
            assertTrue(assertThrows(IllegalArgumentException.class, step::check).getMessage()
                    .contains("step < 8"));
            assertTrue(assertThrows(IllegalArgumentException.class, zero::check).getMessage()
                    .contains("value 0"));
            assertThrows(IllegalArgumentException.class, unsorted::dense);
            // the kernels check what reaches them unchecked, before they read an event
            for (SpikeEvents bad : List.of(unsorted, repeated, channel, step)) {
                NeuronLayer<?> layer = new LifLayer(4, 6, LifLayer.Mode.MULTI_SPIKE, true,
                        new Beta(0.9, true, true), new Surrogate.FastSigmoid(10), nativeKernels);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> layer.forward(bad));
                assertTrue(e.getMessage().contains("input events out of range or not sorted"), e.getMessage());
            }
            NeuronLayer<?> layer = new LifLayer(5, 6, LifLayer.Mode.MULTI_SPIKE, false,
                    new Beta(0.9, true, true), new Surrogate.FastSigmoid(10), nativeKernels);
            assertThrows(IllegalArgumentException.class,
                    () -> layer.forward(raw(new int[] {p}, new float[] {1})), "another channel count");
            assertNotNull(layer.forward(SpikeEvents.fromDense(Tensors.zeros(1, 5, 8))).spikes(), "no events at all");
        }
    }
}
