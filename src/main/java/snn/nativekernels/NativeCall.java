package snn.nativekernels;

import java.lang.foreign.MemorySegment;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.neurons.LayerOutput;
import snn.neurons.LayerTensors;
import snn.neurons.Projection;
import snn.neurons.SpikeEvents;
import snn.runtime.Device;
import snn.runtime.Tensors;

/**
 * One forward call of a native kernel family: marshals the layer's tensors into the kernel's argument struct and
 * runs the forward kernel. The rest has a class of its own: {@link InputPath} chooses the input path,
 * {@link CallGraph} joins the call to autograd's graph, {@link NativeBackward} runs the backward pass, and
 * {@link CallLifetime} keeps the call's state exactly as long as the graph needs it (docs/native-kernels.md).
 */
final class NativeCall {

    private final KernelLibrary library;
    private final KernelAbi.Family family;
    private final KernelArgs args;
    private final CallLifetime lifetime;
    final long batch;
    final long neurons;
    final long steps;
    /** Whether each source takes part and needs a gradient, fixed in the forward pass. */
    private final boolean[] tracks = new boolean[NativeBackward.SOURCES];
    /** The backward pass and the graph, when the call builds a graph (grad mode on, a source needing a gradient). */
    private final NativeBackward backward;
    private final CallGraph graph;
    private final Tensor spikes;
    private final Tensor membrane;
    /** The saved detached alias of the spikes, and their bit mask when the call hands them on as bits; else null. */
    private Tensor spikesAlias;
    private final Tensor spikeBits;
    private final Tensor spikeNan;

    /**
     * Prepares a call: the input (projected by the kernel when sparse, from the caller's events when it gives them,
     * else by LibTorch), the sources, the saved
     * values and the common fields of the argument struct, and the graph when one is needed. Must run inside a scope
     * of the caller's ({@link NativeKernels}) own, which frees whatever the call does not keep; when this or
     * {@link #run} throws, the caller calls {@code lifetime.releaseNow(true)}, and the anchors, freed with the scope,
     * release the rest.
     *
     * @param lifetime       the call's state, new
     * @param betaUsed       whether beta enters the result (not at a single step)
     * @param recurrenceUsed whether W_rec and b_rec enter the result
     * @param spiking        whether there is a spike output
     */
    NativeCall(KernelLibrary library, CallLifetime lifetime, KernelAbi.Family family, LayerTensors t,
            boolean betaUsed, boolean recurrenceUsed, boolean spiking, int surrogate, float scale) {
        this.library = library;
        this.lifetime = lifetime;
        this.family = family;
        Projection projection = t.projection();
        SpikeEvents events = t.events();
        Tensor x;
        long sampleEvents;
        if (events != null) {
            // Events in: the kernels read them as they are, unless the first sample is too dense for the
            // event-driven projection (the rule a dense input is judged by), which then takes the dense path.
            sampleEvents = events.sampleEvents(0);
            if (InputPath.projectsEvents(sampleEvents, events.channels(), events.steps(),
                    projection.weight().size(0))) {
                x = null;
            } else {
                x = events.dense();
                events = null;
            }
        } else {
            x = t.input().contiguous();
            sampleEvents = projection != null ? InputPath.firstSampleEvents(x) : 0;
        }
        long channels = x != null ? x.size(1) : events.channels();
        if (projection != null && channels != projection.weight().size(1)) {
            // the kernels read W_in with the input's channel count: refuse before any memory is read
            throw new IllegalArgumentException("the layer takes " + projection.weight().size(1) + " input channels,"
                    + " the input has " + channels);
        }
        if (x != null && projection != null
                && !InputPath.projectsEvents(sampleEvents, x.size(1), x.size(2), projection.weight().size(0))) {
            // Dense input: a LibTorch matrix product gives the current, which the kernels take as input.
            x = projection.overTime(x).contiguous();
            projection = null;
        }
        batch = x != null ? x.size(0) : events.batch();
        steps = x != null ? x.size(2) : events.steps();
        neurons = projection != null ? projection.weight().size(0) : x.size(1);
        Projection recurrent = t.recurrent();
        if (recurrent != null && recurrent.weight().size(0) != neurons) {
            throw new IllegalArgumentException("the layer has " + recurrent.weight().size(0) + " neurons, the current "
                    + "has " + neurons);
        }
        // The autograd tensors the result depends on (null when absent), and whether each takes part.
        Tensor[] sources = new Tensor[NativeBackward.SOURCES];
        sources[NativeBackward.INPUT] = x;
        sources[NativeBackward.W_IN] = projection != null ? projection.weight() : null;
        sources[NativeBackward.B_IN] = projection != null ? projection.bias() : null;
        sources[NativeBackward.BETA] = t.beta();
        sources[NativeBackward.W_REC] = recurrent != null ? recurrent.weight() : null;
        sources[NativeBackward.B_REC] = recurrent != null ? recurrent.bias() : null;
        boolean[] used = {true, true, true, betaUsed, recurrenceUsed, recurrenceUsed};
        boolean anyGrad = false;
        for (int k = 0; k < NativeBackward.SOURCES; k++) {
            tracks[k] = used[k] && sources[k] != null && sources[k].requires_grad();
            anyGrad |= tracks[k];
        }
        boolean tracked = GradMode.is_enabled() && anyGrad;

        BytePointer memory = save(new BytePointer(family.layout.byteSize()));
        args = new KernelArgs(family.layout, MemorySegment.ofAddress(memory.address()));
        args.set(KernelAbi.SURROGATE, surrogate).set(KernelAbi.SCALE, scale).set(KernelAbi.BATCH, batch)
                .set(KernelAbi.NEURONS, neurons).set(KernelAbi.STEPS, steps).set(KernelAbi.SPIKING, spiking)
                .set(KernelAbi.ISA, library.isa().code);
        Tensor xValues = x != null ? save(x.detach()) : null;
        Tensor inputWeight = null;
        if (projection == null) {
            args.set(KernelAbi.IN_CUR, xValues);
        } else {
            inputWeight = save(projection.weight().detach().contiguous());
            args.set(KernelAbi.IN_M, channels).set(KernelAbi.IN_W_IN, inputWeight)
                    .set(KernelAbi.IN_B_IN, save(projection.bias().detach().contiguous()));
            if (events != null) {
                // the backward pass reads the same events (dL/dW_in): they are saved with the call
                args.set(KernelAbi.IN_EVENT_OFFSETS, save(events.offsets()))
                        .set(KernelAbi.IN_EVENT_POSITIONS, save(events.positions()))
                        .set(KernelAbi.IN_EVENT_VALUES, save(events.values()));
            } else {
                args.set(KernelAbi.IN_X, xValues);
            }
            if (x != null && tracked && tracks[NativeBackward.W_IN]) {
                long capacity = InputPath.eventCapacity(sampleEvents, x.size(1) * steps);
                args.set(KernelAbi.IN_EV_POS, save(BufferPool.ints(batch, capacity)))
                        .set(KernelAbi.IN_EV_VAL, save(BufferPool.floats(batch, capacity)))
                        .set(KernelAbi.IN_EV_COUNT, save(Tensors.empty(Device.CPU, torch.ScalarType.Int, batch)))
                        .set(KernelAbi.IN_EV_CAP, capacity);
            }
        }
        // x from a native call's spikes: the events' positions come from its bit mask (docs/native-kernels.md)
        ProducedSpikes.Producer producer = projection != null && x != null ? ProducedSpikes.of(x).orElse(null) : null;
        if (producer != null) {
            args.set(KernelAbi.IN_X_BITS, save(producer.bits())).set(KernelAbi.IN_X_NAN, save(producer.nan()));
            ProducedSpikes.noteBitsRead();
        }
        args.set(KernelAbi.BETA, save(t.beta().detach().expand(neurons).contiguous()));
        if (recurrent != null) {
            args.set(KernelAbi.W_REC, save(recurrent.weight().detach().contiguous()))
                    .set(KernelAbi.B_REC, save(recurrent.bias().detach().contiguous()));
        }
        long[] shape = {batch, neurons, steps};
        if (tracked) {
            backward = new NativeBackward(library, family, args, lifetime, shape, tracks, inputWeight,
                    Tensors.shape(t.beta()));
            // What the backward pass reads of the caller's tensors, where autograd would also save it.
            if (tracks[NativeBackward.W_IN] && x != null) {
                backward.checkVersionOf(NativeBackward.name(NativeBackward.INPUT), x);
            }
            if (tracks[NativeBackward.INPUT] && projection != null) {
                backward.checkVersionOf(NativeBackward.name(NativeBackward.W_IN), projection.weight());
            }
            if (tracks[NativeBackward.BETA]) {
                backward.checkVersionOf(NativeBackward.name(NativeBackward.BETA), t.betaParameter());
            }
            graph = new CallGraph(lifetime, backward, sources, tracks, shape);
            if (producer != null && tracks[NativeBackward.INPUT] && producer.isOutput(x) && producer.claim()) {
                // dL/dx goes to the producer as (dL/dI, W_in); autograd carries a zero without memory
                Tensor zero = lifetime.keep(Tensors.zeros(Device.CPU));
                backward.handInputGradientTo(producer.backward(), lifetime.keep(new Tensor(inputWeight)),
                        lifetime.keep(zero.expand(Tensors.shape(x))));
            }
        } else {
            backward = null;
            graph = null;
        }
        spikes = spiking ? output(KernelAbi.SPK) : null;
        membrane = output(KernelAbi.MEM);
        // A d-block call with a graph marks its spikes in a bit mask for the layers that consume them (only the
        // saved state keeps a producer findable, and only a graph keeps the saved state beyond the call).
        if (spikes != null && graph != null && family == KernelAbi.Family.DBLOCK) {
            spikeBits = save(BufferPool.ints(batch, neurons, 2 * ((steps + 63) / 64)));
            spikeNan = save(Tensors.zeros(Device.CPU, batch).to(torch.ScalarType.Int));
            args.set(KernelAbi.SPK_BITS, spikeBits).set(KernelAbi.SPK_NAN, spikeNan);
        } else {
            spikeBits = null;
            spikeNan = null;
        }
    }

    /** Whether source {@code k} ({@link NativeBackward} index) takes part and needs a gradient. */
    boolean tracks(int k) {
        return tracks[k];
    }

    /** {@return the argument struct, for the family's own fields} */
    KernelArgs args() {
        return args;
    }

    /**
     * Keeps a pointer as saved state ({@link CallLifetime#save}).
     *
     * @param <P> the pointer's type
     * @param p   a tensor or buffer the kernels read or write
     * @return {@code p}
     */
    <P extends Pointer> P save(P p) {
        return lifetime.save(p);
    }

    /** Version checks of a tensor the backward pass reads (attached recurrence: W_rec), named as the layer names it. */
    void checkVersionOf(String name, Tensor t) {
        if (backward != null) {
            backward.checkVersionOf(name, t);
        }
    }

    /** An output: fresh pooled memory, a node of the graph when there is one; its address goes to the struct. */
    private Tensor output(StructField.Address field) {
        Tensor memory = BufferPool.floats(batch, neurons, steps);
        Tensor out = graph != null ? graph.output(memory) : memory;
        Tensor alias = save(out.detach());
        args.set(field, alias);
        if (field == KernelAbi.SPK) {
            spikesAlias = alias;
        }
        return out;
    }

    /**
     * Runs the forward kernel and, when there is a graph, hooks the outputs; without one the saved state is freed.
     *
     * @return the outputs, retained, as handles to hand over ({@link #handOver}) after the call's own scope has
     *         closed
     */
    LayerOutput run() {
        args.set(KernelAbi.THREADS, KernelLibrary.threads());
        KernelEvent event = new KernelEvent(family, neurons, "forward kernel");
        event.begin();
        library.forward(family, args, lifetime);
        event.commit();
        if (graph != null) {
            if (spikes != null) {
                graph.hookOutput(spikes, 0);
            }
            if (spikeBits != null) {
                ProducedSpikes.register(spikes, spikesAlias, spikeBits, spikeNan, backward, lifetime);
            }
            graph.hookOutput(membrane, 1);
        } else {
            lifetime.releaseNow(true);
        }
        if (spikes != null) {
            spikes.retainReference();
        }
        membrane.retainReference();
        return new LayerOutput(spikes, membrane);
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
}
