package snn.training;

import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

import snn.config.ScheduleConfig;
import snn.config.TrainingConfig;

/**
 * {@code training.schedule}: sets the learning rate of the next epoch after each epoch. {@code milestones} (the
 * papers'): times gamma after each milestone epoch, where the selected model is reloaded and a fresh Adam created
 * ({@code reload_best_at_milestone}); {@code step}: times gamma every {@code step_size} epochs; {@code cosine}: half
 * a cosine from lr (epoch 1) to {@code min_lr} (the last epoch); {@code plateau}: times gamma (down to
 * {@code min_lr}) when the selection metric went {@code patience} epochs without improving by more than
 * {@code min_delta}. Only the plateau schedule remembers anything (its watched metric), saved with each epoch.
 */
final class LearningRateSchedule implements Callback {

    private final TrainingConfig training;
    private final ScheduleConfig schedule;
    private final Watched plateau;

    LearningRateSchedule(TrainingConfig training, String selection) {
        this.training = training;
        this.schedule = training.schedule();
        this.plateau = schedule.kind() == ScheduleConfig.Kind.PLATEAU
                ? new Watched(selection, schedule.minDelta()) : null;
    }

    @Override
    public void onEpochEnd(FitContext fit, EpochMetrics m) {
        TrainingSession session = fit.session();
        int epoch = m.epoch();
        double lr = session.learningRate();
        switch (schedule.kind()) {
            case MILESTONES -> {
                if (training.milestones().contains(epoch)) {
                    lr *= training.gamma();
                    if (training.reloadBestAtMilestone()) {
                        session.reloadBest();
                        session.freshOptimizer(lr);
                        fit.progress().line(String.format(Locale.ROOT,
                                "milestone: reloaded epoch %d, fresh Adam at lr %.3g", session.bestEpoch(), lr));
                    } else {
                        session.setLearningRate(lr);
                    }
                }
            }
            case STEP -> {
                if (epoch % schedule.stepSize() == 0) {
                    session.setLearningRate(lr * training.gamma());
                }
            }
            case COSINE -> session.setLearningRate(cosine(epoch + 1));
            case PLATEAU -> {
                if (plateau.observe(m) >= schedule.patience() && lr > schedule.minLr()) {
                    double lower = Math.max(schedule.minLr(), lr * training.gamma());
                    plateau.resetCount();
                    session.setLearningRate(lower);
                    fit.progress().line(String.format(Locale.ROOT, "plateau: %s has not improved on %s for %d"
                            + " epochs; lr %.3g", plateau.metric(), plateau.best(), schedule.patience(), lower));
                }
            }
        }
    }

    /** The cosine schedule's rate in epoch {@code epoch} (1-based): lr at the first, min_lr at the last. */
    double cosine(int epoch) {
        int epochs = training.epochs();
        if (epochs < 2) {
            return training.lr();
        }
        double progress = Math.min(1.0, (epoch - 1) / (double) (epochs - 1));
        return schedule.minLr() + (training.lr() - schedule.minLr()) * (1 + Math.cos(Math.PI * progress)) / 2;
    }

    @Override
    public JsonNode state() {
        return plateau != null ? plateau.state() : null;
    }

    @Override
    public void restore(JsonNode state) {
        if (plateau != null) {
            plateau.restore(state);
        }
    }
}
