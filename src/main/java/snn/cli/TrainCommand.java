package snn.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import com.fasterxml.jackson.databind.node.TextNode;

import snn.api.Snn;
import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.TrainingException;
import snn.data.DatasetSplits;
import snn.training.DryRun;
import snn.training.RunFolder;

/** {@code snn train --config FILE [--set key=value ...]}. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Trains a network as a config describes.")
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--config", description = "Experiment config (JSON), e.g. configs/quickstart.json.")
    Path config;

    @Option(names = "--resume", paramLabel = "RUN_DIR",
            description = "Continue the run in RUN_DIR from its last completed epoch, with its saved config.")
    Path resume;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a config value, e.g. --set training.epochs=3 (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--out", description = "Run folder (default: <results_dir>/<name>, or <name>-2, <name>-3, ... when"
            + " that holds an earlier run).")
    Path out;

    @Option(names = "--force", description = "Write into <results_dir>/<name> (or --out) even when it holds an earlier"
            + " run, replacing its files.")
    boolean force;

    @Option(names = "--kernels", paramLabel = "auto|native|torch",
            description = "Neuron dynamics implementation: auto (the fused native kernels where built, else LibTorch"
                    + " ops), native or torch (default: the config's model.kernels, itself auto by default).")
    String kernels;

    @Option(names = "--init", paramLabel = "CHECKPOINT",
            description = "Start from this checkpoint's parameters (fine-tuning; e.g. a network imported from NIR)"
                    + " instead of a random initialisation: shorthand for --set training.init_from=CHECKPOINT.")
    Path init;

    @Option(names = "--dry-run", description = "Print shapes, a memory estimate and steps per epoch; do not train.")
    boolean dryRun;

    @Override
    public Integer call() {
        if (kernels != null) {
            overrides.add("model.kernels=\"" + kernels + "\"");
        }
        if (init != null) {
            overrides.add("training.init_from=" + TextNode.valueOf(init.toString()));
        }
        if ((config == null) == (resume == null)) {
            throw new TrainingException("give exactly one of --config FILE (a new run) or --resume RUN_DIR");
        }
        if (resume != null) {
            RunFolder run = RunFolder.open(resume);
            ExperimentConfig saved = ConfigLoader.load(run.file(RunFolder.CONFIG), overrides);
            Snn.training(saved).resume(run.dir());
            return 0;
        }
        ExperimentConfig experiment = ConfigLoader.load(config, overrides);
        if (dryRun) {
            System.out.print(DryRun.describe(experiment));
            return 0;
        }
        DatasetSplits data = DataSources.open(experiment);
        Path named = Path.of(experiment.resultsDir(), experiment.name());
        RunFolder run = out != null ? RunFolder.overwrite(out, force)
                : force ? RunFolder.overwrite(named, true)
                : RunFolder.claim(Path.of(experiment.resultsDir()), experiment.name());
        System.out.println("run folder: " + run.dir() + (run.dir().equals(named) || out != null ? ""
                : " (" + named + " holds an earlier run)"));
        Snn.training(experiment).data(data).fit(run.dir());
        return 0;
    }
}
