package snn.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.core.JsonProcessingException;

import snn.api.Snn;
import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.DistributedException;
import snn.core.TrainingException;
import snn.data.DatasetSplits;
import snn.distributed.Distributed;
import snn.distributed.DistributedEnv;
import snn.distributed.ProcessGroup;
import snn.interop.Checkpoints;
import snn.training.DryRun;
import snn.training.RunFolder;
import snn.training.StopSignal;

/** {@code snn train --config FILE [--set key=value ...]}. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Trains a network as a config describes.")
final class TrainCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--config", description = "Experiment config (JSON), e.g. configs/quickstart.json.")
    Path config;

    @Option(names = "--resume", paramLabel = "RUN_DIR",
            description = "Continue the run in RUN_DIR from its last completed epoch, with its saved config.")
    Path resume;

    @Option(names = "--from-epoch", paramLabel = "N", description = "With --resume: continue from the state kept for"
            + " epoch N (in RUN_DIR/checkpoints/, written with training.checkpoint_every) instead of the last completed"
            + " epoch; the epochs after N are trained again.")
    Integer fromEpoch;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a config value, e.g. --set training.epochs=3 (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--out", description = "Run folder (default: <results_dir>/<name>, or <name>-2, <name>-3, ... when"
            + " that holds an earlier run).")
    Path out;

    @Option(names = "--force", description = "Write into <results_dir>/<name> (or --out) even when it holds an earlier"
            + " run, replacing its files; never while another training writes there (it is refused, naming that"
            + " training's process).")
    boolean force;

    @Option(names = "--kernels", paramLabel = "auto|native|torch",
            description = "Neuron dynamics implementation: auto (the fused native kernels where built, else LibTorch"
                    + " ops), native or torch (default: the config's model.kernels, itself auto by default).")
    String kernels;

    @Option(names = "--init", paramLabel = "CHECKPOINT",
            description = "Start from this checkpoint's parameters (fine-tuning; e.g. a network imported from NIR)"
                    + " instead of a random initialisation: shorthand for --set training.init_from=CHECKPOINT.")
    Path init;

    @Option(names = "--as-lif", paramLabel = "subtract|zero", description = "With --init: train the checkpoint's"
            + " network as a standard multi-spike LIF network with this reset (zero: NIR's LIF), starting from its"
            + " weights and decays: the way from a block or d-block network to one that LIF hardware runs. The config"
            + " is --config's, or the one stored in the checkpoint, with model.kind standard; the run is named"
            + " <name>_lif. --set overrides apply after the conversion.")
    String asLif;

    @Option(names = "--dry-run", description = "Print shapes, a memory estimate and steps per epoch; do not train.")
    boolean dryRun;

    @Option(names = "--nproc", paramLabel = "N", description = "Train data-parallel in N worker processes on this"
            + " machine, as torchrun --nproc-per-node N does (default: this process alone). Leave it out under a"
            + " launcher that sets RANK and WORLD_SIZE itself (torchrun, srun): see docs/distributed.md.")
    Integer nproc;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300", description = "Distributed runs: how"
            + " long a rank waits for the others (to join, to reach the same step) before it stops with an error"
            + " naming the missing rank (default: ${DEFAULT-VALUE}).")
    int timeout;

    @Override
    public Integer call() {
        if (kernels != null) {
            overrides.add("model.kernels=\"" + kernels + "\"");
        }
        if (init != null) {
            overrides.add("training.init_from=" + TextNode.valueOf(init.toString()));
        }
        if (asLif != null && (init == null || resume != null)) {
            throw new TrainingException("--as-lif converts the network of --init CHECKPOINT: give --init (and not"
                    + " --resume)");
        }
        if (asLif != null && !asLif.equals("subtract") && !asLif.equals("zero")) {
            throw new TrainingException("--as-lif expects subtract or zero, got '" + asLif + "'");
        }
        if ((config == null) == (resume == null) && asLif == null) {
            throw new TrainingException("give exactly one of --config FILE (a new run) or --resume RUN_DIR");
        }
        if (fromEpoch != null && (resume == null || fromEpoch < 1)) {
            throw new TrainingException(resume == null ? "--from-epoch goes with --resume RUN_DIR"
                    : "--from-epoch expects an epoch >= 1, got " + fromEpoch);
        }
        if (timeout < 1) {
            throw new DistributedException("--timeout expects at least 1 second, got " + timeout);
        }
        if (nproc != null && nproc < 1) {
            throw new DistributedException("--nproc expects at least 1 process, got " + nproc);
        }
        if (nproc != null && nproc > 1 && !dryRun) {
            return WorkerLaunch.run(this, nproc);
        }
        DistributedEnv env = DistributedEnv.fromEnvironment();
        if (!env.distributed()) {
            StopSignal stop = StopSignals.onInterrupt();
            try {
                return train(ProcessGroup.single(), resume, stop);
            } finally {
                StopSignals.restore();
            }
        }
        ProcessGroup group = Distributed.init(env, Duration.ofSeconds(timeout));
        try {
            // Ranks stop together only when one fails (their supervisor stops them all): no stop signal of their own.
            return train(group, restarted(group, env) ? out : resume, new StopSignal());
        } catch (RuntimeException e) {
            group.fail(e);
            throw e;
        } finally {
            Distributed.shutdown();
        }
    }

    /**
     * Whether this is a worker group that a launcher restarted ({@code TORCHELASTIC_RESTART_COUNT} &gt; 0, as
     * {@code torchrun --max-restarts} does with the same arguments) for a run whose {@code --out} folder holds a
     * training state: then it resumes that run rather than starting it again. Rank 0, which wrote the folder, decides.
     */
    private boolean restarted(ProcessGroup group, DistributedEnv env) {
        if (env.restartCount() == 0 || resume != null || out == null) {
            return false;
        }
        boolean resumable = group.leads() && Files.isRegularFile(new RunFolder(out).state());
        return Boolean.parseBoolean(group.fromRankZero("restart_resumes", group.leads() ? Boolean.toString(resumable)
                : null));
    }

    /**
     * Trains as rank {@code group.rank()}: rank 0 reads and claims the run folder, the others get what they need.
     *
     * @param resume the run to resume, or null for a new run
     * @param stop   stops the training when set
     */
    private Integer train(ProcessGroup group, Path resume, StopSignal stop) {
        boolean lead = group.leads();
        if (resume != null) {
            ExperimentConfig saved = lead ? ConfigLoader.load(RunFolder.open(resume).file(RunFolder.CONFIG), overrides)
                    : null;
            if (!lead) {
                saved = ConfigLoader.parse(group.fromRankZero("config", null), List.of(),
                        "rank 0's " + resume.resolve(RunFolder.CONFIG));
            } else if (group.size() > 1) {
                group.fromRankZero("config", json(saved));
            }
            Snn.Training training = Snn.training(saved).stopOn(stop);
            if (fromEpoch != null) {
                training.resume(resume, fromEpoch);
            } else {
                training.resume(resume);
            }
            return 0;
        }
        ExperimentConfig experiment = experiment();
        if (dryRun) {
            spec.commandLine().getOut().print(DryRun.describe(experiment));
            return 0;
        }
        DatasetSplits data = DataSources.open(experiment);
        Path dir = Path.of(group.fromRankZero("run_dir", lead ? claim(experiment).dir().toString() : null));
        try {
            Snn.training(experiment).data(data).stopOn(stop).fit(dir);
        } catch (RuntimeException e) {
            if (lead) {
                new RunFolder(dir).releaseIfEmpty();
            }
            throw e;
        }
        return 0;
    }

    /** {@return the config of a new run: --config's (or, with --as-lif, the converted one) with the overrides} */
    ExperimentConfig experiment() {
        return asLif != null ? asLif() : ConfigLoader.load(config, overrides);
    }

    /**
     * {@code --as-lif}: the config (--config's, else the checkpoint's own) with its network made a standard
     * multi-spike LIF network with the asked reset and its name suffixed {@code _lif}; then the --set overrides.
     */
    private ExperimentConfig asLif() {
        String json;
        String source;
        if (config != null) {
            source = config.toString();
            try {
                json = Files.readString(config);
            } catch (java.io.IOException e) {
                return ConfigLoader.load(config, overrides); // reports the unreadable file as --config always does
            }
        } else {
            source = init + " (stored config)";
            json = json(Checkpoints.load(init).config());
        }
        String name;
        try {
            name = ConfigLoader.mapper().readTree(json).path("name").asText("run");
        } catch (JsonProcessingException e) {
            return ConfigLoader.parse(json, overrides, source); // reports the syntax error
        }
        List<String> all = new ArrayList<>(List.of("name=" + TextNode.valueOf(name + "_lif"),
                "model.kind=\"standard\"", "model.d=null", "model.single_spike=false",
                "model.reset=\"" + asLif + "\""));
        all.addAll(overrides);
        return ConfigLoader.parse(json, all, source);
    }

    /**
     * The folder of a new run of {@code experiment}, as the options ask for it: {@code --out}, or the experiment's
     * name under its results folder, numbered when that holds an earlier run, or replaced with {@code --force}.
     */
    RunFolder claim(ExperimentConfig experiment) {
        Path named = Path.of(experiment.resultsDir(), experiment.name());
        RunFolder run = out != null ? RunFolder.overwrite(out, force)
                : force ? RunFolder.overwrite(named, true)
                : RunFolder.claim(Path.of(experiment.resultsDir()), experiment.name());
        spec.commandLine().getOut().println("run folder: " + run.dir() + (run.dir().equals(named) || out != null ? ""
                : " (" + named + " holds an earlier run)"));
        return run;
    }

    private static String json(ExperimentConfig config) {
        try {
            return ConfigLoader.mapper().writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a validated config that is not JSON: " + e.getMessage(), e);
        }
    }
}
