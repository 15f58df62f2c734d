package snn.training;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.config.ExperimentConfig;
import snn.config.TrainingConfig;
import snn.core.DistributedException;
import snn.core.TrainingException;
import snn.data.Batch;
import snn.data.BatchLoader;
import snn.data.DatasetSplits;
import snn.distributed.DataParallel;
import snn.distributed.Distributed;
import snn.distributed.ProcessGroup;
import snn.interop.Checkpoints;
import snn.models.NetworkOutput;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.neurons.Initialisation;
import snn.runtime.Device;
import snn.runtime.MachineInfo;
import snn.runtime.Tensors;
import snn.runtime.ThreadSettings;
import snn.runtime.TorchRuntime;

/**
 * Trains a {@link SpikingNetwork} with the papers' protocol (docs/specification.md section 8): Adam, cross-entropy,
 * learning-rate milestones with factor gamma where the best model so far is reloaded and a fresh Adam is created,
 * and model selection on validation accuracy when there is a validation split, else on the lowest training loss.
 *
 * <p>Writes {@code config.json}, {@code manifest.json}, {@code metrics.csv} (after every epoch), {@code model.pt}
 * (the selected model, whenever it changes), {@code training-state.pt} (for {@code --resume}) and
 * {@code summary.json} to the run folder, each atomically.
 *
 * <p><b>Data-parallel.</b> When this process joined a run of several ({@link Distributed#init}), every rank trains the
 * same network on its share of every batch ({@link BatchLoader.Share}), gradients are averaged over the ranks once
 * per step ({@link DataParallel}), and evaluations add up the ranks' counts, so that every rank takes the steps and
 * decisions a single process would. Rank 0 alone writes the run folder, prints progress and calls the listeners.
 */
public final class Trainer {

    private final ExperimentConfig config;
    private final DatasetSplits data;
    private final PrintStream log;
    private Progress progress;
    private final List<TrainingListener> listeners;

    /**
     * A trainer; nothing runs until {@link #fit(Path)} or {@link #resume(Path)}.
     *
     * @param config the experiment, validated
     * @param data   the splits {@code config.data()} describes (see {@link snn.data.Datasets#open})
     * @param log    where progress lines go, e.g. {@code System.out}
     */
    public Trainer(ExperimentConfig config, DatasetSplits data, PrintStream log) {
        this(config, data, log, List.of());
    }

    private Trainer(ExperimentConfig config, DatasetSplits data, PrintStream log, List<TrainingListener> listeners) {
        this.config = config;
        this.data = data;
        this.log = log;
        this.progress = new Progress(log);
        this.listeners = List.copyOf(listeners);
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
        return new Trainer(config, data, log, all);
    }

    /**
     * Initialises the runtime from the config's runtime section (threads, device) and seeds libtorch. The default
     * threads split the cores between the processes of a data-parallel run on this machine.
     */
    static void initRuntime(ExperimentConfig config) {
        ThreadSettings defaults = ThreadSettings.sharedBy(Distributed.group().localSize());
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
     * @throws TrainingException when the loss becomes non-finite (with {@code on_non_finite_loss = stop}) or a
     *                           result file cannot be written
     */
    public TrainingResult fit(Path runDir) {
        return run(runDir, false);
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
        return run(runDir, true);
    }

    private TrainingResult run(Path runDir, boolean resume) {
        ProcessGroup group = Distributed.group();
        boolean lead = group.leads();
        progress = new Progress(lead ? log : new PrintStream(OutputStream.nullOutputStream()));
        RunFolder run = new RunFolder(runDir);
        initRuntime(config);
        RunAgreement.check(group, config, data);
        SpikingNetwork net = Initialisation.seeded(config.seed(),
                () -> new SpikingNetwork(config.model(), data.train().channels(), data.train().classes()));
        TrainingConfig t = config.training();
        boolean selectOnValidation = data.validation() != null;
        String selection = selectOnValidation ? "validation_accuracy" : "train_loss";
        double lr = t.lr();
        Adam optimizer = newAdam(net, lr);
        Map<String, Tensor> best = new LinkedHashMap<>();
        double bestScore = Double.NEGATIVE_INFINITY;
        int bestEpoch = 0;
        int firstEpoch = 1;
        List<EpochMetrics> history = new ArrayList<>();
        if (resume) {
            TrainingState.Progress p = lead ? TrainingState.load(runDir, net, best, optimizer) : null;
            if (group.size() > 1) {
                byte[] state = group.broadcastBytes(lead ? TrainingState.bytes(runDir) : null, "the training state");
                if (!lead) {
                    p = TrainingState.load(state, "rank 0's " + TrainingState.FILE, net, best, optimizer);
                }
            }
            lr = p.learningRate();
            optimizer.param_groups().get(0).options().set_lr(lr);
            bestScore = p.bestScore();
            bestEpoch = p.bestEpoch();
            history.addAll(p.history());
            firstEpoch = p.epoch() + 1;
            progress.line(String.format(Locale.ROOT, "resuming %s after epoch %d of %d (lr %.3g, best epoch %d)",
                    runDir, p.epoch(), t.epochs(), lr, bestEpoch));
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("after_epoch", p.epoch());
            entry.put("time", Instant.now().toString());
            entry.putAll(provenance(net));
            if (lead) {
                run.recordResume(config, entry, manifest(net));
            }
        } else {
            if (t.initFrom() != null) {
                Checkpoints.loadInto(t.initFrom(), net); // on every rank; rank 0's values are broadcast below anyway
                progress.line("starting from the parameters of " + t.initFrom());
            }
            if (lead) {
                run.writeConfig(config);
                run.writeManifest(manifest(net));
            }
        }
        progress.line(String.format(Locale.ROOT, "training %s: %s on %s (%d train / %s validation / %d test samples)"
                + ", %s", config.name(), describe(config), data.train().name(), data.train().size(),
                data.validationSplit().map(v -> Integer.toString(v.size())).orElse("no"), data.test().size(),
                TorchRuntime.current().orElseThrow()));
        progress.line("kernels: " + net.kernelSelection().describe());
        if (group.size() > 1) {
            progress.line(String.format(Locale.ROOT, "data-parallel: %d processes on %s, %s; each takes its share of"
                    + " every batch of %d", group.size(), String.join(", ", new TreeSet<>(group.hosts())),
                    group.describe().get("backend"), t.batchSize()));
        }

        try (BatchLoader loader = new BatchLoader(data.train(), t.batchSize(), true, config.data().augment(),
                config.seed(), new BatchLoader.Share(group.rank(), group.size()));
                DataParallel parallel = new DataParallel(net, group)) {
            parallel.broadcastParameters();
            int batches = t.maxBatchesPerEpoch() == null ? loader.batchesPerEpoch()
                    : Math.min(t.maxBatchesPerEpoch(), loader.batchesPerEpoch());
            long totalBatches = (long) batches * (t.epochs() - firstEpoch + 1);
            for (int epoch = firstEpoch; epoch <= t.epochs(); epoch++) {
                EpochPass pass = trainEpoch(net, optimizer, parallel, loader, epoch, batches,
                        (long) (epoch - firstEpoch) * batches, totalBatches, runDir);
                double validation = selectOnValidation
                        ? Evaluator.evaluate(net, data.validation(), t.evalBatchSize(), group).accuracy() : Double.NaN;
                Evaluation test = Evaluator.evaluate(net, data.test(), t.evalBatchSize(), group);
                EpochMetrics m = new EpochMetrics(epoch, pass.loss, pass.accuracy, validation, test.accuracy(), lr,
                        test.spikesPerSample(), pass.forwardMs, pass.backwardMs, pass.seconds, pass.skippedBatches);
                history.add(m);
                if (lead) {
                    run.writeMetrics(history);
                }
                double score = selectOnValidation ? validation : -pass.loss;
                if (score > bestScore) {
                    bestScore = score;
                    bestEpoch = epoch;
                    best = snapshot(net);
                    if (lead) {
                        Checkpoints.save(net, config, run.model());
                    }
                }
                progress.line(String.format(Locale.ROOT, "epoch %d/%d: train loss %.4f, train acc %.2f%%,%s test acc"
                        + " %.2f%%, %.1f spikes/sample, %.1f ms/batch%s, %.1f s%s", epoch, t.epochs(), pass.loss,
                        100 * pass.accuracy, selectOnValidation ? String.format(Locale.ROOT, " validation acc %.2f%%,",
                                100 * validation) : "", 100 * test.accuracy(), test.totalSpikesPerSample(),
                        pass.forwardMs + pass.backwardMs, group.size() > 1 ? String.format(Locale.ROOT,
                                " (all-reduce %.1f)", parallel.takeMillisPerStep()) : "", pass.seconds,
                        bestEpoch == epoch ? " (best)" : ""));
                if (t.milestones().contains(epoch)) {
                    lr *= t.gamma();
                    if (t.reloadBestAtMilestone()) {
                        Parameters.load(net, best);
                        optimizer = newAdam(net, lr);
                        progress.line(String.format(Locale.ROOT, "milestone: reloaded epoch %d, fresh Adam at lr %.3g",
                                bestEpoch, lr));
                    } else {
                        optimizer.param_groups().get(0).options().set_lr(lr);
                    }
                }
                parallel.checkInSync("after epoch " + epoch);
                if (lead) {
                    TrainingState.save(runDir, net, best, optimizer,
                            new TrainingState.Progress(epoch, lr, bestEpoch, bestScore, List.copyOf(history)));
                    for (TrainingListener l : listeners) {
                        l.epochEnded(run, List.copyOf(history));
                    }
                }
            }
        } catch (DistributedException e) {
            throw new DistributedException(e.getMessage() + ". " + (history.isEmpty() ? "No epoch completed, so there"
                    + " is nothing to resume: start the run again" : "The last completed epoch (" + history.size()
                    + ") is saved in " + TrainingState.file(runDir) + ": continue with snn train --resume " + runDir
                    + ", with any number of processes"), e);
        }
        Parameters.load(net, best);
        Evaluation finalTest = Evaluator.evaluate(net, data.test(), t.evalBatchSize(), group);
        TrainingResult result = new TrainingResult(runDir, bestEpoch, selection, finalTest, List.copyOf(history));
        if (lead) {
            run.writeSummary(result);
            for (TrainingListener l : listeners) {
                l.finished(run, result);
            }
        }
        group.barrier("the end of training");
        progress.line(String.format(Locale.ROOT, "done: epoch %d selected by %s; test accuracy %.2f%%, %.1f spikes per"
                + " sample; results in %s", bestEpoch, selection, 100 * finalTest.accuracy(),
                finalTest.totalSpikesPerSample(), runDir));
        return result;
    }

    private record EpochPass(double loss, double accuracy, double forwardMs, double backwardMs, double seconds,
            int skippedBatches) {
    }

    private EpochPass trainEpoch(SpikingNetwork net, Adam optimizer, DataParallel parallel, BatchLoader loader,
            int epoch, int batches, long batchesBefore, long totalBatches, Path runDir) {
        ProcessGroup group = Distributed.group();
        net.train(true);
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        long forwardNs = 0;
        long backwardNs = 0;
        int skipped = 0;
        long start = System.nanoTime();
        Iterator<Batch> it = loader.epoch(epoch);
        progress.epochStart();
        for (int b = 1; b <= batches; b++) {
            try (PointerScope scope = new PointerScope()) {
                Batch batch = it.next();
                group.at("epoch " + epoch + ", batch " + b + "/" + batches);
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
                optimizer.zero_grad();
                if (loss != null && Float.isFinite(lossValue)) {
                    loss.backward();
                }
                DataParallel.Step step = parallel.reduce(batch.size(), lossValue, batchCorrect);
                if (!step.finite()) {
                    if (config.training().onNonFiniteLoss() == TrainingConfig.NonFiniteLoss.SKIP) {
                        skipped++;
                        continue;
                    }
                    throw new TrainingException(String.format(Locale.ROOT, "the loss became %s at epoch %d, batch %d;"
                            + " training stopped. %s Lower training.lr, check the input data, or set"
                            + " training.on_non_finite_loss to \"skip\".", step.lossSum() / step.samples(), epoch, b,
                            epoch > 1 ? "The last good state (after epoch " + (epoch - 1) + ") is "
                                    + TrainingState.file(runDir) + "; continue from it with --resume " + runDir + "."
                                    : "No epoch had completed, so nothing was saved."));
                }
                optimizer.step();
                long t2 = System.nanoTime();
                forwardNs += t1 - t0;
                backwardNs += t2 - t1;
                lossSum += step.lossSum();
                correct += step.correct();
                seen += step.samples();
                progress.batch(epoch, config.training().epochs(), b, batches, lossSum / seen, (double) correct / seen,
                        batchesBefore + b, totalBatches);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (skipped > 0) {
            progress.line(String.format(Locale.ROOT, "epoch %d: skipped %d of %d batches with a non-finite loss", epoch,
                    skipped, batches));
        }
        if (seen == 0) {
            throw new TrainingException("every batch of epoch " + epoch + " had a non-finite loss; check the input data"
                    + " and training.lr");
        }
        int used = batches - skipped;
        return new EpochPass(lossSum / seen, (double) correct / seen, forwardNs / 1e6 / used,
                backwardNs / 1e6 / used, seconds, skipped);
    }

    private static Adam newAdam(SpikingNetwork net, double lr) {
        return new Adam(net.parameters(), new AdamOptions(lr));
    }

    /** Copies of the current parameter values. */
    private static Map<String, Tensor> snapshot(SpikingNetwork net) {
        Map<String, Tensor> copy = new LinkedHashMap<>();
        Parameters.named(net).forEach((k, v) -> copy.put(k, v.detach().clone()));
        return copy;
    }

    private static String describe(ExperimentConfig c) {
        var m = c.model();
        return m.kind().name().toLowerCase(Locale.ROOT) + (m.d() != null ? " d=" + m.d() : "")
                + (m.recurrent() ? " recurrent" : "") + " " + m.hidden();
    }

    private Map<String, Object> manifest(SpikingNetwork net) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run", config.name());
        m.put("seed", config.seed());
        m.put("dataset", data.train().name());
        if (config.training().initFrom() != null) {
            m.put("init_from", Map.of("file", config.training().initFrom().toAbsolutePath().toString(),
                    "sha256", sha256(config.training().initFrom())));
        }
        m.putAll(provenance(net));
        return m;
    }

    /**
     * The dataset's files (with their checksums), the kernels that compute the dynamics, and this process's machine,
     * libraries and code version.
     */
    private Map<String, Object> provenance(SpikingNetwork net) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (config.data().root() != null) {
            m.put("dataset_root", config.data().root().toAbsolutePath().toString());
            m.put("dataset_files", datasetFiles(config.data().root()));
        }
        m.put("kernels", net.kernelSelection().isNative() ? "native" : "torch");
        m.put("kernels_detail", net.kernelSelection().describe());
        m.putAll(MachineInfo.describe());
        m.putAll(Distributed.group().describe());
        return m;
    }

    /**
     * SHA-256 of each file directly in the dataset folder; a subfolder (N-MNIST's Train/ and Test/) is summarised
     * by its file count, since hashing 70,000 files would delay every run.
     */
    private static Map<String, String> datasetFiles(Path root) {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> entries = Files.list(root)) {
            for (Path f : entries.toList()) {
                String name = f.getFileName().toString();
                if (Files.isDirectory(f)) {
                    try (Stream<Path> all = Files.walk(f)) {
                        files.put(name + "/", all.filter(Files::isRegularFile).count() + " files");
                    }
                } else if (Files.isRegularFile(f)) {
                    files.put(name, "sha256:" + sha256(f));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            files.put("(error)", "cannot list " + root + ": " + e.getMessage());
        }
        return files;
    }

    /** The SHA-256 of a file's content, in hex. */
    private static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
