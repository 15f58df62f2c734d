package snn.nativekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.config.ModelConfig;
import snn.neurons.NeuronKernels;
import snn.neurons.Surrogate;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/** The build and loading of the native library, and the choice of kernels. */
class KernelLibraryTest {

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    /** The Maven build compiles the library whenever a C compiler exists; then it must also load. */
    @Test
    void libraryIsBuiltAndLoadsWhereACompilerExists() {
        assumeTrue(compilerPresent(), "no gcc on this machine: the torch path is the only one");
        assertTrue(KernelLibrary.get().isPresent(), KernelLibrary.status());
        assertTrue(KernelLibrary.status().startsWith("loaded from "), KernelLibrary.status());
    }

    @Test
    void torchChoiceNeverUsesNativeKernels() {
        assertSame(NeuronKernels.TORCH, NativeKernels.select(ModelConfig.Kernels.TORCH));
    }

    @Test
    void nativeChoiceUsesTheLibraryWhenItLoads() {
        NeuronKernels k = NativeKernels.select(ModelConfig.Kernels.NATIVE);
        assertEquals(KernelLibrary.get().isPresent() ? "native" : "torch", k.name());
    }

    @Test
    void surrogatesMapToTheKernelCodes() {
        assertEquals(KernelAbi.SURR_FAST_SIGMOID, NativeKernels.surrogateKind(new Surrogate.FastSigmoid(10)));
        assertEquals(KernelAbi.SURR_ARCTAN, NativeKernels.surrogateKind(new Surrogate.Arctan(2)));
        assertEquals(KernelAbi.SURR_TRIANGLE, NativeKernels.surrogateKind(new Surrogate.Triangle(1)));
        assertEquals(2.5f, NativeKernels.surrogateScale(new Surrogate.Arctan(2.5)));
    }

    @Test
    void eventDrivenOnlyForSparseInputs() {
        Tensor sparse = Tensors.zeros(2, 10, 20);
        sparse.select(0, 0).select(0, 3).fill_(Tensors.scalar(1)); // 20 of 200 bins: 10 %
        assertTrue(NativeKernels.eventDriven(sparse));
        Tensor dense = torch.ones(new long[] {2, 10, 20}, Tensors.float32());
        assertTrue(!NativeKernels.eventDriven(dense));
    }

    @Test
    void copyPassCopies() {
        KernelLibrary library = KernelLibrary.get().orElse(null);
        assumeTrue(library != null, KernelLibrary.status());
        Tensor src = torch.rand(new long[] {3, 70001}, Tensors.float32());
        Tensor dst = Tensors.zeros(3, 70001);
        library.copyPass(src, dst);
        assertTrue(src.equal(dst));
    }

    @Test
    void sparseProjectionEqualsTheMatrixProduct() {
        KernelLibrary library = KernelLibrary.get().orElse(null);
        assumeTrue(library != null, KernelLibrary.status());
        Tensor x = torch.rand(new long[] {3, 40, 33}, Tensors.float32()).lt(Tensors.scalar(0.1))
                .to(torch.ScalarType.Float);
        Tensor w = torch.randn(new long[] {17, 40}, Tensors.float32());
        Tensor b = torch.randn(new long[] {17}, Tensors.float32());
        Tensor out = Tensors.zeros(3, 17, 33);
        library.sparseProjection(x, w, b, out);
        Tensor dense = w.matmul(x).add(b.unsqueeze(1));
        assertTrue(dense.sub(out).abs().max().item_float() < 1e-5);
    }

    private static boolean compilerPresent() {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
