package snn.nativekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * {@code runtime.flush_denormals}: {@link NativeKernels#flushDenormals} sets FTZ and DAZ on every thread of
 * LibTorch's intra-op pool, not only on the calling thread (which is all LibTorch's own {@code setFlushDenormal}
 * reaches), and closing the mode restores the one before.
 */
class DenormalModeTest {

    /** Elements of the probe: LibTorch splits an element-wise op this large between the threads of its pool. */
    private static final int PROBE = 1 << 22;

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    /**
     * With the mode set, an element-wise LibTorch op on a denormal input (1e-39) reads every element as zero (DAZ),
     * whichever thread computes it; with it cleared, every element is the denormal product again.
     */
    @Test
    void everyPoolThreadFlushesAndStopsAgain() {
        KernelLibrary library = NativeRequirement.library();
        int threads = torch.get_num_threads();
        try (PointerScope scope = new PointerScope()) {
            Tensor denormal = Tensors.full(1e-39, PROBE);
            assertEquals(0, library.threadsFlushingDenormals(), "LibTorch's default: gradual underflow");
            try (NativeKernels.DenormalMode mode = NativeKernels.flushDenormals(true)) {
                assertEquals(threads, mode.threads(), "threads flushing after setting the mode");
                assertEquals(threads, library.threadsFlushingDenormals());
                assertEquals(PROBE, zeros(times1(denormal)), "every element is read as 0");
                try (NativeKernels.DenormalMode inner = NativeKernels.flushDenormals(false)) {
                    assertEquals(0, inner.threads(), "threads flushing after clearing the mode");
                    assertEquals(0, zeros(times1(denormal)), "gradual underflow keeps 1e-39 * 1 = 1e-39");
                }
                assertEquals(threads, library.threadsFlushingDenormals(), "the outer mode, restored");
            }
            assertEquals(0, library.threadsFlushingDenormals(), "the mode before, restored");
            assertEquals(0, zeros(times1(denormal)), "gradual underflow keeps 1e-39 * 1 = 1e-39");
        }
    }

    /**
     * The pool's other threads are set, not only the calling one: with the mode set and then cleared on the calling
     * thread alone, the share of a large op the other threads compute is still flushed.
     */
    @Test
    @SuppressWarnings("try") // the mode is held for the block
    void theOtherPoolThreadsAreSetToo() {
        KernelLibrary library = NativeRequirement.library();
        int threads = torch.get_num_threads();
        assumeTrue(threads > 1, "LibTorch runs on one thread here: its pool has no other thread");
        try (PointerScope scope = new PointerScope()) {
            Tensor denormal = Tensors.full(1e-39, PROBE);
            try (NativeKernels.DenormalMode mode = NativeKernels.flushDenormals(true)) {
                torch.globalContext().setFlushDenormal(false);
                assertEquals(threads - 1, library.threadsFlushingDenormals());
                int zeros = zeros(times1(denormal));
                assertTrue(zeros > 0 && zeros < PROBE, "the other threads' share is flushed, the calling thread's"
                        + " is not: " + zeros + " of " + PROBE + " elements are 0");
            }
        }
    }

    private static Tensor times1(Tensor x) {
        return x.mul(torch.ones_like(x));
    }

    private static int zeros(Tensor t) {
        int zeros = 0;
        for (float v : Tensors.toArray(t)) {
            zeros += v == 0f ? 1 : 0;
        }
        return zeros;
    }
}
