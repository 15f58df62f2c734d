package snn.nativekernels;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;
import org.bytedeco.pytorch.global.torch;

import snn.neurons.LayerOutput;
import snn.neurons.LayerTensors;
import snn.neurons.Projection;
import snn.runtime.Device;
import snn.runtime.Tensors;

/**
 * One forward call of a native kernel family: the kernel's argument struct and saved state, and the autograd nodes
 * that run its backward pass (docs/native-kernels.md, "Autograd" and "Lifetime").
 *
 * <p><b>Graph.</b> Every tensor the result depends on and that needs a gradient (a <i>source</i>: the input, W_in,
 * b_in, the clamped beta, W_rec, b_rec) gets a proxy, an alias with a hook. The link is {@code (sum of the proxies'
 * sums + sentinel) * token}; each output is the link expanded to {@code [batch, neurons, time]} with fresh memory
 * set as its data ({@code set_data}), which the kernel then writes. A hook on each output receives the output's upstream gradient and runs
 * the native backward pass; the output's own gradient is replaced by a zero without memory, and autograd reaches
 * the proxies only after the outputs, where the proxies' hooks hand over the native gradients.
 *
 * <p><b>Lifetime.</b> Everything the call keeps is created inside a scope of its own and retained, so no caller's
 * {@link PointerScope} frees it, and is released explicitly, never by the garbage collector:
 * <ul>
 * <li>the saved state (the argument struct, the saved values and buffers) when a backward pass that does not retain
 * the graph has run: the link's multiplication saves {@code token}, and autograd frees that saved tensor after such a
 * backward pass, which {@code token}'s use count shows; from then on a hook call is a backward pass through the graph
 * a second time and fails as autograd's does;</li>
 * <li>the rest (the hooks, which autograd calls into, and the gradients handed to autograd) when the graph is gone:
 * {@code sentinel} is a leaf of the link, held only by its gradient accumulator node in the graph and by this call,
 * so its use count falls to one when the graph's last node is destroyed. Calls are checked at every native forward
 * call ({@link #sweep}).</li>
 * </ul>
 * Until then the call is reachable from a static registry, so a hook can always run: a backward pass after any
 * number of later forward passes, inside or outside scopes, in any order, works as long as the user holds its graph.
 * Parameters changed in place between the forward and the backward pass are detected through their version
 * counters and reported as autograd reports them.
 */
final class NativeCall {

    static final int INPUT = 0;
    static final int W_IN = 1;
    static final int B_IN = 2;
    static final int BETA = 3;
    static final int W_REC = 4;
    static final int B_REC = 5;
    static final int SOURCES = 6;

    /** The sources by the layer's parameter names, for error messages. */
    private static final String[] NAMES = {"input", "input.weight", "input.bias", "beta", "recurrent.weight",
            "recurrent.bias"};

    /**
     * Largest fraction of non-zero inputs (estimated on the first sample) for which the input projection is computed
     * event by event inside the kernel; denser inputs are projected with a LibTorch matrix product first.
     */
    static final double EVENT_DRIVEN_DENSITY = 0.1;

    /**
     * Largest neurons x steps of a layer whose input the kernels project themselves: each thread builds a sample's
     * current step-major in scratch (and its gradient in the backward pass), 16 MiB at this size.
     */
    static final long PROJECTED_SCRATCH_LIMIT = 1L << 22;

    static final String SECOND_BACKWARD = "Trying to backward through the graph of a native-kernel layer a second"
            + " time (or after an earlier backward() freed its saved state). Like autograd's saved tensors, the"
            + " kernels' saved state is freed by the first backward() that does not retain the graph: specify"
            + " retain_graph=true if you need to backward through the graph a second time.";

    /**
     * Nanoseconds spent per layer (family and neurons) in its forward kernel, in its backward kernels and in its
     * output hooks as a whole, for {@link KernelBenchmark}'s breakdown of a training step.
     */
    private static final Map<String, LongAdder> LEDGER = new ConcurrentHashMap<>();

    /** Calls whose graph may still run their backward pass. */
    private static final Set<NativeCall> LIVE = ConcurrentHashMap.newKeySet();
    private static final AtomicLong IDS = new AtomicLong();

    private final KernelLibrary library;
    private final KernelAbi.Family family;
    private final KernelArgs args;
    final long batch;
    final long neurons;
    final long steps;
    /** Whether each source takes part and needs a gradient, fixed in the forward pass. */
    private final boolean[] tracks = new boolean[SOURCES];
    /** The shapes of W_in and of the (clamped) beta, for their gradients. */
    private final long[] inputWeightShape;
    private final long[] betaShape;
    private final boolean tracked;
    /** W_in's values, for dL/dx = W_in^T dL/dI when the kernel projects the input itself. */
    private final Tensor inputWeight;
    private Tensor spikes;
    private Tensor membrane;

    /** The saved state: released after the last backward pass (or with the graph). */
    private final List<Pointer> saved = new ArrayList<>();
    /** What the graph calls into or holds: released when the graph is gone. */
    private final List<Pointer> kept = new ArrayList<>();
    /** Gradients handed to autograd in the current backward pass (autograd copies them after a hook returns). */
    private final List<Pointer> handedOut = new ArrayList<>();
    private final List<VersionCheck> versions = new ArrayList<>();
    /** The call's number in this process and its outputs' memory, for {@link #callOf}. */
    private final long id = IDS.incrementAndGet();
    private final List<Long> outputAddresses = new ArrayList<>();
    private final Tensor[] pending = new Tensor[SOURCES];
    private Tensor sentinel;
    private Tensor token;
    private Tensor zero;
    /** The outputs' replaced gradient: zeros of their shape, without memory. */
    private Tensor zeroGradient;
    private int proxies;
    private int proxiesRun;
    private final boolean[] served = new boolean[2];
    private boolean savedReleased;
    private boolean released;

    /**
     * Prepares a call: the input (projected by the kernel when sparse, else by LibTorch), the sources, the saved
     * values and the common fields of the argument struct. Must run inside a scope of the caller's
     * ({@link NativeKernels}) own, which frees whatever the call does not keep.
     *
     * @param betaUsed       whether beta enters the result (not at a single step)
     * @param recurrenceUsed whether W_rec and b_rec enter the result
     * @param spiking        whether there is a spike output
     */
    NativeCall(KernelLibrary library, KernelAbi.Family family, LayerTensors t, boolean betaUsed,
            boolean recurrenceUsed, boolean spiking, int surrogate, float scale) {
        this.library = library;
        this.family = family;
        Tensor x = t.input().contiguous();
        Projection projection = t.projection();
        long sampleEvents = projection != null ? firstSampleEvents(x) : 0;
        if (projection != null && !projectsEvents(sampleEvents, x, projection.weight().size(0))) {
            // Dense input: a LibTorch matrix product gives the current, which the kernels take as input.
            x = projection.overTime(x).contiguous();
            projection = null;
        }
        batch = x.size(0);
        steps = x.size(2);
        neurons = projection != null ? projection.weight().size(0) : x.size(1);
        Projection recurrent = t.recurrent();
        // The autograd tensors the result depends on (null when absent), and whether each takes part.
        Tensor[] sources = new Tensor[SOURCES];
        boolean[] used = new boolean[SOURCES];
        sources[INPUT] = x;
        sources[W_IN] = projection != null ? projection.weight() : null;
        sources[B_IN] = projection != null ? projection.bias() : null;
        sources[BETA] = t.beta();
        sources[W_REC] = recurrent != null ? recurrent.weight() : null;
        sources[B_REC] = recurrent != null ? recurrent.bias() : null;
        used[INPUT] = true;
        used[W_IN] = true;
        used[B_IN] = true;
        used[BETA] = betaUsed;
        used[W_REC] = recurrenceUsed;
        used[B_REC] = recurrenceUsed;
        boolean anyGrad = false;
        for (int k = 0; k < SOURCES; k++) {
            tracks[k] = used[k] && sources[k] != null && sources[k].requires_grad();
            anyGrad |= tracks[k];
        }
        tracked = GradMode.is_enabled() && anyGrad;
        inputWeightShape = projection != null ? Tensors.shape(projection.weight()) : null;
        betaShape = Tensors.shape(t.beta());

        BytePointer memory = save(new BytePointer(family.layout.byteSize()));
        args = new KernelArgs(family.layout, MemorySegment.ofAddress(memory.address()));
        args.set("layer.surrogate", surrogate).set("layer.scale", scale).set("layer.batch", batch).set("layer.neurons", neurons)
                .set("layer.steps", steps);
        Tensor xValues = save(x.detach());
        if (projection == null) {
            args.set("layer.in.cur", xValues);
            inputWeight = null;
        } else {
            inputWeight = save(projection.weight().detach().contiguous());
            args.set("layer.in.x", xValues).set("layer.in.m", x.size(1)).set("layer.in.w_in", inputWeight)
                    .set("layer.in.b_in", save(projection.bias().detach().contiguous()));
            if (tracked && tracks(W_IN)) {
                // The events, for dL/dW_in: room for twice the first sample's (and at least 2 % of the bins) per
                // sample; a sample with more is scanned again in the backward pass.
                long bins = x.size(1) * steps;
                long capacity = Math.min(bins, Math.max(2 * sampleEvents, bins / 50) + 64);
                args.set("layer.in.ev_pos", save(BufferPool.ints(batch, capacity)))
                        .set("layer.in.ev_val", save(BufferPool.floats(batch, capacity)))
                        .set("layer.in.ev_count", save(Tensors.empty(Device.CPU, torch.ScalarType.Int, batch)))
                        .set("layer.in.ev_cap", capacity);
            }
        }
        args.set("layer.beta", save(t.beta().detach().expand(neurons).contiguous()));
        if (recurrent != null) {
            args.set("layer.w_rec", save(recurrent.weight().detach().contiguous()))
                    .set("layer.b_rec", save(recurrent.bias().detach().contiguous()));
        }
        if (tracked) {
            // What the backward pass reads of the caller's tensors, where autograd would also save it.
            if (tracks(W_IN)) {
                versions.add(new VersionCheck(NAMES[INPUT], save(x.detach())));
            }
            if (tracks(INPUT) && projection != null) {
                versions.add(new VersionCheck(NAMES[W_IN], save(projection.weight().detach())));
            }
            if (tracks(BETA)) {
                versions.add(new VersionCheck(NAMES[BETA], save(t.betaParameter().detach())));
            }
        }
        Tensor link = tracked ? link(sources) : null;
        spikes = spiking ? output(link, "layer.spk") : null;
        membrane = output(link, "layer.mem");
        args.set("layer.spiking", spiking);
    }

    /** Whether source {@code k} takes part and needs a gradient. */
    boolean tracks(int k) {
        return tracks[k];
    }

    /** {@return the argument struct, for the family's own fields} */
    KernelArgs args() {
        return args;
    }

    /** {@return whether the call builds a graph (grad mode on and a source needing a gradient)} */
    boolean tracked() {
        return tracked;
    }

    /**
     * Keeps a pointer as saved state (retained; released after the last backward pass, or at once when the call is
     * not tracked).
     *
     * @param <P> the pointer's type
     * @param p   a tensor or buffer the kernels read or write
     * @return {@code p}
     */
    <P extends Pointer> P save(P p) {
        saved.add(p.retainReference());
        return p;
    }

    /** Version checks of a tensor the backward pass reads (attached recurrence: W_rec), named as the layer names it. */
    void checkVersionOf(String name, Tensor t) {
        if (tracked) {
            versions.add(new VersionCheck(name, save(t.detach())));
        }
    }

    /** Sources' names, for {@link #checkVersionOf}. */
    static String name(int source) {
        return NAMES[source];
    }

    /** An output: the link followed by zeros when tracked, else an empty tensor; its address goes to the struct. */
    private Tensor output(Tensor link, String field) {
        long[] shape = {batch, neurons, steps};
        Tensor out = BufferPool.floats(shape);
        if (link != null) {
            // The link expanded to the output's shape is the graph node (its backward pass sums the output's replaced,
            // memoryless zero gradient); its data becomes the fresh memory the kernel writes: no pass over the output
            // before the kernel's.
            Tensor node = link.expand(shape);
            node.__dispatch_set_data(out);
            out = node;
        }
        out.retainReference();
        args.set(field, save(out.detach()));
        outputAddresses.add(out.data_ptr().address());
        return out;
    }

    /** The link: the sum over the proxies of every tracked source, plus the sentinel, times the token. */
    private Tensor link(Tensor[] sources) {
        Tensor sum = null;
        for (int k = 0; k < SOURCES; k++) {
            if (tracks(k)) {
                Tensor proxy = sources[k].alias();
                int index = k;
                proxy.register_hook(keep(new TensorTensorHook() {
                    @Override
                    public TensorBase call(TensorBase grad) {
                        return proxyGradient(index);
                    }
                }));
                proxies++;
                Tensor term = proxy.sum();
                sum = sum == null ? term : sum.add(term);
            }
        }
        sentinel = keep(Tensors.zeros(Device.CPU));
        sentinel.set_requires_grad(true);
        token = keep(Tensors.full(Device.CPU, 1.0));
        zero = keep(Tensors.zeros(Device.CPU));
        zeroGradient = keep(zero.expand(batch, neurons, steps));
        return sum.add(sentinel).mul(token);
    }

    private <P extends Pointer> P keep(P p) {
        kept.add(p.retainReference());
        return p;
    }

    /**
     * Runs the forward kernel, and when tracked registers the output hooks and joins the registry.
     *
     * @return the outputs, as new tensors of the caller's (called after the call's own scope has closed)
     */
    LayerOutput run() {
        args.set("layer.threads", KernelLibrary.threads());
        long t0 = System.nanoTime();
        library.forward(family, args, saved);
        account("forward kernel", t0);
        if (tracked) {
            if (spikes != null) {
                hookOutput(spikes, 0);
            }
            hookOutput(membrane, 1);
            LIVE.add(this);
        } else {
            releaseSaved();
        }
        return new LayerOutput(spikes, membrane);
    }

    private void hookOutput(Tensor output, int side) {
        versions.add(new VersionCheck(side == 0 ? "spikes output" : "membrane output", save(output.detach())));
        output.register_hook(keep(new TensorTensorHook() {
            @Override
            public TensorBase call(TensorBase grad) {
                return outputGradient(grad, side);
            }
        }));
    }

    /**
     * The outputs for the caller: new tensor handles created in the caller's scope (if any), after the call's own
     * scope closed; the handles made inside it are released.
     */
    static LayerOutput handOver(LayerOutput inner) {
        return new LayerOutput(handOver(inner.spikes()), handOver(inner.membrane()));
    }

    private static Tensor handOver(Tensor t) {
        if (t == null) {
            return null;
        }
        Tensor out = new Tensor(t);
        t.releaseReference();
        return out;
    }

    // ----- backward -----------------------------------------------------------------------------------------

    /**
     * An output's hook: the native backward pass for the output's upstream gradient; the gradients of the sources
     * wait in {@link #pending} for the proxies' hooks.
     */
    private synchronized TensorBase outputGradient(TensorBase grad, int side) {
        long hookStart = System.nanoTime();
        if (savedReleased || token.use_count() < 2) {
            throw new IllegalStateException(SECOND_BACKWARD);
        }
        for (VersionCheck v : versions) {
            v.check();
        }
        if (proxiesRun > 0 || served[side]) {
            // a new backward pass through a retained graph
            releaseAll(handedOut);
            Arrays.fill(pending, null);
            proxiesRun = 0;
            served[0] = false;
            served[1] = false;
        }
        served[side] = true;
        try (PointerScope scope = new PointerScope()) {
            Tensor g = new Tensor(grad).contiguous();
            long[] shape = {batch, neurons, steps};
            // dL/dI itself only for a dense current (it is dL/dx then); with a projected input the kernel takes
            // dL/dW_in, dL/db_in and dL/dx = W_in^T dL/dI from its own copy of dL/dI
            Tensor gCur = tracks(INPUT) && inputWeight == null ? BufferPool.floats(shape) : null;
            Tensor gX = tracks(INPUT) && inputWeight != null ? BufferPool.floats(batch, inputWeight.size(1), steps)
                    : null;
            Tensor gWin = tracks(W_IN) ? Tensors.empty(Device.CPU, torch.ScalarType.Float, inputWeightShape) : null;
            Tensor gBin = tracks(B_IN) ? Tensors.empty(Device.CPU, torch.ScalarType.Float, neurons) : null;
            Tensor gBeta = tracks(BETA) ? Tensors.empty(Device.CPU, torch.ScalarType.Float, neurons) : null;
            Tensor gWrec = tracks(W_REC) ? Tensors.empty(Device.CPU, torch.ScalarType.Float, neurons, neurons) : null;
            Tensor gBrec = tracks(B_REC) ? Tensors.empty(Device.CPU, torch.ScalarType.Float, neurons) : null;
            args.set("layer.threads", KernelLibrary.threads()).set("layer.g_spk", side == 0 ? g : null)
                    .set("layer.g_mem", side == 1 ? g : null).set("layer.grad.cur", gCur).set("layer.grad.x", gX)
                    .set("layer.grad.w_in", gWin).set("layer.grad.b_in", gBin).set("layer.grad.beta", gBeta)
                    .set("layer.grad.w_rec", gWrec).set("layer.grad.b_rec", gBrec);
            try {
                long t0 = System.nanoTime();
                library.backward(family, args, saved, g, gCur, gX, gWin, gBin, gBeta, gWrec, gBrec);
                account("backward kernel", t0);
            } finally {
                args.set("layer.g_spk", (Tensor) null).set("layer.g_mem", (Tensor) null)
                        .set("layer.grad.cur", (Tensor) null).set("layer.grad.x", (Tensor) null)
                        .set("layer.grad.w_in", (Tensor) null).set("layer.grad.b_in", (Tensor) null)
                        .set("layer.grad.beta", (Tensor) null).set("layer.grad.w_rec", (Tensor) null)
                        .set("layer.grad.b_rec", (Tensor) null);
            }
            add(INPUT, gX != null ? gX : gCur);
            add(W_IN, gWin);
            add(B_IN, gBin);
            if (gBeta != null) {
                add(BETA, betaShape[0] == neurons ? gBeta.reshape(betaShape) : gBeta.sum().reshape(1));
            }
            add(W_REC, gWrec);
            add(B_REC, gBrec);
        }
        account("backward hook", hookStart);
        return zeroGradient;
    }

    private void account(String what, long start) {
        LEDGER.computeIfAbsent(family.name().toLowerCase(java.util.Locale.ROOT) + " N=" + neurons + " " + what,
                k -> new LongAdder()).add(System.nanoTime() - start);
    }

    /** {@return and clears the time spent per layer and part since the last call, in ns, for benchmarks} */
    static Map<String, Long> drainLedger() {
        Map<String, Long> out = new java.util.TreeMap<>();
        for (Map.Entry<String, LongAdder> e : LEDGER.entrySet()) {
            out.put(e.getKey(), e.getValue().sumThenReset());
        }
        return out;
    }

    /** Adds an output's share to a source's pending gradient (both outputs' shares add up). */
    private void add(int k, Tensor share) {
        if (share == null) {
            return;
        }
        Tensor previous = pending[k];
        Tensor sum = previous == null ? share : previous.add(share);
        sum.retainReference();
        pending[k] = sum;
        if (previous != null) {
            previous.releaseReference();
        }
    }

    /** A proxy's hook: hands over the source's native gradient; frees the saved state after the last backward. */
    private synchronized TensorBase proxyGradient(int k) {
        Tensor g = pending[k];
        if (g == null) {
            throw new IllegalStateException("native kernels: no gradient for the layer's " + NAMES[k]
                    + " (its output's hook did not run in this backward pass)");
        }
        pending[k] = null;
        handedOut.add(g);
        if (++proxiesRun == proxies && token.use_count() < 2) {
            // the link's saved token was freed: this was a backward pass that does not retain the graph
            releaseSaved();
        }
        return g;
    }

    // ----- lifetime -----------------------------------------------------------------------------------------

    /** Releases the calls whose graph is gone. */
    static void sweep() {
        for (NativeCall c : LIVE) {
            c.releaseIfGraphGone();
        }
    }

    /** {@return the number of calls whose graph may still run their backward pass} */
    static int live() {
        return LIVE.size();
    }

    /**
     * The live call that wrote an output's memory, for tests.
     *
     * @param output a spike or membrane output of a native forward call
     * @return the call's id, or -1 when no live call wrote it
     */
    static long callOf(Tensor output) {
        long address = output.data_ptr().address();
        for (NativeCall c : LIVE) {
            if (c.outputAddresses.contains(address)) {
                return c.id;
            }
        }
        return -1;
    }

    /** {@return whether the call with this id still keeps its state, for tests} */
    static boolean isLive(long id) {
        return LIVE.stream().anyMatch(c -> c.id == id);
    }

    private synchronized void releaseIfGraphGone() {
        if (!released && sentinel.use_count() < 2) {
            releaseSaved();
            for (Tensor p : pending) {
                if (p != null) {
                    p.releaseReference();
                }
            }
            Arrays.fill(pending, null);
            releaseAll(handedOut);
            releaseAll(kept);
            released = true;
            LIVE.remove(this);
        }
    }

    private void releaseSaved() {
        if (!savedReleased) {
            releaseAll(saved);
            savedReleased = true;
        }
    }

    private static void releaseAll(List<Pointer> pointers) {
        for (Pointer p : pointers) {
            p.releaseReference();
        }
        pointers.clear();
    }

    /**
     * A tensor the backward pass reads and the version it had in the forward pass. The handle kept is a detached
     * alias: it shares the version counter, but not the autograd history (which would keep the graph alive).
     */
    private record VersionCheck(String name, Tensor tensor, long version) {
        VersionCheck(String name, Tensor tensor) {
            this(name, tensor, tensor._version());
        }

        void check() {
            long now = tensor._version();
            if (now != version) {
                throw new IllegalStateException("one of the variables needed for gradient computation has been"
                        + " modified by an inplace operation: the " + name + " " + Arrays.toString(Tensors.shape(
                                tensor)) + " of a native-kernel layer is at version " + now + "; expected version "
                        + version + " instead. The layer's native backward pass reads it: change it only after"
                        + " backward() (as optimizer.step() does), or clone it first.");
            }
        }
    }

    // ----- helpers ------------------------------------------------------------------------------------------

    /**
     * Whether the kernels project {@code x} themselves, event by event: the first sample has at most
     * {@link #EVENT_DRIVEN_DENSITY} of its entries non-zero ({@code sampleEvents}) and the step-major current of
     * {@code neurons} fits the scratch limit.
     */
    static boolean projectsEvents(long sampleEvents, Tensor x, long neurons) {
        return sampleEvents <= EVENT_DRIVEN_DENSITY * x.size(1) * x.size(2)
                && neurons * x.size(2) <= PROJECTED_SCRATCH_LIMIT;
    }

    /** Non-zero entries of the first sample of {@code x}: the density estimate for the event-driven projection. */
    static long firstSampleEvents(Tensor x) {
        return x.select(0, 0).count_nonzero().item_long();
    }

}
