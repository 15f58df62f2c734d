package snn.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.function.ToDoubleFunction;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.config.ModelConfig;
import snn.core.BenchException;
import snn.models.SpikingNetwork;
import snn.nativekernels.NativeKernels;
import snn.runtime.Device;
import snn.runtime.ThreadSettings;
import snn.runtime.TorchRuntime;

/**
 * Runs a benchmark config: for every point of the grid, builds each method's network with the training code
 * ({@link SpikingNetwork}), times its training steps on one synthetic Poisson batch, and writes
 * {@code results.csv}, {@code results.json} and {@code manifest.json} into the output folder (the figures are
 * drawn from the rows by {@code snn.plots.BenchFigures}). The result files are rewritten after every point, so an
 * interrupted run keeps what it measured.
 *
 * <p>Protocol (docs/specification.md section 9): per point, {@code warmup} untimed steps of every method, then
 * {@code repeats} timed steps, the methods interleaved round-robin with the starting method rotating each round,
 * so that load from other processes hits all methods alike; then one more untimed step per method for the peak
 * memory.
 */
public final class BenchRunner {

    /** Steps of each method run once per process before any timing (JIT compilation, kernel set-up). */
    static final int PROCESS_WARMUP_STEPS = 10;

    private final BenchConfig config;
    private final String configSource;
    private final List<String> overrides;
    private final Path outDir;
    private final PrintStream progress;

    /**
     * What a run produced.
     *
     * @param outDir the run's folder
     * @param rows   every measured row, point by point
     */
    public record Result(Path outDir, List<BenchRow> rows) {
    }

    /**
     * A runner; nothing is measured until {@link #run()}.
     *
     * @param config       the validated benchmark config
     * @param configSource the config's file name, for the manifest
     * @param overrides    the {@code --set} overrides applied, for the manifest
     * @param outDir       the run's folder
     * @param progress     where progress lines go
     */
    public BenchRunner(BenchConfig config, String configSource, List<String> overrides, Path outDir,
            PrintStream progress) {
        this.config = config;
        this.configSource = configSource;
        this.overrides = List.copyOf(overrides);
        this.outDir = outDir;
        this.progress = progress;
    }

    /**
     * The default output folder of a config.
     *
     * @param config the benchmark config
     * @return {@code <results_dir>/<name>}
     */
    public static Path defaultOutDir(BenchConfig config) {
        return Path.of(config.resultsDir()).resolve(config.name());
    }

    /**
     * Measures every point, writing results as it goes. Initialises the runtime on the CPU with the config's threads.
     *
     * @return the folder and the rows
     * @throws IOException when a result file cannot be written; the manifest then records the error
     */
    public Result run() throws IOException {
        ThreadSettings defaults = ThreadSettings.defaults();
        ThreadSettings threads = new ThreadSettings(
                config.runtime().torchThreads() != null ? config.runtime().torchThreads() : defaults.torchThreads(),
                config.runtime().blasThreads() != null ? config.runtime().blasThreads() : defaults.blasThreads());
        TorchRuntime.Report runtime = TorchRuntime.init(threads, Device.CPU);
        try (NativeKernels.DenormalMode denormals = NativeKernels.flushDenormals(config.runtime().flushesDenormals())) {
            return run(runtime, denormals);
        }
    }

    private Result run(TorchRuntime.Report runtime, NativeKernels.DenormalMode denormals) throws IOException {
        List<Grid.Planned> plan = Grid.expand(config, BenchRunner::resolve);
        int runs = plan.stream().mapToInt(p -> p.variants().size()).sum();
        progress.printf(Locale.ROOT, "snn bench %s: %d points, %d method runs of %d warm-up + %d timed steps; %s%n",
                config.name(), plan.size(), runs, config.warmup(), config.repeats(), runtime);
        progress.println("output: " + outDir.toAbsolutePath());
        progress.println("denormals: " + (config.runtime().flushesDenormals() ? "flushed to zero by "
                + denormals.threads() + " of LibTorch's threads"
                : "kept (IEEE 754 gradual underflow) by LibTorch's threads") + "; the native kernels flush them in"
                + " their calls either way");
        for (ModelConfig.Kernels requested : plan.stream().flatMap(p -> p.variants().stream())
                .map(Variant::kernels).distinct().toList()) {
            progress.println("kernels: " + NativeKernels.choose(requested, Device.CPU).describe());
        }

        Manifest manifest = new Manifest(config, configSource, overrides, runtime);
        manifest.write(outDir);
        PeakMemory memory = PeakMemory.probe().orElse(null);
        if (memory == null) {
            progress.println("peak memory: not measurable here (needs Linux /proc/self/clear_refs); column left empty");
        }
        List<BenchRow> rows = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        String error = null;
        try {
            warmUpProcess(plan);
            long start = System.nanoTime();
            for (int i = 0; i < plan.size(); i++) {
                Grid.Planned planned = plan.get(i);
                List<BenchRow> pointRows = measure(i, planned, memory);
                rows.addAll(pointRows);
                planned.skipped().forEach(s -> skipped.add("point " + planned.point().describe() + ": " + s));
                ResultFiles.write(outDir, config.name(), rows, skipped);
                progress.println(progressLine(i, plan.size(), planned.point(), pointRows, start));
                progress.print(partsTable(pointRows));
            }
        } catch (RuntimeException | IOException e) {
            error = e.toString();
            throw e;
        } finally {
            manifest.finish(error);
            manifest.write(outDir);
        }
        progress.println("wrote " + ResultFiles.CSV + ", " + ResultFiles.JSON + " and " + Manifest.FILE + " to "
                + outDir);
        return new Result(outDir, List.copyOf(rows));
    }

    /** {@code auto} as what it gives here: {@code native} where the library serves the CPU, else {@code torch}. */
    private static ModelConfig.Kernels resolve(ModelConfig.Kernels requested) {
        if (requested != ModelConfig.Kernels.AUTO) {
            return requested;
        }
        return NativeKernels.choose(requested, Device.CPU).isNative() ? ModelConfig.Kernels.NATIVE
                : ModelConfig.Kernels.TORCH;
    }

    /**
     * Compiles the Java side (JIT) and initialises libtorch's kernels before anything is timed: a few steps of each
     * method the plan uses, on a tiny copy of its first point. Per-point warm-up then only has to absorb
     * shape-specific set-up.
     */
    @SuppressWarnings("try") // the scope frees the tensors made in its body
    private void warmUpProcess(List<Grid.Planned> plan) {
        if (plan.isEmpty()) {
            return;
        }
        BenchPoint p = plan.get(0).point();
        BenchPoint tiny = new BenchPoint(2, 16, 8, 1, 16, p.recurrent(), p.perNeuronBeta(), p.learnBeta(),
                p.inputRate(), p.standardSingleSpike(), p.scope(), p.classes(), java.util.Map.of());
        List<Variant> variants = plan.stream().flatMap(x -> x.variants().stream())
                .map(v -> v.d() == null ? v : new Variant(v.method(), 2, v.kernels())).distinct().toList();
        try (PointerScope scope = new PointerScope()) {
            List<MethodHarness> harnesses = harnesses(tiny, variants, config.seed());
            for (int i = 0; i < PROCESS_WARMUP_STEPS; i++) {
                harnesses.forEach(MethodHarness::step);
            }
        }
    }

    /**
     * One harness per variant, on one shared input batch, parameters initialised from {@code seed}; each network
     * calibrated to its method's target rate where the point has one.
     */
    private List<MethodHarness> harnesses(BenchPoint p, List<Variant> variants, long seed) {
        Tensor input = p.inputRate() == null ? PoissonInput.spikes(p.batch(), p.nIn(), p.tLen())
                : PoissonInput.atRate(p.batch(), p.nIn(), p.tLen(), p.inputRate());
        Tensor labels = p.scope() == BenchConfig.Scope.NETWORK ? PoissonInput.labels(p.batch(), p.classes()) : null;
        List<MethodHarness> harnesses = new ArrayList<>(variants.size());
        for (Variant v : variants) {
            torch.manual_seed(seed);
            SpikingNetwork network = new SpikingNetwork(v.model(p), p.nIn(), Math.max(2, p.classes()));
            if (v.kernels() == ModelConfig.Kernels.NATIVE && !network.kernelSelection().isNative()) {
                throw new BenchException("kernels \"native\" requested, but the network runs LibTorch ops ("
                        + network.kernelSelection().reason() + "); build the native kernels (mvn package with a C"
                        + " compiler) or measure kernels [\"auto\"] or [\"torch\"]");
            }
            Double target = p.target(v.method());
            if (target != null) {
                RateCalibration.Result calibrated = RateCalibration.calibrate(network, input, target, v.label());
                progress.println("  calibrated " + v.label() + " to " + BenchRow.number(target)
                        + " spikes per sample per hidden layer: " + calibrated.describe());
            }
            harnesses.add(new MethodHarness(network, p.scope(), input, labels));
        }
        return harnesses;
    }

    @SuppressWarnings("try") // the scope frees the point's models and input
    private List<BenchRow> measure(int index, Grid.Planned planned, PeakMemory memory) {
        BenchPoint p = planned.point();
        List<Variant> variants = planned.variants();
        int k = variants.size();
        try (PointerScope pointScope = new PointerScope()) {
            torch.manual_seed(config.seed() + 1 + index);
            List<MethodHarness> harnesses = harnesses(p, variants, config.seed());
            for (int w = 0; w < config.warmup(); w++) {
                harnesses.forEach(MethodHarness::step);
            }
            int n = config.repeats();
            MethodHarness.Step[][] steps = new MethodHarness.Step[k][n];
            CopyPass copy = new CopyPass(p.batch(), p.hidden(), p.tLen());
            double[] copyMs = new double[n];
            for (int r = 0; r < n; r++) {
                copyMs[r] = copy.run();
                for (int j = 0; j < k; j++) {
                    int m = (r + j) % k;
                    steps[m][r] = harnesses.get(m).step();
                }
            }
            Double[] peak = new Double[k];
            for (int m = 0; m < k; m++) {
                MethodHarness h = harnesses.get(m);
                OptionalDouble mb = memory == null ? OptionalDouble.empty() : memory.growthMb(h::step);
                peak[m] = mb.isPresent() ? mb.getAsDouble() : null;
            }
            double bytesPerSecond = copy.bytes() / (Stats.of(copyMs).median() / 1e3);
            Variant baselineVariant = Variant.of(config.baseline(), BenchRunner::resolve);
            int baseline = variants.indexOf(baselineVariant);
            List<BenchRow> rows = new ArrayList<>(k);
            for (int m = 0; m < k; m++) {
                Variant v = variants.get(m);
                int ref = variants.indexOf(Variant.standard(v.kernels()));
                MethodHarness.Step[] s = steps[m];
                Stats f = stat(s, MethodHarness.Step::forwardMs);
                Stats b = stat(s, MethodHarness.Step::backwardMs);
                Stats step = stat(s, MethodHarness::stepMs);
                boolean fused = s[0].projectionFused();
                double floorMs = v.dynamicsFloorBytes(p, fused, fused ? harnesses.get(m).inputEvents() : -1)
                        / bytesPerSecond * 1e3;
                double dynamics = stat(s, MethodHarness.Step::dynamicsMs).median();
                rows.add(new BenchRow(index, v.methodName(), v.d(), harnesses.get(m).kernels(),
                        p.batch(), p.nIn(), p.hidden(), p.layers(), p.tLen(), v.recurrentAt(p), p.perNeuronBeta(),
                        p.learnBeta(), p.scope().name().toLowerCase(Locale.ROOT), p.input(), p.baseline(), n,
                        f.median(), f.iqr(), b.median(), b.iqr(), stat(s, MethodHarness.Step::optimizerMs).median(),
                        step.median(), step.iqr(), stat(s, MethodHarness.Step::projectionMs).median(), dynamics,
                        stat(s, MethodHarness.Step::readoutMs).median(), stat(s, MethodHarness.Step::lossMs).median(),
                        fused, floorMs, dynamics / floorMs, bytesPerSecond / 1e9,
                        ratio(steps, ref, m, MethodHarness.Step::forwardMs),
                        ratio(steps, ref, m, MethodHarness.Step::backwardMs),
                        ratio(steps, ref, m, MethodHarness::stepMs), baselineVariant.label(),
                        baseline < 0 ? null : (Double) ratio(steps, baseline, m, MethodHarness::stepMs), peak[m],
                        Arrays.stream(s).mapToDouble(MethodHarness.Step::spikesPerSample).average().orElse(0),
                        layerMeans(s), p.target(v.method())));
            }
            return rows;
        }
    }

    /** Each hidden layer's spikes per sample, mean over the steps. */
    private static List<Double> layerMeans(MethodHarness.Step[] steps) {
        int layers = steps[0].layerSpikes().length;
        List<Double> means = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            int layer = l;
            means.add(Arrays.stream(steps).mapToDouble(x -> x.layerSpikes()[layer]).average().orElse(0));
        }
        return List.copyOf(means);
    }

    private static Stats stat(MethodHarness.Step[] steps, ToDoubleFunction<MethodHarness.Step> part) {
        return Stats.of(Arrays.stream(steps).mapToDouble(part).toArray());
    }

    /** The median of {@code of}'s part over {@code over}'s: a speed-up of {@code over} against {@code of}. */
    private static double ratio(MethodHarness.Step[][] steps, int of, int over,
            ToDoubleFunction<MethodHarness.Step> part) {
        return stat(steps[of], part).median() / stat(steps[over], part).median();
    }

    private static String progressLine(int i, int total, BenchPoint p, List<BenchRow> rows, long startNanos) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "[%" + Integer.toString(total).length()
                + "d/%d] %s |", i + 1, total, p.describe()));
        for (BenchRow r : rows) {
            sb.append(String.format(Locale.ROOT, " %s %s %.2f ms", r.method() + (r.d() != null ? " d=" + r.d() : ""),
                    r.kernels(), r.stepMs()));
            if (r.speedupVsBaseline() != null && Math.abs(r.speedupVsBaseline() - 1) > 1e-12) {
                sb.append(String.format(Locale.ROOT, " (x%.2f)", r.speedupVsBaseline()));
            }
            sb.append(" |");
        }
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        double left = elapsed / (i + 1) * (total - i - 1);
        sb.append(String.format(Locale.ROOT, " %s elapsed, ~%s left", clock(elapsed), clock(left)));
        return sb.toString();
    }

    /**
     * The per-part table of a point, one line per row: where each step's time goes, the dynamics against their
     * floor, and the step's peak resident growth.
     */
    static String partsTable(List<BenchRow> rows) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "      %-22s %9s %9s %9s %9s %9s %9s %9s %8s %9s %9s  %s%n", "variant", "step", "project",
                "dynamics", "readout", "loss", "optim", "floor", "x floor", "vs base", "peak MB",
                "spikes/sample per layer"));
        for (BenchRow r : rows) {
            sb.append(String.format(Locale.ROOT,
                    "      %-22s %9.2f %9s %9.2f %9.2f %9.2f %9.2f %9.2f %8.1f %9s %9s  %s%n",
                    r.method() + (r.d() != null ? " d=" + r.d() : "") + " " + r.kernels(), r.stepMs(),
                    r.projectionFused() && r.projectionMs() == 0 ? "fused" : String.format(Locale.ROOT, "%.2f",
                            r.projectionMs()), r.dynamicsMs(), r.readoutMs(), r.lossMs(), r.optimizerMs(),
                    r.dynamicsFloorMs(), r.dynamicsOverFloor(), r.speedupVsBaseline() == null ? "-"
                            : String.format(Locale.ROOT, "x%.2f", r.speedupVsBaseline()),
                    r.peakRssMb() == null ? "-" : String.format(Locale.ROOT, "%.1f", r.peakRssMb()),
                    String.join(" ", r.spikesPerLayer().stream().map(x -> String.format(Locale.ROOT, "%.1f", x))
                            .toList()) + (r.targetSpikes() == null ? "" : " (target " + BenchRow.number(
                                    r.targetSpikes()) + ")")));
        }
        return sb.toString();
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
