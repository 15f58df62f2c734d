package snn.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.DatasetSplits;
import snn.training.DryRun;
import snn.training.Trainer;
import snn.training.TrainingException;

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

    @Option(names = "--out", description = "Run folder (default: <results_dir>/<name>).")
    Path out;

    @Option(names = "--force", description = "Overwrite the files of an existing run folder.")
    boolean force;

    @Option(names = "--kernels", paramLabel = "native|torch",
            description = "Neuron dynamics implementation: the fused native kernels or LibTorch ops (default: the"
                    + " config's model.kernels).")
    String kernels;

    @Option(names = "--dry-run", description = "Print shapes, a memory estimate and steps per epoch; do not train.")
    boolean dryRun;

    @Override
    public Integer call() {
        if (kernels != null) {
            overrides.add("model.kernels=\"" + kernels + "\"");
        }
        if ((config == null) == (resume == null)) {
            throw new TrainingException("give exactly one of --config FILE (a new run) or --resume RUN_DIR");
        }
        if (resume != null) {
            ExperimentConfig saved = ConfigLoader.load(resume.resolve("config.json"), overrides);
            new Trainer(saved, DataSources.open(saved), System.out).resume(resume);
            return 0;
        }
        ExperimentConfig experiment = ConfigLoader.load(config, overrides);
        if (dryRun) {
            System.out.print(DryRun.describe(experiment));
            return 0;
        }
        Path runDir = out != null ? out : Path.of(experiment.resultsDir(), experiment.name());
        if (!force && hasFiles(runDir)) {
            throw new TrainingException("run folder " + runDir + " already holds a run; choose another name"
                    + " (--set name=...), another folder (--out), or overwrite it with --force");
        }
        DatasetSplits data = DataSources.open(experiment);
        new Trainer(experiment, data, System.out).fit(runDir);
        return 0;
    }

    private static boolean hasFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.findAny().isPresent();
        } catch (IOException e) {
            return true;
        }
    }
}
