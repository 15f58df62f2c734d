package snn.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import snn.config.ConfigLoader;
import snn.core.InteropException;
import snn.interop.Checkpoint;
import snn.interop.Checkpoints;
import snn.interop.ExportFormat;
import snn.interop.Exporter;
import snn.interop.Layout;
import snn.interop.nir.NirImporter;
import snn.runtime.TorchRuntime;

/**
 * {@code snn import --nir FILE --out FILE [--config FILE] [--dt SECONDS]}: builds a standard snn network from a NIR
 * graph and writes it as an snn checkpoint (docs/interop.md, "NIR"). {@code snn import --torch FILE --config FILE
 * --out FILE}: writes the weights Python saved (a state dict) as an snn checkpoint of the config's network.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Builds a standard snn network (LIF layers, feed-forward or recurrent, and an LI readout) from a"
                + " NIR graph that is exactly one (NIR's LIF with v_leak = v_reset = 0 as a zero-reset network, or a"
                + " graph snn wrote), or the config's network from weights Python saved (--torch), and writes it as an"
                + " snn checkpoint that snn eval --checkpoint evaluates; other NIR graphs run as NIR defines them with"
                + " snn nir run.")
final class ImportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--nir", paramLabel = "FILE", description = "The NIR file (HDF5).")
    Path nir;

    @Option(names = "--torch", paramLabel = "FILE",
            description = "Weights saved by Python instead of a NIR graph: torch.save(model.state_dict(), FILE) (also"
                    + " a dict, or a checkpoint holding it under 'state_dict' or 'model'), or a safetensors file;"
                    + " snn's parameter names or the reference's. Needs --config: the network they belong to.")
    Path torchWeights;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The config for what the graph does not hold: data, training, runtime, and the model's"
                    + " training settings (default: the config snn stored in the file when it exported it).")
    Path config;

    @Option(names = "--dt", paramLabel = "SECONDS",
            description = "The integration step the graph's time constants are meant for (default: the file's"
                    + " metadata 'dt', else data.dt_ms of the config); e.g. 1e-4 for snnTorch's exports.")
    Double dt;

    @Option(names = "--out", required = true, paramLabel = "FILE",
            description = "The snn checkpoint to write (torch format, replaced), e.g. model.pt.")
    Path out;

    @Override
    public Integer call() {
        if ((nir == null) == (torchWeights == null)) {
            throw new ParameterException(spec.commandLine(), "give one of --nir FILE or --torch FILE");
        }
        TorchRuntime.ensureInitialised();
        if (torchWeights != null) {
            return importTorch();
        }
        NirImporter.Options options = NirImporter.Options.defaults();
        if (config != null) {
            options = options.withConfig(ConfigLoader.load(config, List.of()));
        }
        if (dt != null) {
            if (!(dt > 0 && Double.isFinite(dt))) {
                throw new InteropException("--dt must be a positive number of seconds, got " + dt);
            }
            options = options.withDt(dt);
        }
        NirImporter.Result result = NirImporter.read(nir, options);
        Checkpoint c = result.checkpoint();
        Exporter.export(c, ExportFormat.TORCH, Layout.SNN, out);
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "read %s: %d inputs -> %s LIF%s, %s reset -> %d LI; dt = %s s (%s)%n", nir,
                c.inputs(), c.config().model().hidden(), c.config().model().recurrent() ? " (recurrent)" : "",
                c.config().model().reset().name().toLowerCase(Locale.ROOT), c.classes(), result.dtSeconds(),
                result.dtSource());
        for (String note : result.notes()) {
            o.println("note: " + note);
        }
        o.println("wrote " + out + " (snn checkpoint of a standard network, readout "
                + c.config().model().readout().name().toLowerCase(Locale.ROOT) + "; data: "
                + c.config().data().dataset() + "); evaluate it with: snn eval --checkpoint " + out);
        return 0;
    }

    private int importTorch() {
        if (config == null) {
            throw new ParameterException(spec.commandLine(), "--torch needs --config FILE: the config of the network"
                    + " the weights belong to");
        }
        if (dt != null) {
            throw new ParameterException(spec.commandLine(), "--dt applies to --nir graphs only");
        }
        Checkpoint c = Checkpoints.fromWeights(torchWeights, ConfigLoader.load(config, List.of()));
        Exporter.export(c, ExportFormat.TORCH, Layout.SNN, out);
        spec.commandLine().getOut().printf(Locale.ROOT, "read %s: %d tensors for the %s network %d -> %s -> %d"
                + " described by %s%nwrote %s (snn checkpoint); evaluate it with: snn eval --checkpoint %s%n",
                torchWeights, c.parameters().size(), c.config().model().kind().name().toLowerCase(Locale.ROOT), c.inputs(),
                c.config().model().hidden(), c.classes(), config, out, out);
        return 0;
    }
}
