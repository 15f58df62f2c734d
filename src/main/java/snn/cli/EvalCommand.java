package snn.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.training.Evaluation;
import snn.training.RunEvaluation;

/** {@code snn eval --run DIR}: the selected model of a run on the test split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluates a run's selected model: test accuracy, spikes per sample per layer, confusion matrix.")
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--run", required = true, paramLabel = "RUN_DIR", description = "A run folder (results/<name>).")
    Path run;

    @Override
    public Integer call() {
        ExperimentConfig config = ConfigLoader.load(run.resolve("config.json"), java.util.List.of());
        Evaluation e = RunEvaluation.evaluate(run, config, DataSources.open(config).test());
        System.out.printf(Locale.ROOT, "test accuracy %.2f%%, loss %.4f%n", 100 * e.accuracy(), e.loss());
        for (int i = 0; i < e.spikesPerSample().size(); i++) {
            System.out.printf(Locale.ROOT, "hidden layer %d: %.1f spikes per sample%n", i, e.spikesPerSample().get(i));
        }
        System.out.println("confusion matrix (rows: label, columns: predicted):");
        for (long[] row : e.confusion()) {
            StringBuilder sb = new StringBuilder();
            for (long v : row) {
                sb.append(String.format(Locale.ROOT, "%6d", v));
            }
            System.out.println(sb);
        }
        return 0;
    }
}
