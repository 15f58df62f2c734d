package snn.models;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.data.SpikeDataset;
import snn.neurons.LayerOutput;
import snn.runtime.Device;
import snn.runtime.Tensors;

/** Running a trained network on single samples: predictions, and every layer's spikes and membrane. */
public final class Inference {

    private Inference() {
    }

    /**
     * One layer's activity for one sample, {@code [neurons][time]}.
     *
     * @param name     {@code hidden.<i>} or {@code readout}
     * @param spikes   output spikes; empty arrays for the readout, which does not spike
     * @param membrane the membrane the layer reports (see {@link LayerOutput})
     */
    public record LayerActivity(String name, float[][] spikes, float[][] membrane) {
    }

    /**
     * A sample's pass through the network.
     *
     * @param input  the input spikes {@code [channels][time]}
     * @param layers hidden layers then the readout
     * @param logits one value per class
     */
    public record Recording(float[][] input, List<LayerActivity> layers, float[] logits) {

        /** {@return the predicted class: the index of the largest logit (the first, on ties)} */
        public int predicted() {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
    }

    /**
     * Predicts the classes of some samples, in one batch without gradients.
     *
     * @param net     the network, with as many inputs as {@code data} has channels
     * @param data    the samples
     * @param indices the samples to classify, in {@code [0, data.size())}
     * @return the predicted class of each, in the order of {@code indices}
     */
    public static int[] predict(SpikingNetwork net, SpikeDataset data, int... indices) {
        int[] out = new int[indices.length];
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Tensor logits = net.forward(batch(data, indices)).logits();
            float[] classes = Tensors.toArray(logits.argmax(new LongOptional(1), false).to(torch.ScalarType.Float));
            for (int i = 0; i < out.length; i++) {
                out[i] = (int) classes[i];
            }
        }
        return out;
    }

    /**
     * Runs one sample through the network without gradients, keeping every layer's activity.
     *
     * @param net   the network, with as many inputs as {@code data} has channels
     * @param data  the samples
     * @param index the sample, in {@code [0, data.size())}
     * @return the input, each layer's spikes and membrane {@code [neurons][time]}, and the logits
     */
    public static Recording record(SpikingNetwork net, SpikeDataset data, int index) {
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Tensor input = batch(data, index);
            List<LayerOutput> hidden = net.forwardHidden(input);
            List<LayerActivity> layers = new ArrayList<>();
            for (int i = 0; i < hidden.size(); i++) {
                layers.add(new LayerActivity("hidden." + i, matrix(hidden.get(i).spikes()),
                        matrix(hidden.get(i).membrane())));
            }
            Tensor readout = net.readout().forward(hidden.get(hidden.size() - 1).spikes()).membrane();
            layers.add(new LayerActivity("readout", new float[0][0], matrix(readout)));
            Tensor logits = net.config().readout() == snn.config.ModelConfig.Readout.SUM ? readout.sum(2)
                    : Tensors.maxValues(readout, 2);
            return new Recording(matrix(input), List.copyOf(layers), Tensors.toArray(logits));
        }
    }

    /** Samples {@code indices} as a {@code [n, channels, time]} tensor. */
    private static Tensor batch(SpikeDataset data, int... indices) {
        long per = (long) data.channels() * data.timeSteps();
        Tensor t = Tensors.zeros(Device.CPU, indices.length, data.channels(), data.timeSteps()); // written by Java
        MemorySegment memory = MemorySegment.ofAddress(t.data_ptr().address()).reinterpret(t.nbytes());
        for (int i = 0; i < indices.length; i++) {
            data.writeSample(indices[i], memory.asSlice(i * per * Float.BYTES, per * Float.BYTES));
        }
        return Tensors.onRunDevice(t);
    }

    /** The first sample of a {@code [1, rows, time]} tensor as {@code [rows][time]}. */
    private static float[][] matrix(Tensor t) {
        int rows = (int) t.size(1);
        int steps = (int) t.size(2);
        float[] flat = Tensors.toArray(t);
        float[][] out = new float[rows][steps];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * steps, out[r], 0, steps);
        }
        return out;
    }
}
