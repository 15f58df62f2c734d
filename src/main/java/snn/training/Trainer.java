package snn.training;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.config.ExperimentConfig;
import snn.config.TrainingConfig;
import snn.core.DistributedException;
import snn.core.TrainingException;
import snn.core.TrainingStoppedException;
import snn.data.Batch;
import snn.data.BatchLoader;
import snn.data.DatasetSplits;
import snn.distributed.DataParallel;
import snn.distributed.Distributed;
import snn.distributed.ProcessGroup;
import snn.interop.Checkpoints;
import snn.models.NetworkOutput;
import snn.models.SpikingNetwork;
import snn.runtime.Device;
import snn.runtime.Tensors;
import snn.runtime.ThreadSettings;
import snn.runtime.TorchRuntime;

/**
 * Trains a {@link SpikingNetwork} with the papers' protocol (docs/specification.md section 8): Adam, cross-entropy,
 * learning-rate milestones with factor gamma where the best model so far is reloaded and a fresh Adam is created,
 * and model selection on validation accuracy when there is a validation split, else on the lowest training loss.
 *
 * <p>The loop itself only trains and evaluates epochs; the protocol is a list of {@link Callback}s called at its
 * hooks, in this order: the run folder's files ({@link RunFiles}), model selection, progress, the silent-layer
 * warning, early stopping, the learning-rate schedule, TensorBoard scalars, the ranks' sync check, the saved state
 * ({@link StateCheckpoints}) and the {@link TrainingListener}s. The network, optimiser and selected model belong to a
 * {@link TrainingSession}, closed when the run ends.
 *
 * <p>Writes {@code config.json}, {@code manifest.json}, {@code metrics.csv} (after every epoch), {@code model.pt}
 * (the selected model, whenever it changes), {@code training-state.pt} (for {@code --resume}), TensorBoard scalars
 * and {@code summary.json} to the run folder, each atomically.
 *
 * <p><b>Data-parallel.</b> Given a group of several processes ({@link #withGroup}), every rank trains the same network
 * on its share of every batch ({@link BatchLoader.Share}), gradients are averaged over the ranks once per step
 * ({@link DataParallel}), and evaluations add up the ranks' counts, so that every rank takes the steps and decisions
 * a single process would. Rank 0 alone writes the run folder, prints progress and calls the listeners.
 */
public final class Trainer {

    private final ExperimentConfig config;
    private final DatasetSplits data;
    private final PrintStream log;
    private final List<TrainingListener> listeners;
    private final Ranks ranks;
    private final StopSignal stop;

    /**
     * A trainer for a process training alone; nothing runs until {@link #fit(Path)} or {@link #resume(Path)}.
     *
     * @param config the experiment, validated
     * @param data   the splits {@code config.data()} describes (see {@link snn.data.Datasets#open})
     * @param log    where progress lines go, e.g. {@code System.out}
     */
    public Trainer(ExperimentConfig config, DatasetSplits data, PrintStream log) {
        this(config, data, log, List.of(), Ranks.alone(), new StopSignal());
    }

    private Trainer(ExperimentConfig config, DatasetSplits data, PrintStream log, List<TrainingListener> listeners,
            Ranks ranks, StopSignal stop) {
        this.config = config;
        this.data = data;
        this.log = log;
        this.listeners = List.copyOf(listeners);
        this.ranks = ranks;
        this.stop = stop;
    }

    /**
     * This trainer with one more listener.
     *
     * @param listener hears every epoch's end and the run's end, in the order listeners were added
     * @return a new trainer; this one is unchanged
     */
    public Trainer withListener(TrainingListener listener) {
        List<TrainingListener> all = new ArrayList<>(listeners);
        all.add(listener);
        return new Trainer(config, data, log, all, ranks, stop);
    }

    /**
     * This trainer as one process of a data-parallel run.
     *
     * @param group the run's process group (e.g. {@link Distributed#group()}); {@link ProcessGroup#single()} alone
     * @return a new trainer; this one is unchanged
     */
    public Trainer withGroup(ProcessGroup group) {
        return new Trainer(config, data, log, listeners, new Ranks(group), stop);
    }

    /**
     * This trainer, stopping when {@code signal} is set (the command line sets it on Ctrl-C).
     *
     * @param signal checked after every batch
     * @return a new trainer; this one is unchanged
     */
    public Trainer withStopSignal(StopSignal signal) {
        return new Trainer(config, data, log, listeners, ranks, signal);
    }

    /**
     * Initialises the runtime from the config's runtime section (threads, device) and seeds libtorch, for a process
     * of this process's distributed group ({@link Distributed#group()}).
     *
     * @param config the experiment
     */
    static void initRuntime(ExperimentConfig config) {
        initRuntime(config, Distributed.group().localSize());
    }

    /**
     * As {@link #initRuntime(ExperimentConfig)}; the default threads split the cores between the {@code processes}
     * of a data-parallel run on this machine.
     */
    static void initRuntime(ExperimentConfig config, int processes) {
        ThreadSettings defaults = ThreadSettings.sharedBy(processes);
        ThreadSettings threads = new ThreadSettings(
                config.runtime().torchThreads() != null ? config.runtime().torchThreads() : defaults.torchThreads(),
                config.runtime().blasThreads() != null ? config.runtime().blasThreads() : defaults.blasThreads());
        TorchRuntime.init(threads, Device.parse(config.runtime().device()));
        TorchRuntime.seed(config.seed());
    }

    /**
     * Runs the whole training. Initialises the runtime from the config and seeds parameter initialisation.
     *
     * @param runDir the run folder, created if needed; its result files are replaced
     * @return the selected epoch, its test evaluation and every epoch's metrics
     * @throws TrainingException        when the loss becomes non-finite (with {@code on_non_finite_loss = stop}) or a
     *                                  result file cannot be written
     * @throws TrainingStoppedException when the stop signal was set
     */
    public TrainingResult fit(Path runDir) {
        return run(runDir, false, null);
    }

    /**
     * Continues the run in {@code runDir} from its last completed epoch (its {@code training-state.pt}); the result
     * is the same as that of an uninterrupted run.
     *
     * @param runDir a run folder of this config with a {@code training-state.pt}
     * @return as {@link #fit(Path)}, with the history of all epochs
     * @throws TrainingException when there is no saved state to resume from, or as {@link #fit(Path)}
     */
    public TrainingResult resume(Path runDir) {
        return run(runDir, true, null);
    }

    /**
     * Continues the run in {@code runDir} from the state kept for epoch {@code epoch} ({@code checkpoints/}, written
     * with {@code training.checkpoint_every}); the epochs after it are trained again.
     *
     * @param runDir a run folder of this config
     * @param epoch  a completed epoch whose state the run kept
     * @return as {@link #resume(Path)}
     * @throws TrainingException when no state of that epoch is kept, or as {@link #resume(Path)}
     */
    public TrainingResult resume(Path runDir, int epoch) {
        return run(runDir, true, epoch);
    }

    private TrainingResult run(Path runDir, boolean resume, Integer fromEpoch) {
        Progress progress = new Progress(ranks.leads() ? log : new PrintStream(OutputStream.nullOutputStream()));
        RunFolder run = new RunFolder(runDir);
        initRuntime(config, ranks.localSize());
        RunAgreement.check(ranks.group(), config, data);
        TrainingConfig t = config.training();
        try (TrainingSession session = TrainingSession.create(config, data.train().channels(),
                data.train().classes())) {
            TrainingState.Progress saved = resume ? restore(session, run, fromEpoch) : null;
            if (!resume && t.initFrom() != null) {
                Checkpoints.loadInto(t.initFrom(), session.network()); // rank 0's values are broadcast below
            }
            FitContext fit = new FitContext(config, data, run, ranks, session, progress,
                    saved != null ? saved.history() : List.of(), resume);
            List<Callback> callbacks = callbacks(fit);
            fit.restoreCallbacks(saved != null ? saved.callbacks() : java.util.Map.of());
            callbacks.forEach(c -> c.onFitStart(fit));
            try (BatchLoader loader = new BatchLoader(data.train(), t.batchSize(), true, config.data().augment(),
                    config.seed(), new BatchLoader.Share(ranks.rank(), ranks.size()));
                    DataParallel parallel = new DataParallel(session.network(), ranks.group())) {
                parallel.broadcastParameters();
                fit.parallel(parallel);
                EpochRunner epochs = new EpochRunner(fit, loader, stop);
                for (int epoch = fit.firstEpoch(); !fit.finished(epoch); epoch++) {
                    EpochMetrics m = epochs.trainAndEvaluate(epoch);
                    fit.history().add(m);
                    for (Callback c : callbacks) {
                        c.onEpochEnd(fit, m);
                    }
                }
            } catch (DistributedException e) {
                throw new DistributedException(e.getMessage() + ". " + (fit.history().isEmpty() ? "No epoch completed,"
                        + " so there is nothing to resume: start the run again" : "The last completed epoch ("
                        + fit.history().size() + ") is saved in " + run.state() + ": continue with snn train --resume "
                        + runDir + ", with any number of processes"), e);
            }
            session.reloadBest();
            Evaluation finalTest = Evaluator.evaluate(session.network(), data.test(), t.evalBatchSize(), ranks.group());
            TrainingResult result = new TrainingResult(runDir, session.bestEpoch(), fit.selection(), finalTest,
                    List.copyOf(fit.history()));
            callbacks.forEach(c -> c.onFitEnd(fit, result));
            ranks.barrier("the end of training");
            progress.line(String.format(Locale.ROOT, "done: epoch %d selected by %s; test accuracy %.2f%%, %.1f spikes"
                    + " per sample; results in %s", result.bestEpoch(), result.selection(), 100 * finalTest.accuracy(),
                    finalTest.totalSpikesPerSample(), runDir));
            return result;
        }
    }

    /** The protocol, in the order its callbacks run at each hook. */
    private List<Callback> callbacks(FitContext fit) {
        TrainingConfig t = config.training();
        List<Callback> all = new ArrayList<>(List.of(new RunFiles(), new ModelSelection(), new ProgressReport(),
                new SilentLayerWarning()));
        if (t.earlyStopping() != null) {
            all.add(new EarlyStopping(t.earlyStopping(), fit.selection()));
        }
        all.add(new LearningRateSchedule(t, fit.selection()));
        if (t.tensorboard()) {
            all.add(new TensorBoardScalars());
        }
        all.add(new Callback() {
            @Override
            public void onEpochEnd(FitContext f, EpochMetrics m) {
                f.parallel().checkInSync("after epoch " + m.epoch());
            }
        });
        all.add(new StateCheckpoints());
        all.add(new ListenerCalls(listeners));
        fit.callbacks(all);
        return all;
    }

    /**
     * Restores the session from the run's saved state (rank 0 reads it and sends it to the others) and returns the
     * progress it was saved with.
     */
    private TrainingState.Progress restore(TrainingSession session, RunFolder run, Integer fromEpoch) {
        SpikingNetwork net = session.network();
        java.util.Map<String, Tensor> best = new java.util.LinkedHashMap<>();
        TrainingState.Progress p = null;
        if (ranks.leads()) {
            p = TrainingState.load(StateCheckpoints.stateFile(run, fromEpoch), run.dir(), net, best,
                    session.optimizer());
        }
        if (ranks.size() > 1) {
            byte[] state = ranks.fromLeader(ranks.leads() ? TrainingState.bytes(StateCheckpoints.stateFile(run,
                    fromEpoch)) : null, "the training state");
            if (!ranks.leads()) {
                p = TrainingState.load(state, "rank 0's " + TrainingState.FILE, net, best, session.optimizer());
            }
        }
        session.setLearningRate(p.learningRate());
        session.restoreBest(best, p.bestEpoch(), p.bestScore());
        return p;
    }

    /**
     * Trains one epoch (on this rank's share of every batch) and evaluates it; stops the run when the stop signal is
     * set.
     */
    private record EpochRunner(FitContext fit, BatchLoader loader, StopSignal stop, int batches, long totalBatches) {

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
            double validation = fit.selectsOnValidation() ? Evaluator.evaluate(session.network(),
                    fit.data().validation(), t.evalBatchSize(), ranks.group()).accuracy() : Double.NaN;
            Evaluation test = Evaluator.evaluate(session.network(), fit.data().test(), t.evalBatchSize(),
                    ranks.group());
            return new EpochMetrics(epoch, pass.loss, pass.accuracy, validation, test.accuracy(), lr,
                    test.spikesPerSample(), pass.forwardMs, pass.backwardMs, pass.seconds, pass.skippedBatches);
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

        private record EpochPass(double loss, double accuracy, double forwardMs, double backwardMs, double seconds,
                int skippedBatches) {
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
            int skipped = 0;
            long start = System.nanoTime();
            long batchesBefore = (long) (epoch - fit.firstEpoch()) * batches;
            Iterator<Batch> it = loader.epoch(epoch);
            fit.progress().epochStart();
            for (int b = 1; b <= batches; b++) {
                try (PointerScope scope = new PointerScope()) {
                    Batch batch = it.next();
                    ranks.at("epoch " + epoch + ", batch " + b + "/" + batches);
                    long t0 = System.nanoTime();
                    // A rank's share of a short last batch can be empty: it then only takes part in the all-reduce.
                    NetworkOutput out = null;
                    Tensor loss = null;
                    Tensor labels = null;
                    float lossValue = 0;
                    if (batch.size() > 0) {
                        labels = Tensors.onRunDevice(batch.labels());
                        out = net.forward(Tensors.onRunDevice(batch.input()));
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
                    fit.session().optimizer().step();
                    long t2 = System.nanoTime();
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
                    backwardNs / 1e6 / used, seconds, skipped);
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
}
