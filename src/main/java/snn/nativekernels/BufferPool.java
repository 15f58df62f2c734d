package snn.nativekernels;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.PointerConsumer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Device;
import snn.runtime.Tensors;

/**
 * Native memory for the kernels' large tensors (outputs, saved buffers, gradients), reused from one call to the next.
 * LibTorch returns a large tensor's memory to the operating system when it is freed, so every training step would
 * fault the pages of its new tensors in again, several milliseconds per {@code [128, 128, 500]} tensor on the
 * benchmark machine (docs/native-kernels.md); a buffer from here is faulted in once.
 *
 * <p>Ownership: a buffer belongs to the tensor that wraps it ({@code from_blob}) until that tensor's storage is freed,
 * whenever LibTorch frees it; the storage's deleter then hands it back here. The pool keeps at most
 * {@value #IDLE_PER_SIZE} idle buffers of each size and 256 MiB in all ({@link #IDLE_BYTES_LIMIT}), and frees a
 * returned buffer beyond that at once. An idle buffer is freed once it has been idle for {@link #IDLE_NANOS} (10 s:
 * a training loop reuses its buffers every step, a service between requests gives them back), by a daemon thread
 * that exists only while idle buffers do, or at once by {@link #trim()}.
 */
final class BufferPool {

    /** Idle buffers kept per size in bytes. */
    static final int IDLE_PER_SIZE = 4;

    /** Idle bytes kept in all: a returned buffer that would exceed this is freed. */
    static final long IDLE_BYTES_LIMIT = 256L << 20;

    /** Buffers smaller than this come from LibTorch's allocator as usual (their page faults are cheap). */
    static final long SMALLEST = 1L << 20;

    /** How long a buffer may stay idle before it is freed: 10 s. */
    static final long IDLE_NANOS = 10_000_000_000L;

    private static final Object LOCK = new Object();
    /** When each idle buffer was returned, by address. */
    private static final Map<Long, Long> IDLE_SINCE = new HashMap<>();
    /** Bytes of buffers handed out and not yet returned. */
    private static long inUseBytes;
    /** Frees buffers idle for {@link #IDLE_NANOS}; its one thread ends when it has nothing to do. */
    private static final ScheduledThreadPoolExecutor TRIMMER = trimmer();
    private static boolean trimScheduled;
    /** Every buffer handed out or idle, by address: its allocation. */
    private static final Map<Long, Pointer> BUFFERS = new HashMap<>();
    private static final Map<Long, Long> SIZES = new HashMap<>();
    /** Idle buffers by size in bytes, and their bytes in all. */
    private static final Map<Long, ArrayDeque<Pointer>> IDLE = new HashMap<>();
    private static long idleBytes;

    /** The deleter of every pooled tensor's storage: never freed, it serves the whole process. */
    private static final PointerConsumer GIVE_BACK = new PointerConsumer() {
        @Override
        public void call(Pointer data) {
            giveBack(data.address());
        }
    }.retainReference();

    private BufferPool() {
    }

    /**
     * An uninitialised float32 CPU tensor, contiguous, from the pool when it is large enough to be worth it.
     *
     * @param shape the tensor's shape
     * @return a new tensor; its memory returns to the pool when its storage is freed
     */
    static Tensor floats(long... shape) {
        return tensor(torch.ScalarType.Float, shape);
    }

    /**
     * An uninitialised int32 CPU tensor, contiguous, from the pool when it is large enough to be worth it.
     *
     * @param shape the tensor's shape
     * @return a new tensor; its memory returns to the pool when its storage is freed
     */
    static Tensor ints(long... shape) {
        return tensor(torch.ScalarType.Int, shape);
    }

    private static Tensor tensor(torch.ScalarType type, long[] shape) {
        long bytes = 4;
        for (long s : shape) {
            bytes *= s;
        }
        if (bytes < SMALLEST) {
            return Tensors.empty(Device.CPU, type, shape);
        }
        return Tensors.overMemory(take(bytes), GIVE_BACK, type, shape);
    }

    private static Pointer take(long bytes) {
        synchronized (LOCK) {
            ArrayDeque<Pointer> idle = IDLE.get(bytes);
            if (idle != null && !idle.isEmpty()) {
                idleBytes -= bytes;
                inUseBytes += bytes;
                Pointer p = idle.pop();
                IDLE_SINCE.remove(p.address());
                return p;
            }
        }
        Pointer p = Pointer.malloc(bytes);
        if (p == null || p.isNull()) {
            throw new OutOfMemoryError("native kernels: cannot allocate " + bytes + " bytes");
        }
        synchronized (LOCK) {
            BUFFERS.put(p.address(), p);
            SIZES.put(p.address(), bytes);
            inUseBytes += bytes;
        }
        return p;
    }

    private static void giveBack(long address) {
        Pointer free = null;
        synchronized (LOCK) {
            Pointer p = BUFFERS.get(address);
            if (p == null) {
                return; // not ours (cannot happen: only pooled tensors have this deleter)
            }
            long bytes = SIZES.get(address);
            inUseBytes -= bytes;
            ArrayDeque<Pointer> idle = IDLE.computeIfAbsent(bytes, k -> new ArrayDeque<>());
            if (idle.size() < IDLE_PER_SIZE && idleBytes + bytes <= IDLE_BYTES_LIMIT) {
                idle.push(p);
                idleBytes += bytes;
                IDLE_SINCE.put(address, System.nanoTime());
                scheduleTrim(IDLE_NANOS);
            } else {
                BUFFERS.remove(address);
                SIZES.remove(address);
                free = p;
            }
        }
        if (free != null) {
            Pointer.free(free);
        }
    }

    /** Frees every idle buffer (buffers in use return later and are kept again). */
    static void trim() {
        freeIdle(Long.MAX_VALUE);
    }

    /** Frees the buffers idle since before {@code before} ({@link System#nanoTime()}); all for {@code MAX_VALUE}. */
    private static void freeIdle(long before) {
        List<Pointer> free = new ArrayList<>();
        synchronized (LOCK) {
            for (ArrayDeque<Pointer> idle : IDLE.values()) {
                for (Iterator<Pointer> it = idle.iterator(); it.hasNext();) {
                    Pointer p = it.next();
                    if (before == Long.MAX_VALUE || IDLE_SINCE.get(p.address()) - before < 0) {
                        it.remove();
                        BUFFERS.remove(p.address());
                        IDLE_SINCE.remove(p.address());
                        idleBytes -= SIZES.remove(p.address());
                        free.add(p);
                    }
                }
            }
        }
        for (Pointer p : free) {
            Pointer.free(p);
        }
    }

    /** Schedules a trim in {@code delay} ns unless one is pending; the lock is held. */
    private static void scheduleTrim(long delay) {
        if (!trimScheduled) {
            trimScheduled = true;
            TRIMMER.schedule(BufferPool::trimIdle, delay, TimeUnit.NANOSECONDS);
        }
    }

    /** The trimmer's task: frees the buffers idle for {@link #IDLE_NANOS}, and comes back for the others. */
    private static void trimIdle() {
        freeIdle(System.nanoTime() - IDLE_NANOS);
        synchronized (LOCK) {
            trimScheduled = false;
            long oldest = IDLE_SINCE.values().stream().mapToLong(Long::longValue).min().orElse(0);
            if (!IDLE_SINCE.isEmpty()) {
                scheduleTrim(Math.max(0, oldest + IDLE_NANOS - System.nanoTime()) + 1_000_000);
            }
        }
    }

    private static ScheduledThreadPoolExecutor trimmer() {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "snn-buffer-pool-trim");
            t.setDaemon(true);
            return t;
        });
        e.setKeepAliveTime(1, TimeUnit.SECONDS);
        e.allowCoreThreadTimeOut(true);
        return e;
    }

    /** {@return the bytes of the idle buffers} */
    static long idleBytes() {
        synchronized (LOCK) {
            return idleBytes;
        }
    }

    /** {@return the bytes of the buffers held by live tensors} */
    static long inUseBytes() {
        synchronized (LOCK) {
            return inUseBytes;
        }
    }
}
