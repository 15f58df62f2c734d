package snn.training;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import snn.config.DataConfig;
import snn.config.KnownDataset;
import snn.config.ExperimentConfig;
import snn.config.ModelConfig;
import snn.neurons.LifLayer;

/**
 * What a config would train, without loading data or training: tensor shapes, parameter counts, an estimate of
 * the memory a training step needs and the steps per epoch (from the published split sizes of each dataset).
 */
public final class DryRun {

    /**
     * Float tensors of {@code [batch, neurons, time]} that a layer keeps for its backward pass (currents, membranes,
     * surrogate intermediates, cumulative sums, spikes), a conservative count for the torch kernels.
     */
    private static final int SAVED_PER_LAYER = 8;

    private DryRun() {
    }

    /**
     * Describes what {@code config} would train.
     *
     * @param config a validated config
     * @return a multi-line report: the input shape, each layer with its parameters and output shape
     *         {@code [batch, neurons, time]}, the estimated memory per training step and the steps per epoch
     */
    public static String describe(ExperimentConfig config) {
        DataConfig d = config.data();
        KnownDataset k = KnownDataset.find(d.dataset()).orElseThrow();
        Published p = k == KnownDataset.SYNTHETIC
                ? new Published(d.synthetic().trainSamples(), d.synthetic().channels(), d.synthetic().classes())
                : new Published(k.trainSamples(), k.channels(), k.classes());
        int train = d.trainLimit() != null ? Math.min(d.trainLimit(), p.train()) : p.train();
        train -= (int) Math.round(train * d.validationFraction());
        int batch = config.training().batchSize();
        long t = d.tLen();
        ModelConfig m = config.model();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "run %s: dataset %s, %d training samples (%s), input [%d, %d, %d]%n",
                config.name(), d.dataset(), train, d.validationFraction() > 0 ? "after the validation split"
                        : "no validation split", batch, p.channels(), t));
        long params = 0;
        long activations = (long) batch * p.channels() * t * 2; // the double-buffered input batch
        int width = p.channels();
        List<Integer> layers = new ArrayList<>(m.hidden());
        layers.add(p.classes());
        for (int i = 0; i < layers.size(); i++) {
            int n = layers.get(i);
            boolean readout = i == layers.size() - 1;
            boolean recurrent = !readout && m.recurrent();
            long layerParams = (long) n * width + n + (m.perNeuronBeta() ? n : 1) + (recurrent ? (long) n * n + n : 0);
            params += layerParams;
            activations += (long) batch * n * t * (readout ? 2 : SAVED_PER_LAYER);
            sb.append(String.format(Locale.ROOT, "  %-9s %5d -> %5d  %-40s %,d parameters, output [%d, %d, %d]%n",
                    readout ? "readout" : "hidden " + i, width, n, dynamics(m, readout, recurrent), layerParams, batch,
                    n, t));
            width = n;
        }
        long bytes = 4 * (params * 4 + activations); // weights, gradients, two Adam moments; activations
        sb.append(String.format(Locale.ROOT, "  %,d parameters; estimated memory per training step %.0f MB%n", params,
                bytes / 1e6));
        int steps = (train + batch - 1) / batch;
        if (config.training().maxBatchesPerEpoch() != null) {
            steps = Math.min(steps, config.training().maxBatchesPerEpoch());
        }
        sb.append(String.format(Locale.ROOT, "  %d steps per epoch x %d epochs = %,d steps (lr %.3g, milestones %s)%n",
                steps, config.training().epochs(), (long) steps * config.training().epochs(), config.training().lr(),
                config.training().milestones()));
        return sb.toString();
    }

    /** The training samples, input channels and classes of the run's dataset. */
    private record Published(int train, int channels, int classes) {
    }

    private static String dynamics(ModelConfig m, boolean readout, boolean recurrent) {
        String kind = switch (m.kind()) {
            case STANDARD -> readout ? "LIF integrator" : m.singleSpike() ? "LIF single-spike"
                    : "LIF multi-spike, " + (m.reset() == LifLayer.Reset.ZERO ? "reset to zero" : "subtractive reset");
            case BLOCK -> readout ? "block integrator" : "block";
            case DBLOCK -> (readout ? "d-block integrator" : "d-block") + " d=" + m.d();
        };
        return kind + (recurrent ? ", recurrent" : "") + (readout ? ", " + m.readout().name().toLowerCase(Locale.ROOT)
                + " over time" : "");
    }
}
