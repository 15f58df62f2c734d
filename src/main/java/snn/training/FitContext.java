package snn.training;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import snn.config.ExperimentConfig;
import snn.config.TrainingConfig;
import snn.data.DatasetSplits;
import snn.distributed.DataParallel;

/**
 * One run of the fit loop as its callbacks see it: the config and data, the run folder, the ranks, the session (the
 * network, optimiser and selected model), the history so far, where progress goes, and whether the run was asked to
 * stop after the current epoch.
 */
final class FitContext {

    /**
     * A training batch just taken.
     *
     * @param epoch         1-based epoch
     * @param batch         1-based batch of the epoch
     * @param batches       batches in the epoch
     * @param loss          mean loss of the epoch's batches so far
     * @param accuracy      training accuracy of the epoch so far
     * @param batchesDone   batches taken in this process's run so far (since its start or resume)
     * @param batchesTotal  batches this process's run will take when it trains every epoch
     */
    record BatchEnd(int epoch, int batch, int batches, double loss, double accuracy, long batchesDone,
            long batchesTotal) {
    }

    private final ExperimentConfig config;
    private final DatasetSplits data;
    private final RunFolder run;
    private final Ranks ranks;
    private final TrainingSession session;
    private final Progress progress;
    private final List<EpochMetrics> history = new ArrayList<>();
    private final List<Callback> callbacks = new ArrayList<>();
    private final int firstEpoch;
    private final boolean resumed;
    private DataParallel parallel;
    private String stopReason;

    FitContext(ExperimentConfig config, DatasetSplits data, RunFolder run, Ranks ranks, TrainingSession session,
            Progress progress, List<EpochMetrics> history, boolean resumed) {
        this.config = config;
        this.data = data;
        this.run = run;
        this.ranks = ranks;
        this.session = session;
        this.progress = progress;
        this.history.addAll(history);
        this.firstEpoch = history.size() + 1;
        this.resumed = resumed;
    }

    ExperimentConfig config() {
        return config;
    }

    TrainingConfig training() {
        return config.training();
    }

    DatasetSplits data() {
        return data;
    }

    RunFolder run() {
        return run;
    }

    Ranks ranks() {
        return ranks;
    }

    /** {@return whether this process writes the run folder and prints} */
    boolean leads() {
        return ranks.leads();
    }

    TrainingSession session() {
        return session;
    }

    /** {@return where progress lines go (nowhere on ranks other than 0)} */
    Progress progress() {
        return progress;
    }

    /** {@return every completed epoch's metrics, the run's before a resume included; the loop appends to it} */
    List<EpochMetrics> history() {
        return history;
    }

    /** {@return the first epoch this process trains: 1, or the one after the epoch resumed from} */
    int firstEpoch() {
        return firstEpoch;
    }

    /** {@return whether the run continues from a saved state} */
    boolean resumed() {
        return resumed;
    }

    /** {@return whether models are selected on a validation split (else on the training loss, as the papers do)} */
    boolean selectsOnValidation() {
        return data.validation() != null;
    }

    /** {@return the selection metric's name: "validation_accuracy" or "train_loss"} */
    String selection() {
        return selectsOnValidation() ? "validation_accuracy" : "train_loss";
    }

    /** {@return the gradient averaging of a data-parallel run (alone, it does nothing); set while epochs run} */
    DataParallel parallel() {
        return parallel;
    }

    void parallel(DataParallel parallel) {
        this.parallel = parallel;
    }

    /**
     * Asks the loop to stop after the current epoch (its state is saved as usual).
     *
     * @param reason why, for the log (e.g. "early stopping: ...")
     */
    void requestStop(String reason) {
        if (stopReason == null) {
            stopReason = reason;
        }
    }

    /** {@return why the run stops before its last epoch, or null when it does not} */
    String stopReason() {
        return stopReason;
    }

    /** {@return whether the run trains no further epoch: all are done, or a callback asked to stop} */
    boolean finished(int nextEpoch) {
        return stopReason != null || nextEpoch > config.training().epochs();
    }

    /** Sets the callbacks whose states {@link #callbackStates()} collects. */
    void callbacks(List<Callback> all) {
        callbacks.clear();
        callbacks.addAll(all);
    }

    /** {@return the callbacks of the run, in the order they are called} */
    List<Callback> callbacks() {
        return List.copyOf(callbacks);
    }

    /** {@return the state of every callback that keeps one, by name, as saved with the epoch} */
    Map<String, JsonNode> callbackStates() {
        Map<String, JsonNode> states = new LinkedHashMap<>();
        for (Callback c : callbacks) {
            JsonNode s = c.state();
            if (s != null) {
                states.put(c.name(), s);
            }
        }
        return states;
    }

    /** Gives every callback its saved state. */
    void restoreCallbacks(Map<String, JsonNode> states) {
        for (Callback c : callbacks) {
            JsonNode s = states.get(c.name());
            if (s != null) {
                c.restore(s);
            }
        }
    }
}
