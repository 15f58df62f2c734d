package snn.training;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One part of the training protocol, hooked into the fit loop as PyTorch Lightning's callbacks are: model selection,
 * the learning-rate schedule, early stopping, the run folder's files, progress. The loop calls the callbacks of a run
 * in their list's order at each hook ({@link Trainer} builds the list); a callback changes the run only through the
 * {@link FitContext} (the session's parameters and optimiser, a request to stop).
 *
 * <p>A callback that remembers something across epochs (a count of epochs without improvement) gives it as
 * {@link #state()} under its {@link #name()}: it is saved in {@code training-state.pt} after every epoch and given
 * back with {@link #restore} on resume, so that a resumed run decides exactly as an uninterrupted one.
 */
interface Callback {

    /** {@return the key of this callback's state in the saved training state} */
    default String name() {
        return getClass().getSimpleName();
    }

    /**
     * The run starts (or resumes): the session is created (or restored) and the callbacks' states are restored.
     *
     * @param fit the run
     */
    default void onFitStart(FitContext fit) {
    }

    /**
     * A training batch was taken (its optimiser step done, or skipped for a non-finite loss).
     *
     * @param fit   the run
     * @param batch where it is and the running loss and accuracy of the epoch
     */
    default void onBatchEnd(FitContext fit, FitContext.BatchEnd batch) {
    }

    /**
     * An epoch was trained and evaluated; its metrics are the last of {@link FitContext#history()}.
     *
     * @param fit     the run
     * @param metrics the epoch's metrics
     */
    default void onEpochEnd(FitContext fit, EpochMetrics metrics) {
    }

    /**
     * The run ended (its last epoch, or an early stop): the selected model is loaded and evaluated.
     *
     * @param fit    the run
     * @param result the selected epoch and its test evaluation
     */
    default void onFitEnd(FitContext fit, TrainingResult result) {
    }

    /** {@return what this callback remembers across epochs, or null when nothing} */
    default JsonNode state() {
        return null;
    }

    /**
     * Gives back the state saved with the epoch a run resumes after.
     *
     * @param state what {@link #state()} returned then
     */
    default void restore(JsonNode state) {
    }
}
