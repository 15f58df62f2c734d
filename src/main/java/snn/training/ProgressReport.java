package snn.training;

import java.util.Locale;
import java.util.TreeSet;

import snn.config.ExperimentConfig;
import snn.runtime.TorchRuntime;

/**
 * What a run prints (rank 0 alone; the other ranks' progress goes nowhere): what it trains on which kernels, the
 * live batch progress, one line per epoch, and for a resumed run where it continues, or how to extend a run that
 * has nothing left to train.
 */
final class ProgressReport implements Callback {

    @Override
    public void onFitStart(FitContext fit) {
        Progress out = fit.progress();
        var t = fit.training();
        if (fit.resumed()) {
            out.line(String.format(Locale.ROOT, "resuming %s after epoch %d of %d (lr %.3g, best epoch %d)",
                    fit.run().dir(), fit.history().size(), t.epochs(), fit.session().learningRate(),
                    fit.session().bestEpoch()));
            if (fit.finished(fit.firstEpoch())) {
                int done = fit.history().size();
                out.line((fit.stopReason() != null ? "the run has ended (" + fit.stopReason() + ")"
                        : "the run has trained all its " + t.epochs() + " epochs") + "; to train it for longer, resume"
                        + " it with more epochs" + (fit.stopReason() != null ? " and a larger"
                        + " training.early_stopping.patience (or early_stopping removed)" : "") + ", e.g.: snn train"
                        + " --resume " + fit.run().dir() + " --set training.epochs=" + (done + Math.max(10, done)));
            }
        } else if (t.initFrom() != null) {
            out.line("starting from the parameters of " + t.initFrom());
        }
        var data = fit.data();
        out.line(String.format(Locale.ROOT, "training %s: %s on %s (%d train / %s validation / %d test samples)"
                + ", %s", fit.config().name(), describe(fit.config()), data.train().name(), data.train().size(),
                data.validationSplit().map(v -> Integer.toString(v.size())).orElse("no"), data.test().size(),
                TorchRuntime.current().orElseThrow()));
        out.line("kernels: " + fit.session().network().kernelSelection().describe());
        Ranks ranks = fit.ranks();
        if (ranks.size() > 1) {
            out.line(String.format(Locale.ROOT, "data-parallel: %d processes on %s, %s; each takes its share of"
                    + " every batch of %d", ranks.size(), String.join(", ", new TreeSet<>(ranks.hosts())),
                    ranks.describe().get("backend"), t.batchSize()));
        }
    }

    @Override
    public void onBatchEnd(FitContext fit, FitContext.BatchEnd b) {
        fit.progress().batch(b.epoch(), fit.training().epochs(), b.batch(), b.batches(), b.loss(), b.accuracy(),
                b.batchesDone(), b.batchesTotal());
    }

    @Override
    public void onEpochEnd(FitContext fit, EpochMetrics m) {
        boolean validation = fit.selectsOnValidation();
        fit.progress().line(String.format(Locale.ROOT, "epoch %d/%d: train loss %.4f, train acc %.2f%%,%s test acc"
                + " %.2f%%, %.1f spikes/sample, %.1f ms/batch (Adam %.1f)%s, epoch %.1f s (%.1f s waiting for batches),"
                + " evaluation %.1f s%s", m.epoch(), fit.training().epochs(),
                m.trainLoss(), 100 * m.trainAccuracy(), validation ? String.format(Locale.ROOT,
                        " validation acc %.2f%%,", 100 * m.validationAccuracy()) : "", 100 * m.testAccuracy(),
                m.spikesPerSample().stream().mapToDouble(Double::doubleValue).sum(), m.forwardMs() + m.backwardMs(),
                m.optimizerMs(),
                fit.ranks().size() > 1 ? String.format(Locale.ROOT, " (all-reduce %.1f)",
                        fit.parallel().takeMillisPerStep()) : "", m.epochSeconds(), m.batchWaitSeconds(),
                m.evaluationSeconds(),
                fit.session().bestEpoch() == m.epoch() ? " (best)" : ""));
    }

    private static String describe(ExperimentConfig c) {
        var m = c.model();
        return m.kind().name().toLowerCase(Locale.ROOT) + (m.d() != null ? " d=" + m.d() : "")
                + (m.recurrent() ? " recurrent" : "") + " " + m.hidden();
    }
}
