package snn.training;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.config.TrainingConfig;
import snn.core.TrainingException;
import snn.core.TrainingStoppedException;
import snn.data.Batch;
import snn.data.BatchLoader;
import snn.distributed.DataParallel;
import snn.models.NetworkOutput;
import snn.models.SpikingNetwork;
import snn.runtime.Tensors;

/**
 * Trains one epoch (on this rank's share of every batch) and evaluates it; stops the run when the stop signal is
 * set.
 */
record EpochRunner(FitContext fit, BatchLoader loader, StopSignal stop, int batches, long totalBatches) {

    EpochRunner(FitContext fit, BatchLoader loader, StopSignal stop) {
        this(fit, loader, stop, batches(fit.training(), loader),
                (long) batches(fit.training(), loader) * (fit.training().epochs() - fit.firstEpoch() + 1));
    }

    static int batches(TrainingConfig t, BatchLoader loader) {
        return t.maxBatchesPerEpoch() == null ? loader.batchesPerEpoch()
                : Math.min(t.maxBatchesPerEpoch(), loader.batchesPerEpoch());
    }

    EpochMetrics trainAndEvaluate(int epoch) {
        stopIfAsked(epoch, 0);
        TrainingSession session = fit.session();
        double lr = session.learningRate();
        EpochPass pass = train(epoch);
        TrainingConfig t = fit.training();
        Ranks ranks = fit.ranks();
        long evaluationStart = System.nanoTime();
        double validation = fit.selectsOnValidation() ? Evaluator.evaluate(session.network(),
                fit.data().validation(), t.evalBatchSize(), ranks.group()).accuracy() : Double.NaN;
        Evaluation test = Evaluator.evaluate(session.network(), fit.data().test(), t.evalBatchSize(),
                ranks.group());
        double evaluationSeconds = (System.nanoTime() - evaluationStart) / 1e9;
        return new EpochMetrics(epoch, pass.loss, pass.accuracy, validation, test.accuracy(), lr,
                test.spikesPerSample(), pass.forwardMs, pass.backwardMs, pass.seconds, pass.skippedBatches,
                evaluationSeconds, pass.optimizerMs, pass.waitSeconds);
    }

    private void stopIfAsked(int epoch, int batch) {
        if (!stop.requested()) {
            return;
        }
        Path dir = fit.run().dir();
        int done = epoch - 1;
        throw new TrainingStoppedException("stopped by " + stop.signal() + (batch == 0 ? " before epoch " + epoch
                : " in epoch " + epoch + " after batch " + batch + " of " + batches + " (the rest of that epoch is"
                + " abandoned)") + ". " + (done == 0 ? "No epoch had completed, so nothing is saved to resume"
                + " from: start the run again (to reuse its folder, with --out " + dir + " --force)" : "Epoch " + done + " is the last completed one, saved in "
                + fit.run().state() + "; continue the run (bit for bit as if uninterrupted) with:\n  snn train"
                + " --resume " + dir), stop.exitStatus());
    }

    private record EpochPass(double loss, double accuracy, double forwardMs, double backwardMs, double optimizerMs,
            double seconds, double waitSeconds, int skippedBatches) {
    }

    private EpochPass train(int epoch) {
        SpikingNetwork net = fit.session().network();
        DataParallel parallel = fit.parallel();
        Ranks ranks = fit.ranks();
        net.train(true);
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        long forwardNs = 0;
        long backwardNs = 0;
        long optimizerNs = 0;
        long waitNs = 0;
        int skipped = 0;
        long start = System.nanoTime();
        long batchesBefore = (long) (epoch - fit.firstEpoch()) * batches;
        Iterator<Batch> it = loader.epoch(epoch);
        fit.progress().epochStart();
        for (int b = 1; b <= batches; b++) {
            try (PointerScope scope = new PointerScope()) {
                long requested = System.nanoTime();
                Batch batch = it.next();
                waitNs += System.nanoTime() - requested;
                ranks.at("epoch " + epoch + ", batch " + b + "/" + batches);
                long t0 = System.nanoTime();
                // A rank's share of a short last batch can be empty: it then only takes part in the all-reduce.
                NetworkOutput out = null;
                Tensor loss = null;
                Tensor labels = null;
                float lossValue = 0;
                if (batch.size() > 0) {
                    labels = Tensors.onRunDevice(batch.labels());
                    out = net.forward(batch);
                    loss = torch.cross_entropy_loss(out.logits(), labels);
                    lossValue = loss.item_float();
                }
                long t1 = System.nanoTime();
                long batchCorrect = out == null ? 0
                        : out.logits().argmax(new LongOptional(1), false).eq(labels).sum().item_long();
                fit.session().optimizer().zero_grad();
                if (loss != null && Float.isFinite(lossValue)) {
                    loss.backward();
                }
                DataParallel.Step step = parallel.reduce(batch.size(), lossValue, batchCorrect);
                if (!step.finite()) {
                    if (fit.training().onNonFiniteLoss() == TrainingConfig.NonFiniteLoss.SKIP) {
                        skipped++;
                        continue;
                    }
                    throw nonFinite(step, epoch, b);
                }
                long stepStart = System.nanoTime();
                fit.session().optimizer().step();
                long t2 = System.nanoTime();
                optimizerNs += t2 - stepStart;
                forwardNs += t1 - t0;
                backwardNs += t2 - t1;
                lossSum += step.lossSum();
                correct += step.correct();
                seen += step.samples();
                FitContext.BatchEnd end = new FitContext.BatchEnd(epoch, b, batches, lossSum / seen,
                        (double) correct / seen, batchesBefore + b, totalBatches);
                fit.callbacks().forEach(c -> c.onBatchEnd(fit, end));
            }
            stopIfAsked(epoch, b);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (skipped > 0) {
            fit.progress().line(String.format(Locale.ROOT, "epoch %d: skipped %d of %d batches with a non-finite"
                    + " loss", epoch, skipped, batches));
        }
        if (seen == 0) {
            throw new TrainingException("every batch of epoch " + epoch + " had a non-finite loss; check the input"
                    + " data and training.lr");
        }
        int used = batches - skipped;
        return new EpochPass(lossSum / seen, (double) correct / seen, forwardNs / 1e6 / used,
                backwardNs / 1e6 / used, optimizerNs / 1e6 / used, seconds, waitNs / 1e9, skipped);
    }

    private TrainingException nonFinite(DataParallel.Step step, int epoch, int batch) {
        Path dir = fit.run().dir();
        return new TrainingException(String.format(Locale.ROOT, "the loss became %s at epoch %d, batch %d;"
                + " training stopped. %s Lower training.lr, check the input data, or set"
                + " training.on_non_finite_loss to \"skip\".", step.lossSum() / step.samples(), epoch, batch,
                epoch > 1 ? "The last good state (after epoch " + (epoch - 1) + ") is "
                        + fit.run().state() + "; continue from it with --resume " + dir + "."
                        : "No epoch had completed, so nothing was saved."));
    }
}
