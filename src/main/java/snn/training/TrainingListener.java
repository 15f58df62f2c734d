package snn.training;

import java.util.List;

/**
 * Hears a training run's progress, for what lies outside training itself: figures, dashboards, notifications. The
 * command line adds one that draws the run's curves ({@code snn.plots}); a trainer without listeners only trains and
 * writes its run folder. Methods run on the training thread, after the run folder's files of that moment are
 * written; an exception thrown here stops training.
 */
public interface TrainingListener {

    /**
     * An epoch ended and its metrics are in the run folder.
     *
     * @param run     the run's folder
     * @param history every completed epoch so far, the one that just ended last
     */
    default void epochEnded(RunFolder run, List<EpochMetrics> history) {
    }

    /**
     * The run finished: the selected model is evaluated and the summary written.
     *
     * @param run    the run's folder
     * @param result the selected epoch, its test evaluation and every epoch's metrics
     */
    default void finished(RunFolder run, TrainingResult result) {
    }
}
