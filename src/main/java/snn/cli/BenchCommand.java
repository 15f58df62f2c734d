package snn.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import snn.bench.BenchConfig;
import snn.bench.BenchConfigLoader;
import snn.bench.BenchRunner;
import snn.bench.ResultFiles;
import snn.core.BenchException;
import snn.plots.BenchFigures;

/** {@code snn bench --config FILE [--out DIR] [--set key=value ...]}, or {@code snn bench --replot DIR}. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Times training steps of the standard, block and d-block networks on synthetic Poisson input"
                + " over the grid a config describes, and writes results.csv, results.json, manifest.json and"
                + " figures (PNG and SVG).",
                "Example: snn bench --config configs/bench_quick.json"})
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--config", description = "Benchmark config (JSON), e.g. configs/bench_quick.json.")
    Path config;

    @Option(names = "--replot", paramLabel = "DIR", description = "Redraw the figures of an earlier run folder from"
            + " its results.json, without measuring.")
    Path replot;

    @Option(names = "--out", description = "Output folder (default: <results_dir>/<name> from the config).")
    Path out;

    @Option(names = "--kernels", paramLabel = "auto|native|torch",
            description = "Run every sweep with these kernels only (shorthand for --set 'sweeps.*.kernels=[...]').")
    String kernels;

    @Option(names = "--set", description = "Override a config value, e.g. --set repeats=3 or"
            + " --set 'sweeps.*.batch=[16]' (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if ((config == null) == (replot == null)) {
            throw new BenchException("give either --config FILE (measure) or --replot DIR (redraw figures)");
        }
        if (replot != null) {
            List<Path> files = BenchFigures.write(ResultFiles.read(replot), replot.resolve("figures"));
            spec.commandLine().getOut().println("wrote " + files.size() + " figure files to " + replot.resolve("figures"));
            return 0;
        }
        if (kernels != null) {
            overrides.add("sweeps.*.kernels=[\"" + kernels + "\"]");
        }
        BenchConfig bench = BenchConfigLoader.load(config, overrides);
        Path dir = out != null ? out : BenchRunner.defaultOutDir(bench);
        BenchRunner.Result result = new BenchRunner(bench, config.toString(), overrides, dir, System.out).run();
        List<Path> files = BenchFigures.write(result.rows(), dir.resolve("figures"));
        spec.commandLine().getOut().println("wrote " + files.size() + " figure files to " + dir.resolve("figures"));
        return 0;
    }
}
