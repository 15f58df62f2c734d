package snn.training;

import java.util.List;

/**
 * Calls the run's {@link TrainingListener}s (the command line's figures, a program's own) on rank 0, after the run
 * folder's files of the moment are written: after every epoch's saved state, and at the end.
 */
final class ListenerCalls implements Callback {

    private final List<TrainingListener> listeners;

    ListenerCalls(List<TrainingListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    @Override
    public void onEpochEnd(FitContext fit, EpochMetrics metrics) {
        if (fit.leads()) {
            for (TrainingListener l : listeners) {
                l.epochEnded(fit.run(), List.copyOf(fit.history()));
            }
        }
    }

    @Override
    public void onFitEnd(FitContext fit, TrainingResult result) {
        if (fit.leads()) {
            for (TrainingListener l : listeners) {
                l.finished(fit.run(), result);
            }
        }
    }
}
