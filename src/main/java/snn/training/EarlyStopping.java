package snn.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.config.EarlyStoppingConfig;

/**
 * {@code training.early_stopping}: ends the run after the epoch in which the watched metric (the selection metric by
 * default) has gone {@code patience} epochs without improving by more than {@code min_delta}. The selected model is
 * then evaluated as after the last epoch. A resumed run that had stopped stays stopped.
 */
final class EarlyStopping implements Callback {

    private final Watched watched;
    private final int patience;
    private String stopped;

    EarlyStopping(EarlyStoppingConfig config, String selection) {
        this.watched = new Watched(config.metric() != null ? config.metric() : selection, config.minDelta());
        this.patience = config.patience();
    }

    @Override
    public void onFitStart(FitContext fit) {
        if (stopped != null) {
            fit.requestStop(stopped);
        }
    }

    @Override
    public void onEpochEnd(FitContext fit, EpochMetrics m) {
        if (watched.observe(m) >= patience) {
            stopped = "early stopping after epoch " + m.epoch() + ": " + watched.metric() + " has not improved on "
                    + watched.best() + " for " + patience + " epochs";
            fit.progress().line(stopped);
            fit.requestStop(stopped);
        }
    }

    @Override
    public JsonNode state() {
        ObjectNode s = (ObjectNode) watched.state();
        if (stopped != null) {
            s.put("stopped", stopped);
        }
        return s;
    }

    @Override
    public void restore(JsonNode state) {
        watched.restore(state);
        stopped = state.has("stopped") ? state.get("stopped").asText() : null;
    }
}
