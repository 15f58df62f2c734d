package snn.nativekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.config.ModelConfig;
import snn.neurons.Beta;
import snn.neurons.DBlockLayer;
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
        assumeTrue(NativeRequirement.gccPresent(), "no gcc on this machine: the torch path is the only one");
        assertTrue(KernelLibrary.get().isPresent(), KernelLibrary.status());
        assertTrue(KernelLibrary.status().startsWith("loaded from "), KernelLibrary.status());
    }

    /**
     * The kernels flush denormal floats to zero (docs/native-kernels.md): an input current of 1e-39, below the
     * smallest normal float, is read as 0, so an integrating layer's membrane stays exactly 0, where LibTorch's ops
     * carry denormal values (and pay for each operation on them).
     */
    @Test
    void denormalsAreFlushedToZeroInsideTheKernels() {
        NeuronKernels nativeKernels = NativeRequirement.kernels();
        Tensor current = Tensors.full(1e-39, 2, 3, 40);
        float[] torchMembrane = Tensors.toArray(integrator(NeuronKernels.TORCH).run(current).membrane());
        float[] nativeMembrane = Tensors.toArray(integrator(nativeKernels).run(current).membrane());
        int denormal = 0;
        for (float v : torchMembrane) {
            denormal += v != 0 && Math.abs(v) < Float.MIN_NORMAL ? 1 : 0;
        }
        assertTrue(denormal > 0, "LibTorch's membrane should hold denormals");
        for (float v : nativeMembrane) {
            assertEquals(0f, v);
        }
    }

    private static DBlockLayer integrator(NeuronKernels kernels) {
        return new DBlockLayer(3, 3, 1, false, true, DBlockLayer.RecurrentInput.MAX, false,
                new Beta(0.9, true, true), new Surrogate.FastSigmoid(10), kernels);
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
        assertTrue(NativeKernels.projectsEvents(sparse, 8));
        Tensor dense = torch.ones(new long[] {2, 10, 20}, Tensors.float32());
        assertTrue(!NativeKernels.projectsEvents(dense, 8));
        // a step-major current too large for the kernels' scratch: LibTorch projects, however sparse the input
        assertTrue(!NativeKernels.projectsEvents(sparse, (1 << 22) / 20 + 1));
    }

    @Test
    void copyPassCopies() {
        KernelLibrary library = NativeRequirement.library();
        Tensor src = torch.rand(new long[] {3, 70001}, Tensors.float32());
        Tensor dst = Tensors.zeros(3, 70001);
        library.copyPass(src, dst);
        assertTrue(src.equal(dst));
    }

    @Test
    void sparseProjectionEqualsTheMatrixProduct() {
        KernelLibrary library = NativeRequirement.library();
        Tensor x = torch.rand(new long[] {3, 40, 33}, Tensors.float32()).lt(Tensors.scalar(0.1))
                .to(torch.ScalarType.Float);
        Tensor w = torch.randn(new long[] {17, 40}, Tensors.float32());
        Tensor b = torch.randn(new long[] {17}, Tensors.float32());
        Tensor out = Tensors.zeros(3, 17, 33);
        library.project(x, w, b, out);
        Tensor dense = w.matmul(x).add(b.unsqueeze(1));
        assertTrue(dense.sub(out).abs().max().item_float() < 1e-5);
    }

    @Test
    void theStatusNamesTheInstructionSetInUse() {
        KernelLibrary library = NativeRequirement.library();
        assertTrue(KernelLibrary.status().endsWith("(ISA " + library.isa().label() + ")"), KernelLibrary.status());
    }

    /**
     * Every instruction set this CPU supports can be chosen for this thread's calls, the others are refused, and
     * the choice stays on the thread that made it.
     */
    @Test
    void onIsaChoosesWhatTheCpuSupportsOnThisThreadAndRefusesTheRest() throws Throwable {
        KernelLibrary library = NativeRequirement.library();
        assertTrue(library.supports(Isa.PORTABLE), "the portable kernels run everywhere");
        for (Isa isa : Isa.values()) {
            if (library.supports(isa)) {
                Isa loaded = library.isa();
                EveryIsa.on(library, isa, () -> {
                    assertEquals(isa, library.isa());
                    Isa[] elsewhere = new Isa[1];
                    Thread other = Thread.ofPlatform().start(() -> elsewhere[0] = library.isa());
                    other.join();
                    assertEquals(loaded, elsewhere[0], "another thread keeps the set chosen at load");
                });
                assertEquals(loaded, library.isa(), "restored");
            } else {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> library.onIsa(isa));
                assertTrue(e.getMessage().contains(isa.label()), e.getMessage());
            }
        }
    }

    /** SNN_CPU_ISA picks an instruction set at load, and a name that is none is reported. */
    @Test
    void theEnvironmentVariablePicksTheInstructionSet() throws Exception {
        NativeRequirement.library();
        assertTrue(statusWith("portable").endsWith("(ISA portable)"), statusWith("portable"));
        String bogus = statusWith("avx9");
        assertTrue(bogus.contains("SNN_CPU_ISA=avx9 is not one of portable, avx2, avx512"), bogus);
    }

    /** KernelLibrary.status() in a new JVM whose environment sets SNN_CPU_ISA. */
    private static String statusWith(String isa) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow",
                "-D" + KernelLibrary.PATH_PROPERTY + "=" + System.getProperty(KernelLibrary.PATH_PROPERTY),
                "-cp", System.getProperty("java.class.path"), PrintKernelStatus.class.getName());
        pb.environment().put("SNN_CPU_ISA", isa);
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        return out.strip().lines().reduce((a, b) -> b).orElse("");
    }
}
