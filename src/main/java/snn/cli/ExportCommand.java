package snn.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import snn.interop.Checkpoint;
import snn.interop.Checkpoints;
import snn.interop.ExportFormat;
import snn.interop.Exporter;
import snn.interop.Layout;
import snn.runtime.TorchRuntime;

/**
 * {@code snn export --checkpoint FILE --format torch|safetensors [--layout snn|reference] --out FILE}: writes a
 * checkpoint for PyTorch (docs/interop.md).
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Writes a checkpoint for PyTorch: torch.load(path, weights_only=True) or safetensors,"
                + " under snn's parameter names or those of the authors' reference models.")
final class ExportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE",
            description = "A checkpoint written by snn (training, or an earlier export).")
    Path checkpoint;

    @Option(names = "--format", required = true, paramLabel = "torch|safetensors", converter = FormatConverter.class,
            description = "torch: the torch.save zip format; safetensors: header JSON + raw tensors.")
    ExportFormat format;

    @Option(names = "--layout", paramLabel = "snn|reference", converter = LayoutConverter.class,
            description = "Parameter names: snn (default) or reference (the authors' state_dict, for a strict"
                    + " load_state_dict).")
    Layout layout = Layout.SNN;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The file to write (replaced).")
    Path out;

    @Override
    public Integer call() {
        TorchRuntime.ensureInitialised();
        Checkpoint loaded = Checkpoints.load(checkpoint);
        Exporter.export(loaded, format, layout, out);
        spec.commandLine().getOut().println("wrote " + out + " (" + lower(format) + " format, " + lower(layout) + " layout, "
                + loaded.parameters().size() + " parameters)");
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
