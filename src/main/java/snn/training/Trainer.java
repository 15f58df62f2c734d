package snn.training;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

import snn.config.ExperimentConfig;
import snn.config.TrainingConfig;
import snn.core.DistributedException;
import snn.core.TrainingException;
import snn.core.TrainingStoppedException;
import snn.data.BatchLoader;
import snn.data.DatasetSplits;
import snn.distributed.DataParallel;
import snn.distributed.Distributed;
import snn.distributed.ProcessGroup;
import snn.interop.Checkpoints;
import snn.models.SpikingNetwork;
import snn.nativekernels.NativeKernels;
import snn.runtime.Device;
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

    @SuppressWarnings("try") // the denormal mode is held for the run and restored when it ends
    private TrainingResult run(Path runDir, boolean resume, Integer fromEpoch) {
        Progress progress = new Progress(ranks.leads() ? log : new PrintStream(OutputStream.nullOutputStream()));
        RunFolder run = new RunFolder(runDir);
        initRuntime(config, ranks.localSize());
        RunAgreement.check(ranks.group(), config, data);
        TrainingConfig t = config.training();
        try (NativeKernels.DenormalMode denormals = NativeKernels.flushDenormals(
                config.runtime().flushesDenormals());
                TrainingSession session = TrainingSession.create(config, data.train().channels(),
                data.train().classes())) {
            TrainingState.Progress saved = resume ? restore(session, run, fromEpoch) : null;
            if (!resume && t.initFrom() != null) {
                Checkpoints.loadInto(t.initFrom(), session.network()); // rank 0's values are broadcast below
            }
            FitContext fit = new FitContext(config, data, run, ranks, session, progress,
                    saved != null ? saved.history() : List.of(), resume);
            List<Callback> callbacks = callbacks(fit);
            fit.restoreCallbacks(saved != null ? saved.callbacks() : Map.of());
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
        Map<String, Tensor> best = new LinkedHashMap<>();
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
}
