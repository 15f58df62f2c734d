package snn.models;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import snn.config.ModelConfig;
import snn.data.Batch;
import snn.data.BatchLoader;
import snn.nativekernels.NativeKernels;
import snn.neurons.Beta;
import snn.neurons.BlockLayer;
import snn.neurons.DBlockLayer;
import snn.neurons.LayerOutput;
import snn.neurons.LifLayer;
import snn.neurons.NeuronKernels;
import snn.neurons.SpikeEvents;
import snn.neurons.SpikingLayer;
import snn.neurons.Surrogate;
import snn.runtime.Device;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * Hidden spiking layers of one kind, then a non-spiking readout whose membrane gives the logits (docs/specification.md
 * section 5). Parameters are named {@code hidden.<i>.input.weight}, {@code hidden.<i>.beta},
 * {@code hidden.<i>.recurrent.weight}, {@code readout.input.bias}, ...
 *
 * <p>The readout is the integrator of the same family: the sequential LIF integrator for standard networks, the
 * no-reset convolution for block networks, and for d-block networks a non-recurrent d-block layer split into the
 * same d blocks, so its membrane restarts at every block boundary as in the reference.
 */
public final class SpikingNetwork extends Module {

    private final ModelConfig config;
    private final int inputs;
    private final int classes;
    private final List<SpikingLayer> hidden = new ArrayList<>();
    private final SpikingLayer readout;
    private final NativeKernels.Selection selection;
    private final NeuronKernels kernels;
    // Held so the Java peer of the registered container is not collected while libtorch still calls into it.
    private final Module hiddenContainer;

    /**
     * Builds the layers and registers their parameters, drawing initial weights from the current generator (see
     * {@link snn.neurons.Initialisation#seeded}). The kernels follow {@link NativeKernels#choose} for the configured
     * choice and the runtime's device; {@link #kernelSelection()} says which run and why.
     *
     * @param config  the model settings, validated (as by {@link snn.config.ConfigValidator#check}): kind, hidden
     *                sizes, recurrence, time constants, surrogate, kernels
     * @param inputs  input units, the size of the input's second axis (700 for SHD)
     * @param classes output classes, the readout's neurons and the number of logits
     */
    public SpikingNetwork(ModelConfig config, int inputs, int classes) {
        this.config = config;
        this.inputs = inputs;
        this.classes = classes;
        Surrogate surrogate = config.surrogate().build();
        Beta hiddenBeta = Beta.fromTau(config.hiddenTau(), config.perNeuronBeta(), config.learnBeta());
        Beta readoutBeta = Beta.fromTau(config.readoutTau(), config.perNeuronBeta(), config.learnBeta());
        selection = NativeKernels.choose(config.kernels(), NativeKernels.currentDevice());
        kernels = selection.kernels();
        hiddenContainer = register_module("hidden", new Module());
        int width = inputs;
        for (int i = 0; i < config.hidden().size(); i++) {
            int n = config.hidden().get(i);
            SpikingLayer layer = layer(config, width, n, true, hiddenBeta, surrogate, kernels);
            hiddenContainer.register_module(Integer.toString(i), layer.module());
            hidden.add(layer);
            width = n;
        }
        readout = layer(config, width, classes, false, readoutBeta, surrogate, kernels);
        register_module("readout", readout.module());
    }

    private static SpikingLayer layer(ModelConfig c, int in, int n, boolean spiking, Beta beta, Surrogate surrogate,
            NeuronKernels kernels) {
        return switch (c.kind()) {
            case STANDARD -> {
                LifLayer.Mode mode = !spiking ? LifLayer.Mode.INTEGRATOR
                        : c.singleSpike() ? LifLayer.Mode.SINGLE_SPIKE : LifLayer.Mode.MULTI_SPIKE;
                yield new LifLayer(in, n, mode, mode == LifLayer.Mode.MULTI_SPIKE ? c.reset() : LifLayer.Reset.SUBTRACT,
                        spiking && c.recurrent(), beta, surrogate, kernels);
            }
            case BLOCK -> new BlockLayer(in, n, spiking, beta, surrogate, kernels);
            case DBLOCK -> new DBlockLayer(in, n, c.d(), spiking && c.recurrent(), c.detachRecurrent(),
                    c.recurrentInput(),
                    spiking, beta, surrogate, kernels);
        };
    }

    /**
     * Runs the network on a batch: the hidden layers in turn, then the readout on the last hidden layer's spikes.
     *
     * @param input input spikes {@code [batch, inputs, time]}, float32
     * @return the logits {@code [batch, classes]} (the readout membrane summed over time, or its maximum, as
     *         configured), each hidden layer's spikes {@code [batch, neurons, time]} and the readout membrane
     *         {@code [batch, classes, time]}
     * @throws IllegalArgumentException when a d-block network gets fewer time steps than d
     */
    public NetworkOutput forward(Tensor input) {
        return readOut(forwardHidden(input).stream().map(LayerOutput::spikes).toList());
    }

    /**
     * As {@link #forward(Tensor)}, for an input given as events: the first hidden layer reads them (as events where
     * its kernels project events themselves, else in dense form).
     *
     * @param input input events, {@code [batch, inputs, time]} in dense form
     * @return what {@link #forward(Tensor)} returns for {@code input.dense()}
     * @throws IllegalArgumentException when a d-block network gets fewer time steps than d
     */
    public NetworkOutput forward(SpikeEvents input) {
        return readOut(forwardHidden(input).stream().map(LayerOutput::spikes).toList());
    }

    /**
     * The network on a loaded batch, in the form the run takes it: as events when the batch has them and the run's
     * device is the CPU (the kernels' own), else as the dense input on the run's device.
     *
     * @param batch a batch of a {@link BatchLoader}
     * @return what {@link #forward(Tensor)} returns for the batch's dense input
     */
    public NetworkOutput forward(Batch batch) {
        SpikeEvents events = batch.events();
        if (events != null && TorchRuntime.device() == Device.CPU) {
            return forward(events);
        }
        return forward(Tensors.onRunDevice(batch.input()));
    }

    /**
     * The readout's part of {@link #forward}: the readout layer on the last hidden layer's spikes, and the logits.
     *
     * @param spikes each hidden layer's spikes {@code [batch, neurons, time]}, input side first
     * @return the logits, {@code spikes} and the readout membrane, as {@link #forward} returns them
     */
    public NetworkOutput readOut(List<Tensor> spikes) {
        Tensor membrane = readout.forward(spikes.get(spikes.size() - 1)).membrane();
        Tensor logits = config.readout() == ModelConfig.Readout.SUM ? membrane.sum(2) : Tensors.maxValues(membrane, 2);
        return new NetworkOutput(logits, spikes, membrane);
    }

    /**
     * Runs only the hidden layers (benchmarks time these, as the papers do), each fed the previous one's spikes.
     *
     * @param input input spikes {@code [batch, inputs, time]}, float32
     * @return one output per hidden layer, input side first: spikes and membrane, {@code [batch, neurons, time]}
     * @throws IllegalArgumentException when a d-block network gets fewer time steps than d
     */
    public List<LayerOutput> forwardHidden(Tensor input) {
        return forwardHidden(hidden.get(0).forward(input));
    }

    /**
     * As {@link #forwardHidden(Tensor)}, for an input given as events.
     *
     * @param input input events, {@code [batch, inputs, time]} in dense form
     * @return what {@link #forwardHidden(Tensor)} returns for {@code input.dense()}
     * @throws IllegalArgumentException when a d-block network gets fewer time steps than d
     */
    public List<LayerOutput> forwardHidden(SpikeEvents input) {
        return forwardHidden(hidden.get(0).forward(input));
    }

    /** The hidden layers after the first, whose output is given, each fed the previous one's spikes. */
    private List<LayerOutput> forwardHidden(LayerOutput first) {
        List<LayerOutput> outputs = new ArrayList<>(hidden.size());
        outputs.add(first);
        for (SpikingLayer layer : hidden.subList(1, hidden.size())) {
            outputs.add(layer.forward(outputs.get(outputs.size() - 1).spikes()));
        }
        return outputs;
    }

    /** {@return the model settings the network was built from} */
    public ModelConfig config() {
        return config;
    }

    /** {@return the number of input units, the size of the input's second axis} */
    public int inputs() {
        return inputs;
    }

    /** {@return the number of classes: the readout's neurons and the logits per sample} */
    public int classes() {
        return classes;
    }

    /** {@return the hidden layers, input side first, as an unmodifiable copy} */
    public List<SpikingLayer> hiddenLayers() {
        return List.copyOf(hidden);
    }

    /** {@return the non-spiking readout layer, whose membrane gives the logits} */
    public SpikingLayer readout() {
        return readout;
    }

    /** {@return the kernels in effect: the LibTorch ops, or the native ones when configured and loadable} */
    public NeuronKernels kernels() {
        return kernels;
    }

    /** {@return which kernels compute the dynamics and why (for logs and manifests)} */
    public NativeKernels.Selection kernelSelection() {
        return selection;
    }
}
