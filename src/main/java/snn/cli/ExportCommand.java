package snn.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.InteropException;
import snn.interop.Checkpoint;
import snn.interop.Checkpoints;
import snn.interop.ExportFormat;
import snn.interop.Exporter;
import snn.interop.Layout;
import snn.interop.nir.NirExporter;
import snn.interop.nir.NirFile;
import snn.runtime.TorchRuntime;

/**
 * {@code snn export --checkpoint FILE --format torch|safetensors|nir [--layout snn|reference] [--dt SECONDS]
 * [--approximate [--config FILE] | --reset-feedback] --out FILE}: writes a checkpoint for PyTorch, or a NIR graph for neuromorphic toolchains
 * (docs/interop.md).
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Writes a checkpoint for PyTorch (torch.load(path, weights_only=True) or safetensors, under"
                + " snn's parameter names or those of the authors' reference models), or a NIR graph for"
                + " neuromorphic libraries and hardware.")
final class ExportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE",
            description = "A checkpoint written by snn (training, or an earlier export).")
    Path checkpoint;

    @Option(names = "--format", required = true, paramLabel = "torch|safetensors|nir",
            converter = FormatConverter.class,
            description = "torch: the torch.save zip format; safetensors: header JSON + raw tensors; nir: the"
                    + " Neuromorphic Intermediate Representation (HDF5), standard networks exactly.")
    ExportFormat format;

    @Option(names = "--layout", paramLabel = "snn|reference", converter = LayoutConverter.class,
            description = "Parameter names for torch and safetensors: snn (default) or reference (the authors'"
                    + " state_dict, for a strict load_state_dict).")
    Layout layout;

    @Option(names = "--approximate",
            description = "With --format nir: write a block, d-block or single-spike network as the standard LIF"
                    + " network with the same weights and decays, and report how often the two agree on the test"
                    + " data.")
    boolean approximate;

    @Option(names = "--reset-feedback",
            description = "With --format nir, for a network with subtractive reset: write each LIF layer in NIR's"
                    + " primitives alone (LI, a Threshold at 1, and its spikes fed back through -beta one step late),"
                    + " which any NIR reader with LI, Threshold and cycles runs as snn does without snn's metadata.")
    boolean resetFeedback;

    @Option(names = "--config", paramLabel = "FILE",
            description = "With --approximate: the config whose data to compare on (default: the checkpoint's own).")
    Path config;

    @Option(names = "--dt", paramLabel = "SECONDS",
            description = "With --format nir: the integration step to write the time constants for (default: the"
                    + " run's data.dt_ms); e.g. 1e-4 for snnTorch's importer, which always integrates with 1e-4 s.")
    Double dt;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The file to write (replaced).")
    Path out;

    @Override
    public Integer call() {
        if (format != ExportFormat.NIR && (approximate || config != null || dt != null || resetFeedback)) {
            throw new InteropException("--approximate, --reset-feedback, --config and --dt apply to --format nir"
                    + " only");
        }
        if (approximate && resetFeedback) {
            throw new InteropException("--reset-feedback writes a trained standard network; --approximate writes a"
                    + " stand-in for another kind: give one of them");
        }
        if (dt != null && !(dt > 0 && Double.isFinite(dt))) {
            throw new InteropException("--dt must be a positive number of seconds, got " + dt);
        }
        if (!approximate && config != null) {
            throw new InteropException("--config gives the data for --approximate; add --approximate or drop it");
        }
        TorchRuntime.ensureInitialised();
        Checkpoint loaded = Checkpoints.load(checkpoint);
        if (format == ExportFormat.NIR) {
            return nir(loaded);
        }
        Layout names = layout != null ? layout : Layout.SNN;
        Exporter.export(loaded, format, names, out);
        spec.commandLine().getOut().println("wrote " + out + " (" + lower(format) + " format, " + lower(names)
                + " layout, " + loaded.parameters().size() + " parameters)");
        return 0;
    }

    private int nir(Checkpoint loaded) {
        if (layout != null) {
            throw new InteropException("--layout names PyTorch parameters; a NIR file names its nodes itself");
        }
        double step = dt != null ? dt : NirExporter.runDt(loaded);
        if (resetFeedback) {
            NirFile.write(NirExporter.feedbackGraph(loaded, step), out);
            spec.commandLine().getOut().println("wrote " + out + " (NIR graph of a standard LIF network with"
                    + " subtractive reset as LI, Threshold and reset feedback, hidden "
                    + loaded.config().model().hidden() + ", time constants for dt = " + step + " s)");
            return 0;
        }
        if (!approximate) {
            NirExporter.write(loaded, step, out);
            spec.commandLine().getOut().println("wrote " + out + " (NIR graph of a standard LIF network, "
                    + loaded.config().model().reset().name().toLowerCase(Locale.ROOT) + " reset, hidden "
                    + loaded.config().model().hidden() + ", time constants for dt = " + step + " s)");
            return 0;
        }
        ExperimentConfig data = config != null ? ConfigLoader.load(config, List.of()) : loaded.config();
        NirExporter.Approximation a = NirExporter.writeApproximate(loaded, DataSources.open(data).test(),
                data.training().evalBatchSize(), step, out);
        spec.commandLine().getOut().println("wrote " + out + " (NIR graph of the standard LIF network with the "
                + a.sourceKind() + " network's weights and decays)");
        spec.commandLine().getOut().println(a.describe());
        return 0;
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String value) {
        for (E e : type.getEnumConstants()) {
            if (lower(e).equals(value.toLowerCase(Locale.ROOT))) {
                return e;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            allowed.append(allowed.isEmpty() ? "" : ", ").append(lower(e));
        }
        throw new TypeConversionException("'" + value + "' is not one of " + allowed);
    }

    static final class FormatConverter implements ITypeConverter<ExportFormat> {
        @Override
        public ExportFormat convert(String value) {
            return parse(ExportFormat.class, value);
        }
    }

    static final class LayoutConverter implements ITypeConverter<Layout> {
        @Override
        public Layout convert(String value) {
            return parse(Layout.class, value);
        }
    }
}
