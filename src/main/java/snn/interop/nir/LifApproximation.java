package snn.interop.nir;

import java.util.Locale;
import java.util.stream.IntStream;

import snn.config.ExperimentConfig;
import snn.config.ModelConfig;
import snn.data.SpikeDataset;
import snn.interop.Checkpoint;
import snn.models.Inference;
import snn.models.SpikingNetwork;

/**
 * The standard LIF network that stands in for a network NIR cannot describe (block, d-block, single-spike
 * standard), and how far the two are apart on data. NIR has no single-spike or per-block neuron; hardware runs LIF
 * neurons, so what a user deploying such a network gets is this stand-in.
 */
public final class LifApproximation {

    private LifApproximation() {
    }

    /**
     * The multi-spike standard LIF network with the same weights and decays: the same hidden sizes, input and
     * recurrent projections (a d-block network's block-to-block recurrent weights become step-to-step ones), betas,
     * readout and readout reduction. A network that is already multi-spike standard is returned as it is.
     *
     * @param source a checkpoint of any kind
     * @return a checkpoint of kind {@code standard} (multi-spike) sharing {@code source}'s tensors
     */
    public static Checkpoint of(Checkpoint source) {
        ModelConfig m = source.config().model();
        if (m.kind() == ModelConfig.Kind.STANDARD && !m.singleSpike()) {
            return source;
        }
        ModelConfig lif = ModelConfig.standard()
                .hidden(m.hidden().toArray(Integer[]::new))
                .recurrent(m.recurrent())
                .readout(m.readout())
                .tau(m.hiddenTau(), m.readoutTau())
                .beta(m.perNeuronBeta(), m.learnBeta())
                .surrogate(m.surrogate())
                .kernels(m.kernels())
                .build();
        ExperimentConfig c = source.config();
        ExperimentConfig config = ExperimentConfig.builder().name(c.name()).seed(c.seed()).resultsDir(c.resultsDir())
                .runtime(c.runtime()).data(c.data()).model(lif).training(c.training()).build();
        return new Checkpoint(config, source.inputs(), source.classes(), source.parameters());
    }

    /**
     * How often two networks predict the same class, and how often each is right.
     *
     * @param samples       samples compared
     * @param agreeing      samples on which both predict the same class
     * @param sourceCorrect samples the source network classifies correctly
     * @param lifCorrect    samples the LIF stand-in classifies correctly
     */
    public record Agreement(int samples, int agreeing, int sourceCorrect, int lifCorrect) {

        /** {@return the share of samples with the same prediction, in [0, 1] (NaN without samples)} */
        public double agreement() {
            return (double) agreeing / samples;
        }

        /** {@return the source network's accuracy, in [0, 1]} */
        public double sourceAccuracy() {
            return (double) sourceCorrect / samples;
        }

        /** {@return the LIF stand-in's accuracy, in [0, 1]} */
        public double lifAccuracy() {
            return (double) lifCorrect / samples;
        }

        /**
         * One line for people.
         *
         * @param sourceKind what the source network is, e.g. "d-block (d = 5)"
         * @return e.g. "on 1000 test samples the LIF network predicts what the d-block (d = 5) network predicts for
         *         93.1 %; accuracy 97.2 % (d-block) and 92.0 % (LIF)"
         */
        public String describe(String sourceKind) {
            return String.format(Locale.ROOT, "on %d test samples the LIF network predicts the same class as the %s"
                    + " network for %.2f %%; test accuracy %.2f %% (%s) and %.2f %% (LIF)", samples, sourceKind,
                    100 * agreement(), 100 * sourceAccuracy(), sourceKind, 100 * lifAccuracy());
        }
    }

    /**
     * Runs both networks on every sample of {@code data} (no gradients) and compares their predictions.
     *
     * @param source    the trained network
     * @param lif       its stand-in (or any network with the same inputs and classes)
     * @param data      the samples, e.g. the run's test split
     * @param batchSize samples per forward pass, &ge; 1
     * @return the counts
     */
    public static Agreement measure(SpikingNetwork source, SpikingNetwork lif, SpikeDataset data, int batchSize) {
        int agreeing = 0;
        int sourceCorrect = 0;
        int lifCorrect = 0;
        for (int start = 0; start < data.size(); start += batchSize) {
            int[] indices = IntStream.range(start, Math.min(data.size(), start + batchSize)).toArray();
            int[] a = Inference.predict(source, data, indices);
            int[] b = Inference.predict(lif, data, indices);
            for (int i = 0; i < indices.length; i++) {
                int label = data.label(indices[i]);
                agreeing += a[i] == b[i] ? 1 : 0;
                sourceCorrect += a[i] == label ? 1 : 0;
                lifCorrect += b[i] == label ? 1 : 0;
            }
        }
        return new Agreement(data.size(), agreeing, sourceCorrect, lifCorrect);
    }

    /**
     * How a network kind is named in messages.
     *
     * @param model the network's settings
     * @return e.g. "block", "d-block (d = 5)", "single-spike standard", "standard LIF"
     */
    static String kindName(ModelConfig model) {
        return switch (model.kind()) {
            case BLOCK -> "block";
            case DBLOCK -> "d-block (d = " + model.d() + ")";
            case STANDARD -> model.singleSpike() ? "single-spike standard" : "standard LIF";
        };
    }
}
