package snn.bench;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;

/**
 * One (point, variant) result: a row of {@code results.csv} and an element of {@code results.json}, with the same
 * names (snake_case of the components, in this order). Times are medians over the timed repeats in milliseconds,
 * {@code *_iqr_ms} their interquartile ranges; {@code speedup_*} are the point's standard reference's median over
 * this row's (1 for the reference itself), the reference being the standard SNN run by the same kernels;
 * {@code speedup_vs_baseline} is the run's baseline's median step over this row's.
 *
 * @param point             index of the point in the run (rows of one point share its input and references)
 * @param method            {@code standard}, {@code block} or {@code dblock}
 * @param d                 blocks of a {@code dblock} row, else null
 * @param kernels           {@code torch} or {@code native}: the implementation of the dynamics in effect
 * @param batch             samples per batch
 * @param nIn               input units
 * @param hidden            neurons per hidden layer
 * @param layers            hidden layers
 * @param tLen              time steps
 * @param recurrent         whether this row's model is recurrent (the block model never is)
 * @param perNeuronBeta     one beta per neuron (true) or per layer
 * @param learnBeta         whether beta is trained
 * @param scope             {@code hidden} (the hidden layers, loss = their last layer's spikes) or {@code network}
 * @param input             {@code poisson} (the papers' protocol) or the input density, e.g. {@code 0.015}
 * @param baseline          the reference of {@code speedup_*}, e.g. {@code standard multi-spike recurrent}
 * @param repeats           timed steps the medians are taken over
 * @param forwardMs         forward pass including the loss
 * @param forwardIqrMs      interquartile range of {@code forwardMs}
 * @param backwardMs        {@code loss.backward()}
 * @param backwardIqrMs     interquartile range of {@code backwardMs}
 * @param optimizerMs       Adam step plus zero_grad
 * @param stepMs            median of forward + backward + optimiser per repeat: one whole training step
 * @param stepIqrMs         interquartile range of {@code stepMs}
 * @param projectionMs      input projections computed by LibTorch, forward and backward
 * @param dynamicsMs        neuron dynamics of the hidden layers, forward and backward, including the input
 *                          projections the native kernels fuse (then {@code projection_fused})
 * @param readoutMs         the readout layer and the logits, forward and backward (0 in the hidden scope)
 * @param lossMs            the loss, forward and backward
 * @param projectionFused   whether the native kernels projected an input themselves (event by event)
 * @param dynamicsFloorMs   the dynamics' floor: the bytes their math must read and write (per hidden layer 6
 *                          arrays {@code [batch, hidden, t_len]} of float32, 7 for the single-spike LIF; where the
 *                          projection is fused 2 fewer, the current and its gradient, plus one read of the layer's
 *                          input) over the memory bandwidth a copy pass measured in the same rounds
 * @param dynamicsOverFloor    {@code dynamicsMs / dynamicsFloorMs}
 * @param copyGbPerS        the copy pass's bandwidth (bytes read plus written per second, 10^9)
 * @param speedupForward    the reference's {@code forwardMs} over this row's
 * @param speedupBackward   the reference's {@code backwardMs} over this row's
 * @param speedupStep       the reference's {@code stepMs} over this row's
 * @param runBaseline       the run's baseline, e.g. {@code standard torch}
 * @param speedupVsBaseline the run's baseline's {@code stepMs} at this point over this row's; null where the
 *                          baseline cannot run (a dblock baseline with more blocks than the point's steps)
 * @param peakRssMb         resident growth during one step (see {@link PeakMemory#method()}), null if not measurable
 * @param spikesPerSample   spikes of all hidden layers per sample, mean over the timed repeats
 * @param spikesPerLayer    each hidden layer's spikes per sample, mean over the timed repeats (in the CSV, the
 *                          layers' values separated by spaces)
 * @param targetSpikes      the spikes per sample per hidden layer the network was calibrated to fire, null when it
 *                          was timed as initialised
 */
public record BenchRow(int point, String method, Integer d, String kernels, int batch, int nIn, int hidden, int layers,
        int tLen, boolean recurrent, boolean perNeuronBeta, boolean learnBeta, String scope, String input,
        String baseline, int repeats, double forwardMs, double forwardIqrMs, double backwardMs, double backwardIqrMs,
        double optimizerMs, double stepMs, double stepIqrMs, double projectionMs, double dynamicsMs, double readoutMs,
        double lossMs, boolean projectionFused, double dynamicsFloorMs, double dynamicsOverFloor, double copyGbPerS,
        double speedupForward, double speedupBackward, double speedupStep, String runBaseline,
        Double speedupVsBaseline, Double peakRssMb, double spikesPerSample, List<Double> spikesPerLayer,
        Double targetSpikes) {

    /** Copies the per-layer list (empty in results written before it existed). */
    public BenchRow {
        spikesPerLayer = spikesPerLayer == null ? List.of() : List.copyOf(spikesPerLayer);
    }

    /** {@return the CSV header: the components' names in snake_case, in declaration order} */
    public static List<String> columns() {
        return Arrays.stream(BenchRow.class.getRecordComponents()).map(c -> snakeCase(c.getName())).toList();
    }

    /** {@return the values in {@link #columns()} order: numbers with up to 4 decimals, null as an empty cell} */
    public List<String> cells() {
        RecordComponent[] components = BenchRow.class.getRecordComponents();
        String[] out = new String[components.length];
        for (int i = 0; i < components.length; i++) {
            Object v;
            try {
                v = components[i].getAccessor().invoke(this);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            out[i] = v == null ? "" : v instanceof Double x ? number(x)
                    : v instanceof List<?> list ? String.join(" ", list.stream()
                            .map(e -> e instanceof Double x ? number(x) : String.valueOf(e)).toList())
                    : v.toString();
        }
        return List.of(out);
    }

    /** {@code x} with up to 4 decimals and no trailing zeros, as the files write numbers. */
    static String number(double x) {
        String s = String.format(java.util.Locale.ROOT, "%.4f", x);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    static String snakeCase(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }
}
