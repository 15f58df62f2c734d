package snn.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.interop.Checkpoints;
import snn.nativekernels.NativeKernels;
import snn.runtime.Device;
import snn.data.SpikeDataset;
import snn.training.Evaluation;
import snn.training.Evaluator;
import snn.training.RunEvaluation;
import snn.training.RunFolder;

/** {@code snn eval --run DIR}: the selected model of a run on the test split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluates a run's selected model: test accuracy, spikes per sample per layer, confusion matrix.")
final class EvalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--run", paramLabel = "RUN_DIR", description = "A run folder (results/<name>): its selected model,"
            + " model.pt, checked before use.")
    Path run;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "A checkpoint snn wrote (model.pt, an export) or a state dict Python saved.")
    Path checkpoint;

    @Option(names = "--config", paramLabel = "FILE",
            description = "With --checkpoint: the config whose data and model to use (default: the checkpoint's own).")
    Path config;

    @Override
    public Integer call() {
        Evaluation e;
        if (run != null && checkpoint == null && config == null) {
            ExperimentConfig saved = ConfigLoader.load(RunFolder.open(run).file(RunFolder.CONFIG), java.util.List.of());
            SpikeDataset test = DataSources.open(saved).test();
            RunEvaluation.SelectedModel model = RunEvaluation.selectedModel(run, saved, test);
            spec.commandLine().getOut().println(model.describe());
            spec.commandLine().getOut().println("kernels: " + model.network().kernelSelection().describe());
            e = Evaluator.evaluate(model.network(), test, saved.training().evalBatchSize());
        } else if (run == null && checkpoint != null) {
            ExperimentConfig cfg = config != null ? ConfigLoader.load(config, java.util.List.of())
                    : Checkpoints.load(checkpoint).config();
            printKernels(cfg);
            e = RunEvaluation.evaluateCheckpoint(checkpoint, cfg, DataSources.open(cfg).test());
        } else {
            throw new snn.core.TrainingException("give --run RUN_DIR, or --checkpoint FILE [--config FILE]");
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "test accuracy %.2f%%, loss %.4f%n", 100 * e.accuracy(), e.loss());
        for (int i = 0; i < e.spikesPerSample().size(); i++) {
            spec.commandLine().getOut().printf(Locale.ROOT, "hidden layer %d: %.1f spikes per sample%n", i, e.spikesPerSample().get(i));
        }
        printConfusion(spec.commandLine().getOut(), e.confusion());
        return 0;
    }

    /** Prints a confusion matrix {@code [label][predicted]} as {@code snn eval} does. */
    static void printConfusion(java.io.PrintWriter out, long[][] confusion) {
        out.println("confusion matrix (rows: label, columns: predicted):");
        for (long[] row : confusion) {
            StringBuilder sb = new StringBuilder();
            for (long v : row) {
                sb.append(String.format(Locale.ROOT, "%6d", v));
            }
            out.println(sb);
        }
    }

    private void printKernels(ExperimentConfig config) {
        spec.commandLine().getOut().println("kernels: " + NativeKernels.choose(config.model().kernels(),
                Device.parse(config.runtime().device())).describe());
    }
}
