package snn.bench;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;

/**
 * One (point, method) result: a row of {@code results.csv} and an element of {@code results.json}, with the same
 * names (snake_case of the components, in this order). Times are medians over the timed repeats in milliseconds,
 * {@code *_iqr_ms} their interquartile ranges; speed-ups are the standard reference's median over this method's
 * (1 for the reference itself).
 *
 * @param point           index of the point in the run (rows of one point share it and its reference)
 * @param method          {@code standard}, {@code block} or {@code dblock}
 * @param d               blocks of a {@code dblock} row, else null
 * @param kernels         {@code torch} or {@code native}: the implementation of the dynamics
 * @param batch           samples per batch
 * @param nIn             input units
 * @param hidden          neurons per hidden layer
 * @param layers          hidden layers
 * @param tLen            time steps
 * @param recurrent       whether this row's model is recurrent (the block model never is)
 * @param perNeuronBeta   one beta per neuron (true) or per layer
 * @param learnBeta       whether beta is trained
 * @param scope           {@code hidden} (the hidden layers, loss = their last layer's spikes) or {@code network}
 * @param baseline        the reference the speed-ups are taken against, e.g. {@code standard multi-spike recurrent}
 * @param repeats         timed steps the medians are taken over
 * @param forwardMs       forward pass including the loss
 * @param forwardIqrMs    interquartile range of {@code forwardMs}
 * @param backwardMs      {@code loss.backward()}
 * @param backwardIqrMs   interquartile range of {@code backwardMs}
 * @param optimizerMs     Adam step plus zero_grad
 * @param stepMs          median of forward + backward + optimiser per repeat: one whole training step
 * @param stepIqrMs       interquartile range of {@code stepMs}
 * @param speedupForward  the reference's {@code forwardMs} over this row's
 * @param speedupBackward the reference's {@code backwardMs} over this row's
 * @param speedupStep     the reference's {@code stepMs} over this row's
 * @param peakRssMb       resident growth during one step (see {@link PeakMemory#method()}), null if not measurable
 * @param spikesPerSample spikes of all hidden layers per sample, mean over the timed repeats
 */
public record BenchRow(int point, String method, Integer d, String kernels, int batch, int nIn, int hidden, int layers,
        int tLen, boolean recurrent, boolean perNeuronBeta, boolean learnBeta, String scope, String baseline,
        int repeats, double forwardMs, double forwardIqrMs, double backwardMs, double backwardIqrMs,
        double optimizerMs, double stepMs, double stepIqrMs, double speedupForward, double speedupBackward,
        double speedupStep, Double peakRssMb, double spikesPerSample) {

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
            out[i] = v == null ? "" : v instanceof Double x ? format(x) : v.toString();
        }
        return List.of(out);
    }

    private static String format(double x) {
        String s = String.format(java.util.Locale.ROOT, "%.4f", x);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    static String snakeCase(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }
}
