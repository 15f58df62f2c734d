package snn.nativekernels;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.PointerConsumer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Tensors;

/**
 * What one native-kernel call keeps, and the events that free it, both decided by LibTorch's own reference counting
 * (docs/native-kernels.md, "Lifetime"):
 *
 * <ul>
 * <li>the <b>saved state</b> ({@link #save}: the argument struct, the saved values and buffers) is freed when the
 * graph's saved {@link #token()} is: autograd frees a node's saved tensors after a backward pass that does not retain
 * the graph, and every saved tensor with the node when the graph is destroyed;</li>
 * <li>the <b>graph's part</b> ({@link #keep}: the hooks autograd calls into, the memoryless zero gradient, and the
 * {@link #onGraphGone} actions) is freed when the {@link #sentinel()} is: a leaf of the graph that only its gradient
 * accumulator node holds, destroyed with the graph's last node.</li>
 * </ul>
 *
 * Both anchors are 0-dimensional tensors over four bytes of their own, whose storage deleter (one for the process,
 * {@link #ANCHOR_FREED}) runs the release: no polling, no use-count reading, nothing waits for a later call. A call
 * without a graph (no gradient wanted) frees its saved state as soon as its forward kernel returns
 * ({@link #releaseNow}).
 *
 * <p>Why Java keeps anything at all: JavaCPP holds a callback's Java object (a hook) through a weak JNI reference, so
 * the hooks of a graph must stay strongly reachable from Java while LibTorch may call them. {@link #ANCHORED} is that
 * reference: a map from an anchor's address to its call, whose entries only the anchors' deleters remove.
 */
final class CallLifetime {

    /** The calls whose graph holds an anchor, by the anchor's address; emptied by {@link #ANCHOR_FREED} only. */
    private static final Map<Long, CallLifetime> ANCHORED = new ConcurrentHashMap<>();

    /** Calls whose Java state (hooks, gradients) is kept, and calls whose saved state is: for tests and metrics. */
    private static final AtomicLong STATES = new AtomicLong();
    private static final AtomicLong SAVED_STATES = new AtomicLong();

    /** The storage deleter of every anchor: never freed, it serves the whole process. */
    private static final PointerConsumer ANCHOR_FREED = new PointerConsumer() {
        @Override
        public void call(Pointer data) {
            anchorFreed(data);
        }
    }.retainReference();

    private final List<Pointer> saved = new ArrayList<>();
    private final List<Pointer> kept = new ArrayList<>();
    private final List<Runnable> onGraphGone = new ArrayList<>();
    private final List<Runnable> onSavedGone = new ArrayList<>();
    private long tokenAddress;
    private long sentinelAddress;
    private boolean savedReleased;
    private boolean released;

    CallLifetime() {
        STATES.incrementAndGet();
        SAVED_STATES.incrementAndGet();
    }

    /**
     * Keeps a pointer as saved state (retained; released after the last backward pass, with the graph, or at once
     * when the call builds no graph).
     *
     * @param <P> the pointer's type
     * @param p   a tensor or buffer the kernels read or write
     * @return {@code p}
     */
    synchronized <P extends Pointer> P save(P p) {
        saved.add(p.retainReference());
        return p;
    }

    /**
     * Keeps a pointer as long as the graph exists (retained; released when the graph is destroyed).
     *
     * @param <P> the pointer's type
     * @param p   a hook or a tensor handed to autograd
     * @return {@code p}
     */
    synchronized <P extends Pointer> P keep(P p) {
        kept.add(p.retainReference());
        return p;
    }

    /**
     * Runs {@code action} just before the saved state is released (after the last backward pass, with the graph, or
     * at once without a graph).
     */
    synchronized void onSavedGone(Runnable action) {
        onSavedGone.add(action);
    }

    /** Runs {@code action} when the graph is destroyed (or at once, with the call, when it never had one). */
    synchronized void onGraphGone(Runnable action) {
        onGraphGone.add(action);
    }

    /**
     * {@return the sentinel: a new 0-dimensional leaf that needs a gradient, 0, whose storage's deleter releases the
     * whole call; the caller must let only the graph keep it}
     */
    Tensor sentinel() {
        Tensor t = anchor(0f, false);
        t.set_requires_grad(true);
        return t;
    }

    /**
     * {@return the token: a new 0-dimensional constant 1, whose storage's deleter releases the saved state; the
     * caller must let only the node that saves it (a multiplication in the graph) keep it}
     */
    Tensor token() {
        return anchor(1f, true);
    }

    private Tensor anchor(float value, boolean token) {
        Pointer memory = Pointer.malloc(Float.BYTES);
        if (memory == null || memory.isNull()) {
            throw new OutOfMemoryError("native kernels: cannot allocate an anchor");
        }
        new FloatPointer(memory).put(value);
        long address = memory.address();
        synchronized (this) {
            if (token) {
                tokenAddress = address;
            } else {
                sentinelAddress = address;
            }
        }
        ANCHORED.put(address, this);
        try {
            return Tensors.overMemory(memory, ANCHOR_FREED, torch.ScalarType.Float);
        } catch (RuntimeException | Error e) {
            ANCHORED.remove(address);
            Pointer.free(memory);
            synchronized (this) {
                if (token) {
                    tokenAddress = 0;
                } else {
                    sentinelAddress = 0;
                }
            }
            throw e;
        }
    }

    private static void anchorFreed(Pointer data) {
        try {
            CallLifetime call = ANCHORED.remove(data.address());
            if (call != null) {
                call.anchorGone(data.address());
            }
        } finally {
            Pointer.free(data);
        }
    }

    private synchronized void anchorGone(long address) {
        if (address == tokenAddress) {
            releaseSaved();
        } else if (address == sentinelAddress) {
            releaseAll();
        }
    }

    /** {@return whether the saved state was released: a backward pass through the graph now is its second} */
    synchronized boolean savedReleased() {
        return savedReleased;
    }

    /**
     * Releases what the anchors will not: everything, when the call never created an anchor (no graph, or a failure
     * before it); otherwise the saved state only when {@code savedOnly} (a call without a graph after its forward
     * kernel). With anchors, the rest goes with them.
     */
    synchronized void releaseNow(boolean savedOnly) {
        if (sentinelAddress == 0 && tokenAddress == 0) {
            releaseAll();
        } else if (savedOnly) {
            releaseSaved();
        }
    }

    private void releaseSaved() {
        if (!savedReleased) {
            savedReleased = true;
            for (Runnable r : onSavedGone) {
                r.run();
            }
            onSavedGone.clear();
            releaseAll(saved);
            SAVED_STATES.decrementAndGet();
        }
    }

    private void releaseAll() {
        releaseSaved();
        if (!released) {
            released = true;
            for (Runnable r : onGraphGone) {
                r.run();
            }
            onGraphGone.clear();
            releaseAll(kept);
            STATES.decrementAndGet();
        }
    }

    private static void releaseAll(List<Pointer> pointers) {
        for (Pointer p : pointers) {
            p.releaseReference();
        }
        pointers.clear();
    }

    /** {@return the calls whose Java state (hooks, gradients) is kept: those whose graph still exists} */
    static long liveStates() {
        return STATES.get();
    }

    /** {@return the calls whose saved state (argument struct, saved values and buffers) is kept} */
    static long liveSavedStates() {
        return SAVED_STATES.get();
    }
}
