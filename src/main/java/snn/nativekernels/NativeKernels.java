package snn.nativekernels;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;
import org.bytedeco.pytorch.global.torch;

import snn.config.ModelConfig;
import snn.neurons.DBlockLayer;
import snn.neurons.LayerOutput;
import snn.neurons.LifLayer;
import snn.neurons.NeuronKernels;
import snn.neurons.Projection;
import snn.neurons.Surrogate;
import snn.runtime.Device;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * Layers computed by the fused C kernels of {@code src/main/native} ({@link KernelLibrary}): the input projection
 * (event by event when the input is sparse) and the neuron dynamics, forward and backward, joined to LibTorch's
 * autograd graph without an {@code autograd.Function} (which Java cannot subclass):
 *
 * <ul>
 * <li>every tensor the layer's result depends on (the input, W_in, b_in, the clamped beta, W_rec, b_rec) that
 * needs a gradient gets a proxy, an alias registered with a hook, and {@code link} is the sum of all their
 * entries (its value does not matter, only its place in the graph);</li>
 * <li>each output (spikes, membrane) is {@code link} expanded to the output's shape and copied, a graph node,
 * whose memory the kernel then overwrites with the real values;</li>
 * <li>a hook on each output receives its upstream gradient and runs the native backward pass, which yields the
 * gradients of all inputs; autograd reaches the proxies only after the output's node, and their hooks return
 * those gradients, which then flow on through autograd as usual (through the clamp, for beta; into the previous
 * layer, for the input).</li>
 * </ul>
 *
 * <p>The backward pass is linear in the upstream gradients, so when both outputs are used each output's hook
 * computes its own share and autograd adds them up. With grad mode off (or nothing needing a gradient) the
 * kernels write into plain tensors and no hooks exist.
 *
 * <p>Supported: float32 CPU tensors and all three surrogates; anything else runs on LibTorch. A layer keeps what
 * the backward passes of its last {@value #KEPT_CALLS} forward passes need: run each backward pass before the
 * layer's forward pass after next (the usual one forward, one backward per step). A backward pass that comes later
 * fails with an {@link IllegalStateException} from {@code backward()} that says so; the hooks themselves (small)
 * stay alive for {@value #KEPT_HOOK_CALLS} forward passes, so that such a late backward pass reaches them.
 */
public final class NativeKernels implements NeuronKernels {

    /** Forward calls per layer whose backward passes can still run (their tensors are kept). */
    static final int KEPT_CALLS = 2;

    /** Forward calls per layer whose hooks stay reachable, to fail clearly on a late backward pass. */
    static final int KEPT_HOOK_CALLS = 1024;

    static final String EXPIRED = "a native-kernel layer's backward pass ran after " + KEPT_CALLS + " later forward"
            + " passes of the same layer; the layer keeps the state of its last " + KEPT_CALLS + " forward passes, so"
            + " run backward() before the forward pass after next (or use the LibTorch ops: --kernels torch)";

    /**
     * Largest fraction of non-zero inputs (estimated on the first sample) for which the input projection is computed
     * event by event inside the kernel; denser inputs are projected with a LibTorch matrix product first.
     */
    static final double EVENT_DRIVEN_DENSITY = 0.1;

    /** Tensors a layer's result depends on, in the order of {@link Link#grads}. */
    private static final int INPUT = 0;
    private static final int W_IN = 1;
    private static final int B_IN = 2;
    private static final int BETA = 3;
    private static final int W_REC = 4;
    private static final int B_REC = 5;
    private static final int SOURCES = 6;

    private final KernelLibrary library;
    /** The forward calls whose backward passes can still run, oldest first. */
    private final ArrayDeque<Call> kept = new ArrayDeque<>();
    /** The hooks of recent forward calls, oldest first: kept reachable after their calls expire. */
    private final ArrayDeque<List<Object>> keptHooks = new ArrayDeque<>();

    private NativeKernels(KernelLibrary library) {
        this.library = library;
    }

    /**
     * What computes a network's neuron dynamics, and why: the outcome of {@link #choose}.
     *
     * @param kernels   the kernels the layers use: the native ones, or {@link NeuronKernels#TORCH}
     * @param requested the configured choice
     * @param reason    why these kernels run, e.g. {@code "loaded from /path/libsnnkernels.so"} or
     *                  {@code "native kernel library libsnnkernels.so not found (...)"}
     */
    public record Selection(NeuronKernels kernels, ModelConfig.Kernels requested, String reason) {

        /** {@return whether the native kernels run} */
        public boolean isNative() {
            return kernels != NeuronKernels.TORCH;
        }

        /**
         * {@return one line for logs, e.g. {@code native kernels (auto; loaded from ...)} or {@code LibTorch ops
         * (auto; native kernels unavailable: ...)}}
         */
        public String describe() {
            String choice = requested.name().toLowerCase(java.util.Locale.ROOT);
            return (isNative() ? "native kernels" : "LibTorch ops") + " (model.kernels = " + choice + "; " + reason
                    + ")";
        }
    }

    /**
     * Chooses the kernels for a configured choice: with {@code AUTO} or {@code NATIVE}, the native kernels when the
     * library loads and the device is the CPU, LibTorch ops otherwise (the {@link Selection#reason()} says why);
     * with {@code TORCH}, LibTorch ops. Layers the native kernels do not serve (tensors other than float32 on the
     * CPU) run their LibTorch ops in any case.
     *
     * @param choice the configured kernels
     * @param device the device the network runs on
     * @return the kernels and why they were chosen
     */
    public static Selection choose(ModelConfig.Kernels choice, Device device) {
        if (choice == ModelConfig.Kernels.TORCH) {
            return new Selection(NeuronKernels.TORCH, choice, "as configured");
        }
        if (device != Device.CPU) {
            return new Selection(NeuronKernels.TORCH, choice, "the native kernels serve CPU tensors only, the run is"
                    + " on " + device);
        }
        Optional<NeuronKernels> nativeKernels = load();
        return nativeKernels.map(k -> new Selection(k, choice, KernelLibrary.status()))
                .orElseGet(() -> new Selection(NeuronKernels.TORCH, choice, "native kernels unavailable: "
                        + KernelLibrary.status()));
    }

    /**
     * The kernels for a configured choice on the device of the current runtime ({@link TorchRuntime#current()}, the
     * CPU when not initialised): {@link #choose}'s kernels.
     *
     * @param choice the configured kernels
     * @return {@link NeuronKernels#TORCH}, or native kernels from which each layer takes its own
     *         {@link NeuronKernels#forLayer()} instance
     */
    public static NeuronKernels select(ModelConfig.Kernels choice) {
        return choose(choice, currentDevice()).kernels();
    }

    /** {@return the device of the initialised runtime, or the CPU} */
    public static Device currentDevice() {
        return TorchRuntime.current().map(TorchRuntime.Report::device).orElse(Device.CPU);
    }

    /**
     * The native kernels, if the library was built and loads (see {@link KernelLibrary#status()} otherwise).
     *
     * @return the native kernels, or empty when {@link KernelLibrary#get()} is
     */
    public static Optional<NeuronKernels> load() {
        return KernelLibrary.get().map(NativeKernels::new);
    }

    @Override
    public NeuronKernels forLayer() {
        return new NativeKernels(library);
    }

    @Override
    public String name() {
        return "native";
    }

    // ----- LIF ----------------------------------------------------------------------------------------------

    @Override
    public Optional<LayerOutput> lif(Tensor input, Projection projection, Tensor beta, LifLayer.Mode mode,
            Projection recurrent, Surrogate surrogate) {
        if (!supported(input)) {
            return Optional.empty();
        }
        int kind = switch (mode) {
            case MULTI_SPIKE -> 0;
            case SINGLE_SPIKE -> 1;
            case INTEGRATOR -> 2;
        };
        // With a single step neither beta nor the recurrence takes part (LibTorch then leaves their .grad() unset).
        boolean multiStep = input.size(2) > 1;
        Call call = new Call(input, projection, beta, multiStep, recurrent, multiStep,
                mode != LifLayer.Mode.INTEGRATOR);
        long b = call.batch;
        long n = call.neurons;
        long t = call.steps;
        boolean single = mode == LifLayer.Mode.SINGLE_SPIKE;
        Tensor pre = single ? Tensors.empty(Device.CPU, torch.ScalarType.Float, b, n, t) : null;
        Tensor first = single ? Tensors.empty(Device.CPU, torch.ScalarType.Int, b, n) : null;
        library.lifForward(kind, b, n, t, call.in, call.betaValues, call.weightValues, call.biasValues,
                call.spikes, call.membrane, pre, first);
        int surr = surrogateKind(surrogate);
        float scale = surrogateScale(surrogate);
        return Optional.of(call.finish((gSpk, gMem, g) -> library.lifBackward(kind, surr, scale, recurrent != null,
                b, n, t, call.in, call.betaValues, call.spikeValues, call.membraneValues, pre, first, gSpk, gMem, g)));
    }

    // ----- block and d-block --------------------------------------------------------------------------------

    @Override
    public Optional<LayerOutput> dblock(Tensor input, Projection projection, Tensor beta, int blocks,
            boolean spiking, Projection recurrent, boolean detachRecurrent, DBlockLayer.RecurrentInput reduction,
            Surrogate surrogate) {
        if (!supported(input) || blocks < 1 || input.size(2) < blocks) {
            return Optional.empty();
        }
        long count = input.size(2) % blocks == 0 ? blocks : blocks + 1;
        // The recurrence takes part only when a block follows another.
        Call call = new Call(input, projection, beta, true, recurrent, count > 1, spiking);
        long b = call.batch;
        long n = call.neurons;
        long t = call.steps;
        // The local step of each block's spike (or -1): the recurrent input a_k and the amax tie-split need it.
        Tensor first = spiking && recurrent != null
                ? Tensors.empty(Device.CPU, torch.ScalarType.Int, b, count, n) : null;
        library.dblockForward(b, n, t, blocks, call.in, call.betaValues, call.weightValues, call.biasValues,
                call.spikes, call.membrane, first);
        int surr = surrogateKind(surrogate);
        float scale = surrogateScale(surrogate);
        int red = reduction == DBlockLayer.RecurrentInput.SUM ? 1 : 0;
        return Optional.of(call.finish((gSpk, gMem, g) -> library.dblockBackward(surr, scale, recurrent != null,
                detachRecurrent, red, b, n, t, blocks, call.in, call.betaValues, call.weightValues, call.spikeValues,
                call.membraneValues, first, gSpk, gMem, g)));
    }

    // ----- autograd glue ------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Backward {
        /** Fills {@code into} from the upstream gradients (either may be null: zero). */
        void run(Tensor gSpikes, Tensor gMembrane, KernelLibrary.Grads into);
    }

    /** One forward call: its inputs as raw memory, its outputs, and the hooks of its backward pass. */
    private final class Call {
        final long batch;
        final long neurons;
        final long steps;
        /** The autograd tensors the result depends on, indexed INPUT .. B_REC (null when absent). */
        final Tensor[] sources = new Tensor[SOURCES];
        /** Whether each source takes part in the result (and so receives a gradient). */
        final boolean[] used = new boolean[SOURCES];
        final KernelLibrary.Input in;
        final Tensor inputWeightValues;
        final Tensor betaValues;
        final Tensor weightValues;
        final Tensor biasValues;
        final boolean tracked;
        final Tensor spikes;
        final Tensor membrane;
        final Tensor spikeValues;
        final Tensor membraneValues;
        final List<Object> keepAlive = new ArrayList<>();
        /** What this call's output hooks reach; cleared when the call expires. */
        final HookTarget target = new HookTarget(this);
        /** The native backward pass; dropped (with the tensors it holds) when the call expires. */
        private Backward backward;
        private final Link spikesLink;
        private final Link membraneLink;

        /**
         * @param projection     the input projection, or null when {@code input} is the current
         * @param betaUsed       whether beta enters the result
         * @param recurrenceUsed whether W_rec and b_rec enter the result
         */
        Call(Tensor input, Projection projection, Tensor beta, boolean betaUsed, Projection recurrent,
                boolean recurrenceUsed, boolean spiking) {
            Tensor x = input.contiguous();
            long sampleEvents = projection != null ? firstSampleEvents(x) : 0;
            if (projection != null && sampleEvents > EVENT_DRIVEN_DENSITY * x.size(1) * x.size(2)) {
                // Dense input: a LibTorch matrix product gives the current, which the kernels take as input.
                x = projection.overTime(x).contiguous();
                projection = null;
            }
            this.batch = x.size(0);
            this.steps = x.size(2);
            this.neurons = projection != null ? projection.weight().size(0) : x.size(1);
            sources[INPUT] = x;
            sources[W_IN] = projection != null ? projection.weight() : null;
            sources[B_IN] = projection != null ? projection.bias() : null;
            sources[BETA] = beta;
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
                anyGrad |= tracks(k);
            }
            this.tracked = GradMode.is_enabled() && anyGrad;

            Tensor xValues = x.detach();
            this.inputWeightValues = projection != null ? projection.weight().detach().contiguous() : null;
            if (projection == null) {
                this.in = KernelLibrary.Input.dense(xValues);
            } else if (!tracked || !tracks(W_IN)) {
                this.in = new KernelLibrary.Input(null, xValues, inputWeightValues,
                        projection.bias().detach().contiguous(), null, null, null, 0);
            } else {
                // The events, for dL/dW_in: room for twice the first sample's (and at least 2 % of the bins) per
                // sample; a sample with more is scanned again in the backward pass.
                long bins = x.size(1) * steps;
                long capacity = Math.min(bins, Math.max(2 * sampleEvents, bins / 50) + 64);
                this.in = new KernelLibrary.Input(null, xValues, inputWeightValues,
                        projection.bias().detach().contiguous(),
                        Tensors.empty(Device.CPU, torch.ScalarType.Int, batch, capacity),
                        Tensors.empty(Device.CPU, torch.ScalarType.Float, batch, capacity),
                        Tensors.empty(Device.CPU, torch.ScalarType.Int, batch), capacity);
            }
            this.betaValues = beta.detach().expand(neurons).contiguous();
            this.weightValues = recurrent != null ? recurrent.weight().detach().contiguous() : null;
            this.biasValues = recurrent != null ? recurrent.bias().detach().contiguous() : null;

            this.spikesLink = spiking && tracked ? new Link() : null;
            this.membraneLink = tracked ? new Link() : null;
            this.spikes = spiking ? output(spikesLink) : null;
            this.membrane = output(membraneLink);
            // Values without autograd history (same memory) for the backward pass, so that the hooks do not hold
            // the graph they belong to.
            this.spikeValues = spikes != null ? spikes.detach() : null;
            this.membraneValues = membrane.detach();
        }

        boolean tracks(int source) {
            return used[source] && sources[source] != null && sources[source].requires_grad();
        }

        long[] shape() {
            return new long[] {batch, neurons, steps};
        }

        /** A tensor the kernel will overwrite: {@code link} expanded when gradients are recorded. */
        private Tensor output(Link link) {
            if (link == null) {
                return Tensors.empty(Device.CPU, torch.ScalarType.Float, shape());
            }
            return link.scalar(this).expand(shape()).contiguous();
        }

        /** Registers the backward hooks (when tracked) and wraps the outputs. */
        LayerOutput finish(Backward backward) {
            if (tracked) {
                this.backward = backward;
                if (spikes != null) {
                    hookOutput(spikes, spikesLink, true);
                }
                hookOutput(membrane, membraneLink, false);
                keep(this);
            }
            return new LayerOutput(spikes, membrane);
        }

        private void hookOutput(Tensor output, Link link, boolean spikeSide) {
            TensorTensorHook hook = outputHook(target, link, spikeSide);
            keepAlive.add(hook);
            output.register_hook(hook);
        }

        /**
         * An output's hook: the native backward pass for the output's upstream gradient, whose input gradients
         * {@code link} hands to the proxies.
         */
        TensorBase outputGradient(TensorBase grad, Link link, boolean spikeSide) {
            Tensor g = new Tensor(grad).contiguous();
            boolean wantInput = tracks(INPUT);
            KernelLibrary.Grads into = new KernelLibrary.Grads(
                    wantInput ? Tensors.empty(Device.CPU, torch.ScalarType.Float, shape()) : null,
                    tracks(W_IN) ? Tensors.empty(Device.CPU, torch.ScalarType.Float, Tensors.shape(sources[W_IN])) : null,
                    tracks(B_IN) ? Tensors.empty(Device.CPU, torch.ScalarType.Float, neurons) : null,
                    tracks(BETA) ? Tensors.empty(Device.CPU, torch.ScalarType.Float, neurons) : null,
                    tracks(W_REC) ? Tensors.empty(Device.CPU, torch.ScalarType.Float, neurons, neurons) : null,
                    tracks(B_REC) ? Tensors.empty(Device.CPU, torch.ScalarType.Float, neurons) : null);
            backward.run(spikeSide ? g : null, spikeSide ? null : g, into);
            Tensor current = into.current();
            // dL/dx = W_in^T dL/dI when the kernel projected the input itself
            link.grads[INPUT] = current == null ? null
                    : inputWeightValues != null ? inputWeightValues.t().matmul(current) : current;
            link.grads[W_IN] = into.inputWeight();
            link.grads[B_IN] = into.inputBias();
            Tensor gBeta = into.beta();
            link.grads[BETA] = gBeta == null ? null
                    : sources[BETA].numel() == neurons ? gBeta.reshape(Tensors.shape(sources[BETA]))
                            : gBeta.sum().reshape(1);
            link.grads[W_REC] = into.weight();
            link.grads[B_REC] = into.bias();
            // The link's own gradient is irrelevant (the proxies' hooks replace it): a zero without memory.
            return Tensors.zeros(Device.CPU).expand(shape());
        }

        /**
         * Ends the call's backward pass: its hooks stay registered (and reachable, see {@link #keep}) but fail
         * clearly, and its tensors become garbage.
         */
        void expire() {
            target.call = null;
            backward = null;
            for (Link link : new Link[] {spikesLink, membraneLink}) {
                if (link != null) {
                    Arrays.fill(link.grads, null);
                }
            }
        }
    }

    /** What an output's hook reaches: its forward call until the call expires, then nothing. */
    private static final class HookTarget {
        volatile Call call;

        HookTarget(Call call) {
            this.call = call;
        }
    }

    /** An output's hook, made in a static context so that it holds only {@code target} and {@code link}. */
    private static TensorTensorHook outputHook(HookTarget target, Link link, boolean spikeSide) {
        return new TensorTensorHook() {
            @Override
            public TensorBase call(TensorBase grad) {
                Call call = target.call;
                if (call == null) {
                    throw new IllegalStateException(EXPIRED);
                }
                return call.outputGradient(grad, link, spikeSide);
            }
        };
    }

    /** The scalar that ties one output to the proxies of its sources, and the gradients they return. */
    private static final class Link {
        final Tensor[] grads = new Tensor[SOURCES];

        /** The sum over the proxies of every source of {@code call} that needs a gradient. */
        Tensor scalar(Call call) {
            Tensor sum = null;
            for (int k = 0; k < SOURCES; k++) {
                if (call.tracks(k)) {
                    Tensor term = proxyTerm(call, k);
                    sum = sum == null ? term : sum.add(term);
                }
            }
            return sum;
        }

        /**
         * The sum of an alias of source k. Its backward pass hands the alias a gradient of ones expanded from a
         * scalar (no memory), which the alias's hook replaces by the native gradient.
         */
        private Tensor proxyTerm(Call call, int k) {
            Tensor proxy = call.sources[k].alias();
            int index = k;
            TensorTensorHook hook = new TensorTensorHook() {
                @Override
                public TensorBase call(TensorBase grad) {
                    Tensor g = grads[index];
                    return g != null ? g : torch.zeros_like(new Tensor(grad));
                }
            };
            call.keepAlive.add(hook);
            proxy.register_hook(hook);
            return proxy.sum();
        }
    }

    /**
     * Keeps {@code call} able to run its backward pass for {@value #KEPT_CALLS} forward calls of this layer, and
     * its hooks reachable for {@value #KEPT_HOOK_CALLS}: JavaCPP frees a hook's native entry point when the hook is
     * collected, and autograd calling a freed hook would crash the JVM instead of failing.
     */
    private void keep(Call call) {
        synchronized (kept) {
            kept.addLast(call);
            keptHooks.addLast(call.keepAlive);
            while (kept.size() > KEPT_CALLS) {
                kept.removeFirst().expire();
            }
            while (keptHooks.size() > KEPT_HOOK_CALLS) {
                keptHooks.removeFirst();
            }
        }
    }

    // ----- helpers ------------------------------------------------------------------------------------------

    private static boolean supported(Tensor input) {
        return input.dim() == 3 && input.scalar_type().intern() == torch.ScalarType.Float
                && input.device().is_cpu() && input.numel() > 0;
    }

    /** Non-zero entries of the first sample of {@code x}: the density estimate for the event-driven projection. */
    static long firstSampleEvents(Tensor x) {
        return x.select(0, 0).count_nonzero().item_long();
    }

    /** Whether the kernels would project {@code x} event by event. */
    static boolean eventDriven(Tensor x) {
        return firstSampleEvents(x) <= EVENT_DRIVEN_DENSITY * x.size(1) * x.size(2);
    }

    /** The kernel's code for a surrogate: 0 fast sigmoid, 1 arctan, 2 triangle. */
    static int surrogateKind(Surrogate s) {
        return switch (s) {
            case Surrogate.FastSigmoid _ -> 0;
            case Surrogate.Arctan _ -> 1;
            case Surrogate.Triangle _ -> 2;
        };
    }

    static float surrogateScale(Surrogate s) {
        return (float) switch (s) {
            case Surrogate.FastSigmoid f -> f.scale();
            case Surrogate.Arctan a -> a.alpha();
            case Surrogate.Triangle tr -> tr.scale();
        };
    }
}
