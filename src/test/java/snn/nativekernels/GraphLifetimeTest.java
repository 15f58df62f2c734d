package snn.nativekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static snn.neurons.TensorAssertions.assertClose;

import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import snn.models.Parameters;
import snn.neurons.Beta;
import snn.neurons.BlockLayer;
import snn.neurons.DBlockLayer;
import snn.neurons.LayerOutput;
import snn.neurons.NeuronKernels;
import snn.neurons.SpikingLayer;
import snn.neurons.Surrogate;
import snn.runtime.Device;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * A native-kernel layer's state lives as long as the autograd graph that needs it, whatever the caller's
 * {@link PointerScope}s do: a retained graph's backward pass after its scope closed, a backward pass after many later
 * forward passes and backward passes in any order give LibTorch's gradients; a repeated backward pass and parameters
 * changed in place fail as autograd fails; and the state is released once the graph is gone. (On the kernels before
 * this change the scoped cases crashed the JVM or failed with "forward pass after next", the repeated backward pass
 * silently added the gradients again, and the in-place changes went unnoticed or were reported without a name.)
 */
class GraphLifetimeTest {

    static NeuronKernels nativeKernels;

    @BeforeAll
    static void load() {
        TorchRuntime.ensureInitialised();
        nativeKernels = NativeRequirement.kernels();
    }

    /** A recurrent d-block layer with attached recurrence: the backward pass reads W_in, beta and W_rec. */
    private static DBlockLayer layer(NeuronKernels kernels) {
        torch.manual_seed(3);
        return new DBlockLayer(12, 16, 4, true, false, DBlockLayer.RecurrentInput.MAX, true,
                new Beta(0.9, true, true), new Surrogate.FastSigmoid(10), kernels);
    }

    private static Tensor input(long seed) {
        torch.manual_seed(seed);
        // sparse (8 % of the bins): the kernels project the input themselves and read W_in in the backward pass
        Tensor x = torch.rand(new long[] {2, 12, 20}, Tensors.float32()).lt(Tensors.scalar(0.08))
                .to(torch.ScalarType.Float).mul(Tensors.scalar(3));
        return x.set_requires_grad(true);
    }

    /** A loss of both outputs (so both outputs' hooks run) that saves no tensor of its own. */
    private static Tensor loss(SpikingLayer layer, Tensor x) {
        LayerOutput out = layer.forward(x);
        return out.spikes().sum().add(out.membrane().sum());
    }

    private static void backwardRetainingTheGraph(Tensor loss) {
        loss.backward(new Tensor(), new BoolOptional(true), false, new TensorArrayRefOptional());
    }

    /** The input gradient LibTorch's ops give for {@code runs} backward passes of the same graph. */
    private static Tensor torchGradient(long seed, int runs) {
        Tensor x = input(seed);
        Tensor l = loss(layer(NeuronKernels.TORCH), x);
        for (int i = 0; i < runs; i++) {
            if (i + 1 < runs) {
                backwardRetainingTheGraph(l);
            } else {
                l.backward();
            }
        }
        return Tensors.gradient(x);
    }

    /** Collects garbage several times: Java objects that nothing keeps reachable would be freed now. */
    private static void collectGarbage() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
    }

    @Test
    void aRetainedGraphRunsItsBackwardPassAgainAfterItsScopeClosed() throws Exception {
        DBlockLayer layer = layer(nativeKernels);
        Tensor x = input(1);
        Tensor loss;
        try (PointerScope step = new PointerScope()) {
            loss = loss(layer, x);
            loss.retainReference();
            backwardRetainingTheGraph(loss);
        }
        collectGarbage();
        loss.backward();
        loss.releaseReference();
        assertClose("input gradient of two backward passes", torchGradient(1, 2), x.grad(), 1e-5);
    }

    @Test
    void aBackwardPassAfterMoreForwardPassesThanTheOldBoundsWorks() throws Exception {
        DBlockLayer layer = layer(nativeKernels);
        Tensor x = input(2);
        Tensor first;
        try (PointerScope step = new PointerScope()) {
            first = loss(layer, x);
            first.retainReference();
        }
        // More than the 2 calls whose state the kernels kept, and the 1024 whose hooks they kept reachable.
        Tensor other = input(3);
        for (int i = 0; i < 1030; i++) {
            try (PointerScope step = new PointerScope()) {
                loss(layer, other).backward();
            }
        }
        collectGarbage();
        first.backward();
        first.releaseReference();
        assertClose("input gradient of the first forward pass", torchGradient(2, 1), x.grad(), 1e-5);
    }

    @Test
    void twoGraphsRunTheirBackwardPassesInEitherOrder() throws Exception {
        DBlockLayer layer = layer(nativeKernels);
        Tensor x1 = input(4);
        Tensor x2 = input(5);
        Tensor a;
        Tensor b;
        try (PointerScope step = new PointerScope()) {
            a = loss(layer, x1);
            a.retainReference();
        }
        try (PointerScope step = new PointerScope()) {
            b = loss(layer, x2);
            b.retainReference();
        }
        collectGarbage();
        b.backward();
        a.backward();
        a.releaseReference();
        b.releaseReference();
        assertClose("input gradient of the first graph", torchGradient(4, 1), x1.grad(), 1e-5);
        assertClose("input gradient of the second graph", torchGradient(5, 1), x2.grad(), 1e-5);
    }

    @Test
    void aRepeatedBackwardPassFailsAsAutogradFails() {
        Tensor torchLoss = loss(layer(NeuronKernels.TORCH), input(6));
        torchLoss.backward();
        RuntimeException expected = assertThrows(RuntimeException.class, torchLoss::backward);
        assertTrue(expected.getMessage().contains("a second time"), expected.getMessage());

        Tensor nativeLoss = loss(layer(nativeKernels), input(6));
        nativeLoss.backward();
        RuntimeException e = assertThrows(RuntimeException.class, nativeLoss::backward);
        assertTrue(e.getMessage().contains("native-kernel layer a second time")
                && e.getMessage().contains("retain_graph"), e.getMessage());

        try (PointerScope step = new PointerScope()) {
            Tensor scoped = loss(layer(nativeKernels), input(7));
            scoped.backward();
            RuntimeException inScope = assertThrows(RuntimeException.class, scoped::backward);
            assertTrue(inScope.getMessage().contains("a second time"), inScope.getMessage());
        }

        // With a fixed beta and no recurrence no LibTorch op of the layer's graph saves a tensor: only the kernels'
        // own check stops the second pass (which would otherwise add the same gradients again).
        torch.manual_seed(3);
        BlockLayer fixed = new BlockLayer(12, 16, true, new Beta(0.9, true, false), new Surrogate.FastSigmoid(10),
                nativeKernels);
        Tensor fixedLoss = loss(fixed, input(8));
        fixedLoss.backward();
        RuntimeException again = assertThrows(RuntimeException.class, fixedLoss::backward);
        assertTrue(again.getMessage().contains("a second time"), again.getMessage());
    }

    /**
     * W_in (read for the input's gradient), beta (its clamp's gradient) and the attached W_rec: LibTorch's ops save
     * them for the backward pass, so autograd detects an in-place change; the kernels detect it through the same
     * version counters and name the parameter.
     */
    @ParameterizedTest
    @CsvSource({"input.weight, '[16, 12]'", "beta, '[16]'", "recurrent.weight, '[16, 16]'"})
    void anInPlaceChangeOfAParameterIsReportedAsAutogradReportsIt(String parameter, String shape) {
        for (NeuronKernels kernels : new NeuronKernels[] {NeuronKernels.TORCH, nativeKernels}) {
            DBlockLayer layer = layer(kernels);
            Tensor x = input(8);
            assertTrue(NativeKernels.projectsEvents(x, 16), "the input is projected by the kernels");
            Tensor loss = loss(layer, x);
            changeInPlace(layer, parameter);
            RuntimeException e = assertThrows(RuntimeException.class, loss::backward, kernels.name());
            assertTrue(e.getMessage().contains("modified by an inplace operation"), kernels.name() + ": "
                    + e.getMessage());
            if (kernels == nativeKernels) {
                assertTrue(e.getMessage().contains("the " + parameter + " " + shape + " of a native-kernel layer"),
                        e.getMessage());
            }
        }
    }

    private static void changeInPlace(SpikingLayer layer, String parameter) {
        Map<String, Tensor> params = Parameters.named(layer.module());
        try (NoGradGuard guard = new NoGradGuard()) {
            params.get(parameter).mul_(Tensors.scalar(0.99));
        }
    }

    /**
     * Frees what earlier tests left behind, so that the counts below move by this test only: graphs left to the
     * garbage collector, and the nodes that a backward pass which failed (an in-place change, above) leaves in the
     * thread's queue of autograd tasks until the next backward pass on the thread drains it.
     */
    private static NativeKernels.Memory settled() throws InterruptedException {
        NativeKernels.Memory last = null;
        for (int i = 0; i < 20; i++) {
            try (PointerScope scope = new PointerScope()) {
                Tensor leaf = Tensors.zeros(Device.CPU, 1).set_requires_grad(true);
                leaf.sum().backward();
            }
            collectGarbage();
            org.bytedeco.javacpp.Pointer.deallocateReferences();
            NativeKernels.Memory now = NativeKernels.memory();
            if (now.equals(last)) {
                return now;
            }
            last = now;
        }
        return last;
    }

    /** The calls' state and the pooled buffers in use are back where they were (idle buffers may differ). */
    private static void assertReleased(NativeKernels.Memory before, String what) {
        NativeKernels.Memory now = NativeKernels.memory();
        assertEquals(before.graphs(), now.graphs(), what + ": graphs");
        assertEquals(before.savedStates(), now.savedStates(), what + ": saved states");
        assertEquals(before.pooledInUse(), now.pooledInUse(), what + ": pooled buffers in use");
    }

    /**
     * A call's saved state goes with the backward pass that does not retain its graph, and the rest with the graph,
     * at once, by LibTorch's reference counting: no later forward pass or collection is needed. A graph the caller
     * holds keeps its state; one dropped without a backward pass frees it when dropped.
     */
    @Test
    void theStateIsReleasedWhenTheGraphIsGone() throws Exception {
        DBlockLayer layer = layer(nativeKernels);
        Tensor x = input(11);
        NativeKernels.Memory before = settled();
        for (int i = 0; i < 3; i++) {
            try (PointerScope step = new PointerScope()) {
                LayerOutput out = layer.forward(x);
                assertEquals(before.graphs() + 1, NativeKernels.memory().graphs(), "kept while the graph exists");
                assertEquals(before.savedStates() + 1, NativeKernels.memory().savedStates());
                out.spikes().sum().add(out.membrane().sum()).backward();
                assertEquals(before.savedStates(), NativeKernels.memory().savedStates(),
                        "the saved state goes with the backward pass");
                assertEquals(before.graphs() + 1, NativeKernels.memory().graphs(), "the graph is still held");
            }
            assertReleased(before, "everything goes with the graph, at the scope's end");
        }
        Tensor spikes;
        try (PointerScope step = new PointerScope()) {
            spikes = layer.forward(x).spikes();
            spikes.retainReference();
        }
        assertEquals(before.graphs() + 1, NativeKernels.memory().graphs(), "a graph the caller holds keeps its state");
        assertEquals(before.savedStates() + 1, NativeKernels.memory().savedStates());
        spikes.releaseReference();
        assertReleased(before, "dropped without a backward pass: released when dropped");
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            layer.forward(x);
            assertEquals(before.graphs(), NativeKernels.memory().graphs(), "no graph without gradients");
            assertEquals(before.savedStates(), NativeKernels.memory().savedStates(), "nothing saved either");
        }
        assertReleased(before, "everything released");
    }

    /**
     * An input with another channel count than W_in's is refused with a clear error before the kernels read any
     * memory (sparse input: the kernels would project it themselves), and leaves nothing behind.
     */
    @Test
    void anInputOfTheWrongWidthIsRefusedAndLeavesNothingBehind() throws Exception {
        DBlockLayer layer = layer(nativeKernels);
        NativeKernels.Memory before = settled();
        try (PointerScope scope = new PointerScope()) {
            Tensor wrong = torch.rand(new long[] {2, 40, 20}, Tensors.float32()).lt(Tensors.scalar(0.05))
                    .to(torch.ScalarType.Float).set_requires_grad(true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> layer.forward(wrong));
            assertTrue(e.getMessage().contains("takes 12 input channels"), e.getMessage());
        }
        assertReleased(before, "everything released");
    }
}
