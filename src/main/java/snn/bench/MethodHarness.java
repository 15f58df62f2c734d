package snn.bench;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.CrossEntropyLossOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;
import org.bytedeco.pytorch.global.torch;

import snn.models.NetworkOutput;
import snn.models.SpikingNetwork;
import snn.nativekernels.NativeKernels;
import snn.neurons.LayerOutput;
import snn.neurons.NeuronLayer;
import snn.neurons.SpikeEvents;
import snn.neurons.SpikingLayer;

/**
 * Times training steps of one network on a fixed batch, as a whole and by part. A step is forward, backward
 * ({@code loss.backward()}) and the optimiser (Adam with learning rate 0, and zero_grad), each timed with the wall
 * clock; on the CPU LibTorch runs synchronously, so no device synchronisation is needed. Every step runs inside its
 * own {@link PointerScope}: its tensors are freed when it ends.
 *
 * <p>The parts, each forward plus backward, summed over the hidden layers: the input projections, the neuron
 * dynamics, the readout and the loss. Forward parts are timed around the calls that compute them: the harness runs
 * the hidden layers itself, a layer as {@code run(projection(x))} (what its {@code forward} computes) unless the
 * native kernels project its input themselves, event by event; then the projection is part of the dynamics and
 * the step is flagged {@code projectionFused}. Backward parts are the intervals between the moments autograd
 * completes the gradient of each boundary: the logits, each layer's spikes and, when it exists, its current. The
 * harness marks these with gradient hooks on identity views of the boundary tensors, so the marks fire before any
 * work on the far side of the boundary (such as the native kernels' own hooks) begins.
 */
final class MethodHarness {

    /**
     * Learning rate of the timed Adam steps: zero, so that Adam does all its arithmetic (moments, bias correction,
     * the update) but the parameters stay where they were initialised. Every repeat then measures the same network,
     * and the spike counts are those of the initial network for every method (the benchmark's loss, the sum of
     * spikes, would otherwise silence the network within a few steps, differently for each method).
     */
    static final double LEARNING_RATE = 0;

    private final SpikingNetwork network;
    private final Adam optimizer;
    private final BenchConfig.Scope scope;
    private final Tensor input;
    /**
     * The input as events, which the first layer reads where the native kernels project it themselves (as a batch
     * loader hands a sparse batch to training), else null.
     */
    private final SpikeEvents events;
    private final Tensor labels;
    /**
     * Per hidden layer, whether the native kernels project its input themselves: decided at the first step and kept,
     * since the input and the parameters (learning rate 0) and so every layer's input stay the same.
     */
    private boolean[] fused;

    /**
     * One training step's wall-clock times (ms) and activity.
     *
     * @param forwardMs       the forward pass including the loss
     * @param backwardMs      {@code loss.backward()}
     * @param optimizerMs     Adam step and zero_grad
     * @param projectionMs    input projections computed by LibTorch, forward and backward
     * @param dynamicsMs      the neuron dynamics (with the projections the native kernels fuse), forward and backward
     * @param readoutMs       the readout layer and the logits, forward and backward (0 in the hidden scope)
     * @param lossMs          the loss, forward and backward
     * @param projectionFused whether the native kernels projected some layer's input themselves
     * @param layerSpikes     spikes per sample of each hidden layer
     */
    record Step(double forwardMs, double backwardMs, double optimizerMs, double projectionMs, double dynamicsMs,
            double readoutMs, double lossMs, boolean projectionFused, double[] layerSpikes) {

        /** {@return spikes of all hidden layers per sample} */
        double spikesPerSample() {
            return java.util.Arrays.stream(layerSpikes).sum();
        }
    }

    /** {@return the whole step's time: forward, backward and the optimiser} */
    static double stepMs(Step s) {
        return s.forwardMs() + s.backwardMs() + s.optimizerMs();
    }

    /**
     * @param labels class indices {@code [batch]} for {@link BenchConfig.Scope#NETWORK}, else null
     */
    MethodHarness(SpikingNetwork network, BenchConfig.Scope scope, Tensor input, Tensor labels) {
        this.network = network;
        this.scope = scope;
        this.input = input;
        this.events = network.kernelSelection().isNative()
                && NativeKernels.projectsEvents(input, network.hiddenLayers().get(0).neurons())
                ? SpikeEvents.fromDense(input) : null;
        this.labels = labels;
        this.optimizer = new Adam(network.parameters(), new AdamOptions(LEARNING_RATE));
    }

    /** {@return the kernels the network runs: {@code native} or {@code torch}} */
    String kernels() {
        return network.kernels().name();
    }

    /** Runs and times one training step. */
    @SuppressWarnings("try") // the scope frees the step's tensors
    Step step() {
        try (PointerScope ignored = new PointerScope()) {
            boolean nativeKernels = network.kernelSelection().isNative();
            List<SpikingLayer> layers = network.hiddenLayers();
            int n = layers.size();
            Marks marks = new Marks(2 * n + 1);
            // mark indices: spikes of layer l at 2l, its current at 2l + 1, the logits at 2n
            long[] projectionForward = new long[n];
            long[] dynamicsForward = new long[n];
            boolean decide = fused == null;
            if (decide) {
                fused = new boolean[n];
            }
            List<Tensor> spikes = new ArrayList<>(n);
            long start = System.nanoTime();
            Tensor x = input;
            for (int l = 0; l < n; l++) {
                NeuronLayer<?> layer = (NeuronLayer<?>) layers.get(l);
                if (decide) {
                    fused[l] = nativeKernels && NativeKernels.projectsEvents(x, layer.neurons());
                }
                long t0 = System.nanoTime();
                LayerOutput out;
                if (fused[l]) {
                    out = l == 0 && events != null ? layer.forward(events) : layer.forward(x);
                } else {
                    Tensor current = marks.boundary(layer.inputProjection().overTime(x), 2 * l + 1);
                    long t1 = System.nanoTime();
                    projectionForward[l] = t1 - t0;
                    t0 = t1;
                    out = layer.run(current);
                }
                Tensor s = marks.boundary(out.spikes(), 2 * l);
                dynamicsForward[l] = System.nanoTime() - t0;
                spikes.add(s);
                x = s;
            }
            long hiddenEnd = System.nanoTime();
            Tensor loss;
            long readoutEnd;
            if (scope == BenchConfig.Scope.HIDDEN) {
                readoutEnd = hiddenEnd;
                loss = spikes.get(n - 1).sum();
            } else {
                NetworkOutput out = network.readOut(spikes);
                Tensor logits = marks.boundary(out.logits(), 2 * n);
                readoutEnd = System.nanoTime();
                loss = torch.cross_entropy(logits, labels, new CrossEntropyLossOptions());
            }
            long forwardEnd = System.nanoTime();
            loss.backward();
            long backwardEnd = System.nanoTime();
            optimizer.step();
            optimizer.zero_grad();
            long end = System.nanoTime();

            // backward: loss, then readout, then per layer from the last: dynamics (down to its current, when it
            // has one), projection (down to the previous layer's spikes, or the end of the pass)
            long lossBackward = (scope == BenchConfig.Scope.HIDDEN ? marks.at(2 * (n - 1)) : marks.at(2 * n))
                    - forwardEnd;
            long readoutBackward = scope == BenchConfig.Scope.HIDDEN ? 0 : marks.at(2 * (n - 1)) - marks.at(2 * n);
            long projection = 0;
            long dynamics = 0;
            for (int l = n - 1; l >= 0; l--) {
                long layerEnd = l > 0 ? marks.at(2 * (l - 1)) : backwardEnd;
                long dynamicsEnd = fused[l] ? layerEnd : marks.at(2 * l + 1);
                dynamics += dynamicsForward[l] + dynamicsEnd - marks.at(2 * l);
                projection += projectionForward[l] + layerEnd - dynamicsEnd;
            }
            boolean anyFused = false;
            for (boolean f : fused) {
                anyFused |= f;
            }
            double[] layerSpikes = new double[n];
            for (int l = 0; l < n; l++) {
                layerSpikes[l] = spikes.get(l).detach().sum().item_double() / input.size(0);
            }
            return new Step(millis(forwardEnd - start), millis(backwardEnd - forwardEnd), millis(end - backwardEnd),
                    millis(projection), millis(dynamics), millis(readoutEnd - hiddenEnd + readoutBackward),
                    millis(forwardEnd - readoutEnd + lossBackward), anyFused, layerSpikes);
        }
    }

    /**
     * The moments autograd completes the gradients of a step's boundary tensors. A boundary is an identity view of
     * the tensor, used in its place downstream, with a hook that records the time: a view's hook fires once its
     * whole gradient is known and before the view's own backward node runs, so before anything on the tensor's side.
     */
    private static final class Marks {
        private final long[] times;

        Marks(int boundaries) {
            times = new long[boundaries];
        }

        Tensor boundary(Tensor t, int index) {
            Tensor view = t.view_as(t);
            if (view.requires_grad()) {
                TensorTensorHook hook = new TensorTensorHook() {
                    @Override
                    public TensorBase call(TensorBase grad) {
                        times[index] = System.nanoTime();
                        return grad;
                    }
                };
                view.register_hook(hook); // the callback belongs to the step's scope, as the view does
            }
            return view;
        }

        /** {@return when the boundary's gradient was complete} */
        long at(int index) {
            if (times[index] == 0) {
                throw new IllegalStateException("no gradient reached boundary " + index + " of the step");
            }
            return times[index];
        }
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    /**
     * {@return the events of the input the first layer reads as events (the native kernels project it themselves),
     * over the whole batch; -1 when it reads the dense input}
     */
    long inputEvents() {
        if (events == null) {
            return -1;
        }
        long total = 0;
        for (int b = 0; b < events.batch(); b++) {
            total += events.sampleEvents(b);
        }
        return total;
    }
}
