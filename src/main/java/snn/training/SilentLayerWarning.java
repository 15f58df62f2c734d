package snn.training;

import java.util.Locale;

/**
 * Warns once per run when a hidden layer fires no spike at all on the test split after an epoch: nothing then flows
 * through it to the readout, and training cannot improve on chance unless the layer starts firing. The warning says
 * what to check. Early epochs of a run that learns can be silent too, so the run goes on.
 */
final class SilentLayerWarning implements Callback {

    private boolean warned;

    @Override
    public void onEpochEnd(FitContext fit, EpochMetrics m) {
        if (warned) {
            return;
        }
        for (int layer = 0; layer < m.spikesPerSample().size(); layer++) {
            if (m.spikesPerSample().get(layer) == 0.0) {
                warned = true;
                fit.progress().line(String.format(Locale.ROOT, "warning: hidden layer %d fired no spike in epoch %d"
                        + " (metrics.csv: spikes_per_sample_layer%d = 0)"
                        + " on the test split, so nothing reaches the readout through it. If it stays"
                        + " silent, check the input scale (spike inputs are 0/1 events: enough of them must arrive"
                        + " within the membrane's time constant), model.hidden_tau (a short one lets the membrane decay"
                        + " before it reaches the threshold; currently %s steps) and the initialisation (weights too"
                        + " small for this many inputs, or a training.init_from network trained on other data). This"
                        + " warning is printed once.", layer + 1, m.epoch(), layer, fit.config().model().hiddenTau()));
                return;
            }
        }
    }
}
