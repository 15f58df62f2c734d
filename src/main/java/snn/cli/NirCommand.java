package snn.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.InteropException;
import snn.data.Batch;
import snn.data.BatchLoader;
import snn.data.SpikeDataset;
import snn.interop.TensorFile;
import snn.interop.TorchFormat;
import snn.interop.nir.NirFile;
import snn.interop.nir.NirGraph;
import snn.interop.nir.NirImporter;
import snn.interop.nir.NirSimulator;
import snn.runtime.TorchRuntime;

/** {@code snn nir run}: runs a NIR graph as NIR defines it on a config's test data (docs/interop.md, "NIR"). */
@Command(name = "nir", mixinStandardHelpOptions = true,
        description = "NIR graphs from any library, run as NIR defines them.",
        subcommands = {NirCommand.Run.class})
final class NirCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /**
     * {@code snn nir run --nir FILE --config FILE [--dt SECONDS] [--record FILE [--samples N]]}: classifies the
     * config's test split with the graph and prints the report of {@code snn eval}; optionally writes every node's
     * membrane, current and spikes for the first samples.
     */
    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Runs a NIR graph as NIR defines it (forward Euler with step dt, a LIF resets to its v_reset,"
                    + " an edge that closes a cycle carries the previous step) on the test split of a config's data:"
                    + " test accuracy, spikes per sample of every spiking node, confusion matrix.")
    static final class Run implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--nir", required = true, paramLabel = "FILE", description = "The NIR file (HDF5).")
        Path nir;

        @Option(names = "--config", required = true, paramLabel = "FILE",
                description = "The config whose test data to run on (its data section; training.eval_batch_size).")
        Path config;

        @Option(names = "--dt", paramLabel = "SECONDS",
                description = "The integration step (default: the file's metadata 'dt', else data.dt_ms of the"
                        + " config); snnTorch's and the NIR paper's graphs are made for 1e-4.")
        Double dt;

        @Option(names = "--record", paramLabel = "FILE",
                description = "Also write the traces of the first samples (torch format, float64): input, output,"
                        + " logits and, per node, <node>.v, <node>.i (synaptic current) and <node>.spikes, each"
                        + " [samples, n, T].")
        Path record;

        @Option(names = "--samples", paramLabel = "N", defaultValue = "1",
                description = "With --record: how many test samples to record (default: ${DEFAULT-VALUE}).")
        int samples;

        @Override
        public Integer call() {
            if (dt != null && !(dt > 0 && Double.isFinite(dt))) {
                throw new InteropException("--dt must be a positive number of seconds, got " + dt);
            }
            if (samples < 1) {
                throw new InteropException("--samples must be at least 1, got " + samples);
            }
            TorchRuntime.ensureInitialised();
            ExperimentConfig cfg = ConfigLoader.load(config, List.of());
            NirGraph graph = NirFile.read(nir);
            NirImporter.Step chosen = NirImporter.step(graph, dt == null ? OptionalDouble.empty()
                    : OptionalDouble.of(dt), cfg);
            double step = chosen.seconds();
            String source = chosen.source();
            NirSimulator sim = NirSimulator.of(nir, graph, step);
            SpikeDataset test = DataSources.open(cfg).test();
            if (test.channels() != sim.inputs() || test.classes() > sim.outputs()) {
                throw new InteropException(nir + ": the graph takes " + sim.inputs() + " inputs and gives "
                        + sim.outputs() + " outputs, but the data of " + config + " has " + test.channels()
                        + " channels and " + test.classes() + " classes");
            }
            PrintWriter o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "running %s as NIR defines it: forward Euler with dt = %s s (%s), LIF reset to"
                    + " v_reset, cycle edges one step late; %d inputs -> %d outputs, logits = %s%n", nir, step, source,
                    sim.inputs(), sim.outputs(), sim.spikingOutput() ? "output spike counts"
                            : "the output summed over time" + ("max".equals(graph.metadataString("readout")
                                    .orElse("")) ? " (maximum: metadata readout = max)" : ""));
            NirSimulator.Evaluation e = sim.evaluate(test, cfg.training().evalBatchSize());
            o.printf(Locale.ROOT, "test accuracy %.2f%% (%d samples)%n", 100 * e.accuracy(), e.samples());
            e.spikesPerSample().forEach((node, n) -> o.printf(Locale.ROOT, "%s: %.1f spikes per sample%n", node, n));
            EvalCommand.printConfusion(o, e.confusion());
            if (record != null) {
                int n = Math.min(samples, test.size());
                writeTraces(sim, test, n);
                o.println("wrote " + record + " (traces of test samples 0.." + (n - 1) + "; torch.load(path,"
                        + " weights_only=True) reads them)");
            }
            return 0;
        }

        private void writeTraces(NirSimulator sim, SpikeDataset test, int n) {
            int[] first = new int[n];
            for (int i = 0; i < n; i++) {
                first[i] = i;
            }
            try (PointerScope scope = new PointerScope(); BatchLoader loader = new BatchLoader(test, n, false, false,
                    0)) {
                Batch b = loader.load(first);
                NirSimulator.Run r = sim.run(b.input(), true);
                Map<String, Tensor> tensors = new LinkedHashMap<>();
                tensors.put("input", b.input().to(org.bytedeco.pytorch.global.torch.ScalarType.Double).contiguous());
                tensors.put("output", r.output().contiguous());
                tensors.put("logits", r.logits().contiguous());
                r.traces().forEach((k, v) -> tensors.put(k, v.contiguous()));
                TorchFormat.write(new TensorFile(tensors, Map.of("nir_file", nir.toString(),
                        "dt", Double.toString(sim.dt()))), record);
            }
        }
    }
}
