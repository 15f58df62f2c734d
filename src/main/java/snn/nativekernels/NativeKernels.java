package snn.nativekernels;

import java.util.Locale;
import java.util.Optional;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.config.ModelConfig;
import snn.neurons.DBlockLayer;
import snn.neurons.DynamicsSpec;
import snn.neurons.LayerOutput;
import snn.neurons.LayerTensors;
import snn.neurons.LifLayer;
import snn.neurons.NeuronKernels;
import snn.neurons.Surrogate;
import snn.runtime.Device;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * Layers computed by the fused C kernels of {@code src/main/native} ({@link KernelLibrary}): the input projection
 * (event by event when the input is sparse) and the neuron dynamics, forward and backward, joined to LibTorch's
 * autograd graph without an {@code autograd.Function} (which Java cannot subclass): see {@link NativeCall}. Each
 * call's native state lives exactly as long as its autograd graph can run the backward pass, and is freed by
 * LibTorch's own reference counting when the graph is (docs/native-kernels.md, "Lifetime"; {@link #memory()}).
 *
 * <p>Supported: float32 CPU tensors and all three surrogates; anything else runs on LibTorch.
 *
 * <p>Threads: an instance may be used from any number of threads at once; each forward call and its graph belong
 * to the thread that runs them, as LibTorch's own do.
 */
public final class NativeKernels implements NeuronKernels {

    private final KernelLibrary library;

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
            String choice = requested.name().toLowerCase(Locale.ROOT);
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
     * @return {@link NeuronKernels#TORCH}, or the native kernels
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
    public String name() {
        return "native";
    }

    @Override
    public Optional<LayerOutput> compute(DynamicsSpec spec, LayerTensors tensors) {
        Tensor input = tensors.input();
        if ((input != null && !supported(input))
                || spec instanceof DynamicsSpec.DBlock d && tensors.steps() < d.blocks()) {
            return Optional.empty();
        }
        LayerOutput inner;
        CallLifetime lifetime = new CallLifetime();
        try (PointerScope own = new PointerScope()) {
            NativeCall call = switch (spec) {
                case DynamicsSpec.Lif lif -> lif(lif, lifetime, tensors);
                case DynamicsSpec.DBlock dblock -> dblock(dblock, lifetime, tensors);
            };
            inner = call.run();
        } catch (RuntimeException | Error e) {
            // what the anchors do not release (they go with this scope's handles, and release the rest)
            lifetime.releaseNow(true);
            throw e;
        }
        return Optional.of(NativeCall.handOver(inner));
    }

    /**
     * Sets whether the threads that run LibTorch's operations started from the calling thread flush denormal floats
     * (magnitudes below 2^-126) to zero, until the returned mode is closed: FTZ and DAZ in the MXCSR of the calling
     * thread and of the other threads of its OpenMP team, LibTorch's intra-op pool ({@link KernelLibrary#flushDenormals}).
     * Without the library only the calling thread can be set (LibTorch's {@code setFlushDenormal}, as
     * {@code torch.set_flush_denormal} does); the pool's threads then keep their mode. The kernels flush denormals
     * inside their own calls whatever this says. The mode also governs Java's float arithmetic on the calling thread
     * (a denormal operand reads as zero), hence the scope.
     *
     * @param flush true to flush, false for IEEE 754 gradual underflow (LibTorch's default)
     * @return the mode; closing it restores the mode the threads had before (with the library; without it, gradual
     *         underflow, LibTorch's default)
     */
    public static DenormalMode flushDenormals(boolean flush) {
        Optional<KernelLibrary> library = KernelLibrary.get();
        if (library.isPresent()) {
            boolean before = library.get().threadsFlushingDenormals() == KernelLibrary.threads();
            return new DenormalMode(library.get().flushDenormals(flush), before);
        }
        return new DenormalMode(torch.globalContext().setFlushDenormal(flush) && flush ? 1 : 0, false);
    }

    /**
     * The denormal mode {@link #flushDenormals} set, for the length of a training or benchmark run.
     *
     * @param threads how many threads run LibTorch's operations in the mode set: the pool's size with the library
     *                (0 after clearing the mode, or on a CPU without the mode), else 1 when LibTorch could set the
     *                calling thread and 0 when it could not
     * @param before  whether those threads flushed denormals before, the mode {@link #close()} restores
     */
    public record DenormalMode(int threads, boolean before) implements AutoCloseable {

        /** Restores the mode the threads had before; call it on the thread that set the mode. */
        @Override
        public void close() {
            KernelLibrary.get().ifPresentOrElse(library -> library.flushDenormals(before),
                    () -> torch.globalContext().setFlushDenormal(before));
        }
    }

    /**
     * What the native kernels hold in native memory now, for services that watch it (docs/native-kernels.md,
     * "Lifetime"): every figure returns to its level before a call once the call's graph is gone, and idle buffers
     * are freed after 10 s unused or by {@link #releaseIdleMemory()}.
     *
     * @param graphs       calls whose graph still exists (their hooks and last gradients are kept)
     * @param savedStates  calls whose saved state (argument struct, saved values and buffers) is kept: those whose
     *                     graph exists and has not run a backward pass that does not retain it
     * @param pooledInUse  bytes of the kernels' pooled buffers held by live tensors
     * @param pooledIdle   bytes of idle pooled buffers, at most 256 MiB
     */
    public record Memory(long graphs, long savedStates, long pooledInUse, long pooledIdle) {
    }

    /** {@return what the native kernels hold in native memory now} */
    public static Memory memory() {
        return new Memory(CallLifetime.liveStates(), CallLifetime.liveSavedStates(), BufferPool.inUseBytes(),
                BufferPool.idleBytes());
    }

    /** Frees the idle pooled buffers now (they are freed anyway after a while unused; buffers in use stay). */
    public static void releaseIdleMemory() {
        BufferPool.trim();
    }

    /** A standard LIF call ({@code snn_lif_*}). */
    private NativeCall lif(DynamicsSpec.Lif spec, CallLifetime lifetime, LayerTensors t) {
        // With a single step neither beta nor the recurrence takes part (LibTorch then leaves their .grad() unset).
        boolean multiStep = t.steps() > 1;
        NativeCall call = new NativeCall(library, lifetime, KernelAbi.Family.LIF, t, multiStep, multiStep,
                spec.spiking(), surrogateKind(spec.surrogate()), surrogateScale(spec.surrogate()));
        call.args().set(KernelAbi.LIF_MODE, switch (spec.mode()) {
            case MULTI_SPIKE -> KernelAbi.LIF_MULTI;
            case SINGLE_SPIKE -> KernelAbi.LIF_SINGLE;
            case INTEGRATOR -> KernelAbi.LIF_INTEGRATOR;
        }).set(KernelAbi.LIF_RESET,
                spec.reset() == LifLayer.Reset.ZERO ? KernelAbi.RESET_ZERO : KernelAbi.RESET_SUBTRACT);
        if (spec.mode() == LifLayer.Mode.SINGLE_SPIKE) {
            long[] shape = {call.batch, call.neurons, call.steps};
            call.args().set(KernelAbi.LIF_PRE, call.save(BufferPool.floats(shape))).set(KernelAbi.FIRST,
                    call.save(Tensors.empty(Device.CPU, torch.ScalarType.Int, call.batch, call.neurons)));
        }
        return call;
    }

    /** A block or d-block call ({@code snn_dblock_*}). */
    private NativeCall dblock(DynamicsSpec.DBlock spec, CallLifetime lifetime, LayerTensors t) {
        long steps = t.steps();
        long count = steps % spec.blocks() == 0 ? spec.blocks() : spec.blocks() + 1;
        // The recurrence takes part only when a block follows another.
        NativeCall call = new NativeCall(library, lifetime, KernelAbi.Family.DBLOCK, t, true, count > 1,
                spec.spiking(), surrogateKind(spec.surrogate()), surrogateScale(spec.surrogate()));
        call.args().set(KernelAbi.DBLOCK_DETACH, spec.detach()).set(KernelAbi.DBLOCK_BLOCKS, (long) spec.blocks())
                .set(KernelAbi.DBLOCK_REDUCTION, spec.reduction() == DBlockLayer.RecurrentInput.SUM
                        ? KernelAbi.REDUCE_SUM : KernelAbi.REDUCE_MAX);
        if (spec.recurrent()) {
            // The local step of each block's spike (or -1): the recurrent input a_k and the amax tie-split need it.
            call.args().set(KernelAbi.FIRST, call.save(Tensors.empty(Device.CPU, torch.ScalarType.Int, call.batch,
                    count, call.neurons)));
            if (!spec.detach() && count > 1) {
                call.checkVersionOf(NativeBackward.name(NativeBackward.W_REC), t.recurrent().weight());
            }
        }
        return call;
    }

    // ----- helpers ------------------------------------------------------------------------------------------

    private static boolean supported(Tensor input) {
        return input.dim() == 3 && input.scalar_type().intern() == torch.ScalarType.Float
                && input.device().is_cpu() && input.numel() > 0;
    }

    /**
     * Whether the native kernels, computing a layer of {@code neurons} on the input {@code x}, project it
     * themselves event by event (sparse input) instead of taking a current LibTorch projected: then the current
     * never exists, and the projection's time is part of the kernels'.
     *
     * @param x       the layer's input {@code [batch, inputs, time]}
     * @param neurons the layer's neurons
     * @return true when the projection is fused into the kernels
     */
    public static boolean projectsEvents(Tensor x, long neurons) {
        return InputPath.projectsEvents(InputPath.firstSampleEvents(x), x.size(1), x.size(2), neurons);
    }

    /** The kernel's code for a surrogate. */
    static int surrogateKind(Surrogate s) {
        return switch (s) {
            case Surrogate.FastSigmoid _ -> KernelAbi.SURR_FAST_SIGMOID;
            case Surrogate.Arctan _ -> KernelAbi.SURR_ARCTAN;
            case Surrogate.Triangle _ -> KernelAbi.SURR_TRIANGLE;
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
