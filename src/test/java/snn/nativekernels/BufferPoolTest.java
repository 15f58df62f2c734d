package snn.nativekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.runtime.TorchRuntime;

/** The kernels' buffer pool hands memory back and forth between tensors, within its bounds. */
class BufferPoolTest {

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    @Test
    void aFreedTensorsMemoryServesTheNextTensorOfItsSize() {
        BufferPool.trim();
        long address;
        try (PointerScope scope = new PointerScope()) {
            Tensor t = BufferPool.floats(4, 256, 1024);
            t.fill_(new Scalar(3.0));
            address = t.data_ptr().address();
            assertEquals(0, BufferPool.idleBytes(), "in use, not idle");
        }
        assertEquals(4L * 4 * 256 * 1024, BufferPool.idleBytes(), "back in the pool when the tensor is freed");
        try (PointerScope scope = new PointerScope()) {
            Tensor again = BufferPool.floats(4, 256, 1024);
            assertEquals(address, again.data_ptr().address(), "the same memory, already faulted in");
            assertEquals(0, BufferPool.idleBytes());
        }
        BufferPool.trim();
        assertEquals(0, BufferPool.idleBytes());
    }

    @Test
    void idleBuffersAreBoundedPerSizeAndInAll() {
        BufferPool.trim();
        try (PointerScope scope = new PointerScope()) {
            for (int i = 0; i < BufferPool.IDLE_PER_SIZE + 3; i++) {
                BufferPool.floats(1, 1024, 1024);
            }
        }
        assertEquals(BufferPool.IDLE_PER_SIZE * 4L * 1024 * 1024, BufferPool.idleBytes(), "per size");
        try (PointerScope scope = new PointerScope()) {
            for (int size = 1; size <= 40; size++) {
                BufferPool.floats(size, 1024, 1024);
            }
        }
        assertTrue(BufferPool.idleBytes() <= BufferPool.IDLE_BYTES_LIMIT, "in all: " + BufferPool.idleBytes());
        BufferPool.trim();
    }

    /** Buffers in use are counted until their tensor is freed; idle ones go after a while on their own. */
    @Test
    void idleBuffersAreFreedAfterTheirIdleTime() throws InterruptedException {
        BufferPool.trim();
        long inUse = BufferPool.inUseBytes();
        try (PointerScope scope = new PointerScope()) {
            BufferPool.floats(2, 512, 1024);
            assertEquals(inUse + 4L * 2 * 512 * 1024, BufferPool.inUseBytes());
        }
        assertEquals(inUse, BufferPool.inUseBytes());
        assertEquals(4L * 2 * 512 * 1024, BufferPool.idleBytes(), "idle for now");
        long deadline = System.nanoTime() + BufferPool.IDLE_NANOS + 20_000_000_000L;
        while (BufferPool.idleBytes() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertEquals(0, BufferPool.idleBytes(), "freed after " + BufferPool.IDLE_NANOS / 1_000_000_000 + " s idle");
    }

    @Test
    void smallTensorsComeFromLibTorch() {
        BufferPool.trim();
        try (PointerScope scope = new PointerScope()) {
            BufferPool.ints(16, 16);
        }
        assertEquals(0, BufferPool.idleBytes());
    }
}
