package snn.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.SpikeDataset;
import snn.models.Inference;
import snn.models.SpikingNetwork;
import snn.plots.RasterFigure;
import snn.plots.TrainingFigures;
import snn.training.RunEvaluation;
import snn.training.RunFolder;

/** {@code snn plot curves|compare|raster}: figures of training runs, as PNG and SVG. */
@Command(name = "plot", mixinStandardHelpOptions = true, description = "Draws figures of training runs (PNG and SVG).",
        subcommands = {PlotCommand.Curves.class, PlotCommand.Compare.class, PlotCommand.Raster.class})
final class PlotCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static void report(CommandSpec spec, List<Path> files) {
        files.forEach(f -> spec.commandLine().getOut().println("wrote " + f));
    }

    @Command(name = "curves", mixinStandardHelpOptions = true,
            description = "Accuracy and loss per epoch of a run, into RUN_DIR/figures.")
    static final class Curves implements Callable<Integer> {

        @Spec
        CommandSpec spec;
        @Option(names = "--run", required = true, paramLabel = "RUN_DIR")
        Path run;

        @Override
        public Integer call() throws IOException {
            RunFolder folder = RunFolder.open(run);
            report(spec, TrainingFigures.curves(folder, folder.figures()));
            return 0;
        }
    }

    @Command(name = "compare", mixinStandardHelpOptions = true,
            description = "Test accuracy against time per batch and against spikes per sample, across runs.")
    static final class Compare implements Callable<Integer> {

        @Spec
        CommandSpec spec;
        @Parameters(arity = "1..*", paramLabel = "RUN_DIR")
        List<Path> runs;

        @Option(names = "--out", required = true, paramLabel = "DIR")
        Path out;

        @Override
        public Integer call() throws IOException {
            runs.forEach(RunFolder::open);
            report(spec, TrainingFigures.comparison(runs, out));
            return 0;
        }
    }

    @Command(name = "raster", mixinStandardHelpOptions = true,
            description = "Input spikes, hidden spikes and readout membranes of one test sample, into RUN_DIR/figures.")
    static final class Raster implements Callable<Integer> {

        @Spec
        CommandSpec spec;
        @Option(names = "--run", required = true, paramLabel = "RUN_DIR")
        Path run;

        @Option(names = "--sample", defaultValue = "0", description = "Index in the test split (default 0).")
        int sample;

        @Override
        public Integer call() {
            ExperimentConfig config = ConfigLoader.load(RunFolder.open(run).file(RunFolder.CONFIG), List.of());
            SpikeDataset test = DataSources.open(config).test();
            SpikingNetwork net = RunEvaluation.selectedModel(run, config, test).network();
            Inference.Recording r = Inference.record(net, test, sample);
            try {
                report(spec, RasterFigure.write(r, String.format("%s, test sample %d (label %d, predicted %d)",
                        run.getFileName(), sample, test.label(sample), r.predicted()), run.resolve(RunFolder.FIGURES),
                        "raster_sample" + sample));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return 0;
        }
    }
}
