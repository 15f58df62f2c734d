package snn.nativekernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Device;
import snn.runtime.Tensors;

/**
 * The backward pass of one native-kernel call, run by the hooks {@link CallGraph} registers (docs/native-kernels.md,
 * "Autograd"): an output's hook runs the native backward kernel for that output's upstream gradient, and the
 * sources' gradients wait in {@link #pending} until autograd reaches each source's proxy, whose hook hands its
 * gradient over. Both outputs' shares add up (the backward pass is linear in the upstream gradients).
 */
final class NativeBackward {

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

    static final String SECOND_BACKWARD = "Trying to backward through the graph of a native-kernel layer a second"
            + " time (or after an earlier backward() freed its saved state). Like autograd's saved tensors, the"
            + " kernels' saved state is freed by the first backward() that does not retain the graph: specify"
            + " retain_graph=true if you need to backward through the graph a second time.";

    private final KernelLibrary library;
    private final KernelAbi.Family family;
    private final KernelArgs args;
    private final CallLifetime lifetime;
    private final long batch;
    private final long neurons;
    private final long steps;
    private final boolean[] tracks;
    /** W_in's values, for dL/dx = W_in^T dL/dI when the kernel projects the input itself; else null. */
    private final Tensor inputWeight;
    /** The shapes of W_in (null without projection) and of the (clamped) beta, for their gradients. */
    private final long[] inputWeightShape;
    private final long[] betaShape;
    private final List<VersionCheck> versions = new ArrayList<>();
    private final Tensor[] pending = new Tensor[SOURCES];
    /** Gradients handed to autograd in the current backward pass (autograd copies them after a hook returns). */
    private final List<Tensor> handedOut = new ArrayList<>();
    private final boolean[] served = new boolean[2];
    /** The outputs' replaced gradient: zeros of their shape, without memory. */
    private Tensor zeroGradient;
    private int proxiesRun;
    /**
     * As a consumer of a producer's spikes (docs/native-kernels.md, "Bits between"): the producer's backward pass, to
     * which this call hands its step-major dL/dI and W_in instead of returning dL/dx; the input's replaced gradient
     * (zeros without memory); this pass's dL/dI. All null otherwise.
     */
    private NativeBackward producer;
    private Tensor producerWeight;
    private Tensor zeroInput;
    private Tensor stepGradient;
    /** As a producer: a consumer's share of the spikes' gradient for the coming spike-side pass, or null. */
    private Tensor nextGradient;
    private Tensor nextWeight;

    NativeBackward(KernelLibrary library, KernelAbi.Family family, KernelArgs args, CallLifetime lifetime,
            long[] shape, boolean[] tracks, Tensor inputWeight, long[] betaShape) {
        this.library = library;
        this.family = family;
        this.args = args;
        this.lifetime = lifetime;
        this.batch = shape[0];
        this.neurons = shape[1];
        this.steps = shape[2];
        this.tracks = tracks.clone();
        this.inputWeight = inputWeight;
        this.inputWeightShape = inputWeight != null ? Tensors.shape(inputWeight) : null;
        this.betaShape = betaShape;
        lifetime.onGraphGone(() -> {
            releaseGradients();
            releaseNext();
        });
    }

    /** {@return the source's name as the layer names it} */
    static String name(int source) {
        return NAMES[source];
    }

    /** Adds a version check of a tensor the backward pass reads (a detached alias, kept as saved state). */
    void checkVersionOf(String name, Tensor t) {
        versions.add(new VersionCheck(name, lifetime.save(t.detach())));
    }

    /**
     * Makes this call a consumer that hands its input's gradient to the input's producer: the kernel writes dL/dI
     * step-major, and the input's proxy returns {@code zeroInput} after handing dL/dI and W_in over.
     *
     * @param producer  the producer's backward pass
     * @param weight    W_in, a handle kept with the graph (the saved state goes before the input's proxy runs)
     * @param zeroInput zeros of the input's shape without memory (kept with the graph)
     */
    void handInputGradientTo(NativeBackward producer, Tensor weight, Tensor zeroInput) {
        this.producer = producer;
        this.producerWeight = weight;
        this.zeroInput = zeroInput;
    }

    /**
     * A consumer's share of the spikes' gradient, dL/ds = W^T dL/dI, which the next spike-side backward kernel adds
     * (the consumer's input proxy calls this just before autograd passes the spikes' gradient on to this call).
     *
     * @param stepGradient the consumer's dL/dI, step-major {@code [batch, steps, K]}, retained: released here
     * @param weight       the consumer's W_in {@code [K, neurons]}, retained here until the share is used
     */
    void receive(Tensor stepGradient, Tensor weight) {
        synchronized (lifetime) {
            releaseNext();
            nextGradient = stepGradient;
            // a handle of its own: the consumer's saved state, which holds W_in, may go before this call's backward
            // pass runs
            nextWeight = new Tensor(weight);
            nextWeight.retainReference();
        }
    }

    private void releaseNext() {
        if (nextGradient != null) {
            nextGradient.releaseReference();
            nextWeight.releaseReference();
        }
        nextGradient = null;
        nextWeight = null;
    }

    /** Sets the outputs' replaced gradient: zeros of their shape without memory (kept with the graph). */
    void zeroGradient(Tensor zeros) {
        zeroGradient = zeros;
    }

    /**
     * An output's hook: the native backward pass for the output's upstream gradient; the gradients of the sources
     * wait in {@link #pending} for the proxies' hooks.
     *
     * @param grad the output's upstream gradient
     * @param side 0 for the spikes, 1 for the membrane
     * @return the output's own gradient, replaced by a zero without memory
     */
    TensorBase outputGradient(TensorBase grad, int side) {
        KernelEvent event = new KernelEvent(family, neurons, "backward hook");
        event.begin();
        synchronized (lifetime) {
            if (lifetime.savedReleased()) {
                throw new IllegalStateException(SECOND_BACKWARD);
            }
            for (VersionCheck v : versions) {
                v.check();
            }
            if (proxiesRun > 0 || served[side]) {
                // a new backward pass through a retained graph
                releaseGradients();
            }
            served[side] = true;
            try (PointerScope scope = new PointerScope()) {
                Tensor g = new Tensor(grad);
                runKernel(isZeroBroadcast(g) ? null : g.contiguous(), side);
            }
        }
        event.commit();
        return zeroGradient;
    }

    /**
     * Whether a gradient is a zero broadcast over its shape (every stride 0, the one value 0): the kernels then read
     * no gradient at all, rather than the zeros a contiguous copy would write.
     */
    private static boolean isZeroBroadcast(Tensor g) {
        if (g.numel() == 0 || g.scalar_type().intern() != torch.ScalarType.Float || !g.device().is_cpu()) {
            return false;
        }
        long[] strides = g.strides().vec().get();
        for (long stride : strides) {
            if (stride != 0) {
                return false;
            }
        }
        float value = new org.bytedeco.javacpp.FloatPointer(g.data_ptr()).get();
        return value == 0f;
    }

    /**
     * The backward kernel for one output's upstream gradient {@code g} (null: zero).
     */
    private void runKernel(Tensor g, int side) {
        long[] shape = {batch, neurons, steps};
        // dL/dI itself only for a dense current (it is dL/dx then); with a projected input the kernel takes
        // dL/dW_in, dL/db_in and dL/dx = W_in^T dL/dI from its own copy of dL/dI, or hands dL/dI to the input's
        // producer (step-major) instead of dL/dx
        Tensor gCur = tracks[INPUT] && inputWeight == null ? BufferPool.floats(shape) : null;
        Tensor gX = tracks[INPUT] && inputWeight != null && producer == null
                ? BufferPool.floats(batch, inputWeight.size(1), steps) : null;
        Tensor gSteps = tracks[INPUT] && producer != null ? BufferPool.floats(batch, steps, neurons) : null;
        // a consumer's share of the spikes' gradient, added by the spike-side kernel
        Tensor next = side == 0 ? nextGradient : null;
        if (next != null) {
            args.set(KernelAbi.NEXT_G, next).set(KernelAbi.NEXT_W, nextWeight).set(KernelAbi.NEXT_K,
                    nextWeight.size(0));
        }
        Tensor gWin = tracks[W_IN] ? Tensors.empty(Device.CPU, torch.ScalarType.Float, inputWeightShape) : null;
        Tensor gBin = tracks[B_IN] ? Tensors.empty(Device.CPU, torch.ScalarType.Float, neurons) : null;
        Tensor gBeta = tracks[BETA] ? Tensors.empty(Device.CPU, torch.ScalarType.Float, neurons) : null;
        Tensor gWrec = tracks[W_REC] ? Tensors.empty(Device.CPU, torch.ScalarType.Float, neurons, neurons) : null;
        Tensor gBrec = tracks[B_REC] ? Tensors.empty(Device.CPU, torch.ScalarType.Float, neurons) : null;
        args.set(KernelAbi.THREADS, KernelLibrary.threads()).set(KernelAbi.G_SPK, side == 0 ? g : null)
                .set(KernelAbi.G_MEM, side == 1 ? g : null).set(KernelAbi.GRAD_CUR, gCur).set(KernelAbi.GRAD_X, gX)
                .set(KernelAbi.GRAD_W_IN, gWin).set(KernelAbi.GRAD_B_IN, gBin).set(KernelAbi.GRAD_BETA, gBeta)
                .set(KernelAbi.GRAD_W_REC, gWrec).set(KernelAbi.GRAD_B_REC, gBrec)
                .set(KernelAbi.GRAD_CUR_STEPS, gSteps);
        KernelEvent event = new KernelEvent(family, neurons, "backward kernel");
        event.begin();
        try {
            library.backward(family, args, lifetime, g, gCur, gX, gWin, gBin, gBeta, gWrec, gBrec, gSteps, next,
                    nextWeight);
        } finally {
            for (StructField.Address f : KernelAbi.GRADIENTS) {
                args.set(f, (Tensor) null);
            }
            args.set(KernelAbi.NEXT_K, 0L);
            if (next != null) {
                releaseNext();
            }
        }
        event.commit();
        if (gSteps != null) {
            Tensor previous = stepGradient;
            stepGradient = previous == null ? gSteps : previous.add(gSteps);
            stepGradient.retainReference();
            if (previous != null) {
                previous.releaseReference();
            }
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

    /**
     * A proxy's hook: hands over the source's native gradient.
     *
     * @param k the source
     * @return its gradient from this backward pass
     */
    TensorBase proxyGradient(int k) {
        synchronized (lifetime) {
            if (k == INPUT && producer != null) {
                if (stepGradient == null) {
                    throw new IllegalStateException("native kernels: no gradient for the layer's input (its output's"
                            + " hook did not run in this backward pass)");
                }
                // the producer adds W_in^T dL/dI to its spikes' gradient; autograd carries a zero without memory
                producer.receive(stepGradient, producerWeight);
                ProducedSpikes.noteHandedOver();
                stepGradient = null;
                proxiesRun++;
                return zeroInput;
            }
            Tensor g = pending[k];
            if (g == null) {
                throw new IllegalStateException("native kernels: no gradient for the layer's " + NAMES[k]
                        + " (its output's hook did not run in this backward pass)");
            }
            pending[k] = null;
            handedOut.add(g);
            proxiesRun++;
            return g;
        }
    }

    /** Releases the gradients of the last backward pass, pending or handed out. */
    private void releaseGradients() {
        for (Tensor p : pending) {
            if (p != null) {
                p.releaseReference();
            }
        }
        Arrays.fill(pending, null);
        if (stepGradient != null) {
            stepGradient.releaseReference();
            stepGradient = null;
        }
        for (Tensor t : handedOut) {
            t.releaseReference();
        }
        handedOut.clear();
        proxiesRun = 0;
        served[0] = false;
        served[1] = false;
    }
}
