package snn.bench;

import java.util.List;
import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import snn.core.BenchException;
import snn.models.SpikingNetwork;
import snn.neurons.LayerOutput;
import snn.neurons.NeuronLayer;
import snn.neurons.Projection;
import snn.neurons.SpikingLayer;
import snn.runtime.Tensors;

/**
 * Makes a freshly initialised network fire as a trained one does: scales each hidden layer's synaptic input (the
 * weights and biases of its input projection and, in a recurrent layer, of its recurrent projection, all by one
 * gain) so that the layer fires a target number of spikes per sample on the benchmark's batch. The recurrent
 * projection is scaled too because its bias alone can drive a fresh recurrent LIF layer above threshold whatever
 * its input. A fresh block or d-block network at a dataset's input density fires nothing, so without this the benchmark
 * would time its readout and recurrence at rest; trained networks fire hundreds of spikes per sample.
 *
 * <p>The layers are calibrated in order (a layer's rate depends on the layers below it, which are already set). For
 * each, the gain is bracketed by doubling or halving from 1 and then bisected geometrically until the layer's spikes
 * per sample are within {@link #TOLERANCE} of the target. A layer's spike count does not fall as its input grows for
 * a feed-forward layer; with recurrence it need not be monotonic, and bisection then settles on one gain where the
 * count crosses the target. Everything runs without gradients and in its own {@link PointerScope}; only the
 * parameters are changed (in place).
 */
final class RateCalibration {

    /** Relative distance to the target accepted: 2 %. */
    static final double TOLERANCE = 0.02;
    /** Doublings (or halvings) tried to bracket the target before giving up: gains 2^-30 to 2^30. */
    static final int MAX_BRACKET = 30;
    /** Bisection steps after bracketing. */
    static final int MAX_BISECT = 40;

    private RateCalibration() {
    }

    /**
     * The gains applied to each hidden layer and the spikes per sample they give.
     *
     * @param gains           the factor each layer's input projection was multiplied by
     * @param spikesPerSample each hidden layer's spikes per sample on the batch after calibration
     */
    record Result(double[] gains, double[] spikesPerSample) {
        String describe() {
            StringBuilder sb = new StringBuilder();
            for (int l = 0; l < gains.length; l++) {
                sb.append(l == 0 ? "" : ", ").append(String.format(Locale.ROOT, "layer %d gain %.4g -> %.1f spikes",
                        l, gains[l], spikesPerSample[l]));
            }
            return sb.toString();
        }
    }

    /**
     * Scales every hidden layer of {@code network} in place to fire {@code target} spikes per sample on {@code input}.
     *
     * @param network the network, its parameters changed in place
     * @param input   the benchmark batch {@code [batch, inputs, T]}
     * @param target  spikes per sample per hidden layer, &gt; 0
     * @param label   the network's name for messages, e.g. {@code block native}
     * @return the gains and the rates reached
     * @throws BenchException when a layer cannot reach the target at any gain tried
     */
    @SuppressWarnings("try") // the scope frees the calibration's tensors, the guard turns autograd off
    static Result calibrate(SpikingNetwork network, Tensor input, double target, String label) {
        List<SpikingLayer> layers = network.hiddenLayers();
        double[] gains = new double[layers.size()];
        double[] rates = new double[layers.size()];
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (int l = 0; l < layers.size(); l++) {
                NeuronLayer<?> hidden = (NeuronLayer<?>) layers.get(l);
                List<Projection> projections = hidden.recurrentProjection() == null
                        ? List.of(hidden.inputProjection())
                        : List.of(hidden.inputProjection(), hidden.recurrentProjection());
                Layer layer = new Layer(network, input, l, projections);
                gains[l] = layer.solve(target, label);
                rates[l] = layer.reached;
            }
        }
        return new Result(gains, rates);
    }

    /** One layer's gain search: its parameters' original values and the rate at any gain. */
    private static final class Layer {
        private final SpikingNetwork network;
        private final Tensor input;
        private final int index;
        private final List<Tensor> parameters = new java.util.ArrayList<>();
        private final List<Tensor> originals = new java.util.ArrayList<>();
        private double best = 1;
        private double bestDistance = Double.POSITIVE_INFINITY;
        /** The gain the parameters are at now, and the rate it gave. */
        private double applied = Double.NaN;
        private double reached = Double.NaN;

        Layer(SpikingNetwork network, Tensor input, int index, List<Projection> projections) {
            this.network = network;
            this.input = input;
            this.index = index;
            for (Projection p : projections) {
                for (Tensor t : List.of(p.weight(), p.bias())) {
                    parameters.add(t);
                    originals.add(t.clone());
                }
            }
        }

        /** {@return the layer's spikes per sample with its synaptic input scaled by {@code gain}} */
        double rate(double gain) {
            for (int i = 0; i < parameters.size(); i++) {
                parameters.get(i).copy_(originals.get(i).mul(Tensors.scalar(gain)));
            }
            List<LayerOutput> outputs = network.forwardHidden(input);
            applied = gain;
            reached = outputs.get(index).spikes().sum().item_double() / input.size(0);
            return reached;
        }

        double solve(double target, String label) {
            double r = measure(1, target);
            if (close(r, target)) {
                return finish(1);
            }
            boolean up = r < target;
            double lo = 1;
            double hi = 1;
            double rateLo = r;
            double rateHi = r;
            for (int i = 0; i < MAX_BRACKET && (up ? rateHi < target : rateLo > target); i++) {
                if (up) {
                    lo = hi;
                    rateLo = rateHi;
                    hi *= 2;
                    rateHi = measure(hi, target);
                } else {
                    hi = lo;
                    rateHi = rateLo;
                    lo /= 2;
                    rateLo = measure(lo, target);
                }
                if (close(up ? rateHi : rateLo, target)) {
                    return finish(up ? hi : lo);
                }
            }
            if (up ? rateHi < target : rateLo > target) {
                throw new BenchException(String.format(Locale.ROOT, "%s: hidden layer %d fires %.1f spikes per sample"
                        + " at input gain %.3g; cannot reach target_spikes %.1f (a single-spike layer of n neurons"
                        + " fires at most n, a d-block layer at most d * n)", label, index, up ? rateHi : rateLo,
                        up ? hi : lo, target));
            }
            for (int i = 0; i < MAX_BISECT; i++) {
                double mid = Math.sqrt(lo * hi);
                double rm = measure(mid, target);
                if (close(rm, target)) {
                    return finish(mid);
                }
                if (rm < target) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            return finish(best);
        }

        private double measure(double gain, double target) {
            double r = rate(gain);
            double distance = Math.abs(r - target);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = gain;
            }
            return r;
        }

        /** Leaves the parameters at {@code gain}, measuring again only if the last measurement was at another gain. */
        private double finish(double gain) {
            if (gain != applied) {
                rate(gain);
            }
            return gain;
        }

        private static boolean close(double rate, double target) {
            return Math.abs(rate - target) <= TOLERANCE * target;
        }
    }
}
