package snn.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;

/** {@code snn train --config FILE [--set key=value ...]}. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Trains a network as a config describes.")
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "Experiment config (JSON), e.g. configs/quickstart.json.")
    Path config;

    @Option(names = "--set", description = "Override a config value, e.g. --set training.epochs=3 (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() {
        ExperimentConfig experiment = ConfigLoader.load(config, overrides);
        System.out.println("config " + config + " is valid: " + experiment.name());
        return 0;
    }
}
