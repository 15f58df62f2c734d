package snn.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ArrayNode;

import snn.cli.CliRun;
import snn.config.ExperimentConfig;
import snn.interop.nir.NirFile;
import snn.interop.nir.NirGraph;
import snn.interop.nir.NirImporter;
import snn.interop.nir.NirNode;
import snn.interop.nir.NirSimulator;
import snn.launcher.ProcessRun;
import snn.models.NetworkOutput;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.neurons.LifLayer;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * Graphs from other libraries run as NIR defines them: snn's {@link NirSimulator} against {@code nir_sim.py}, an
 * independent simulator written from NIR's definitions (h5py and numpy, nested graphs simulated as graphs rather
 * than inlined), on graphs {@code nir_foreign.py} writes in the layouts of Norse's and snnTorch's exporters.
 * Spikes must be identical and membranes, currents and outputs equal to float32 precision (the values cross as
 * JSON float32 from Python; both sides compute in float64).
 */
class NirSemanticsTest {

    static final String SIM = "/snn/interop/nir_sim.py";
    static final String FOREIGN = "/snn/interop/nir_foreign.py";

    @BeforeAll
    static void python() {
        PythonTorch.requireH5py();
        TorchRuntime.ensureInitialised();
    }

    /** Writes the foreign graphs into {@code dir}; fails with Python's output unless it succeeds. */
    static void writeForeignGraphs(Path dir) throws Exception {
        Path script = dir.resolve("nir_foreign.py");
        try (var in = NirSemanticsTest.class.getResourceAsStream(FOREIGN)) {
            java.nio.file.Files.write(script, in.readAllBytes());
        }
        ProcessRun py = ProcessRun.run(java.util.List.of(PythonTorch.PYTHON, script.toString(), dir.toString()),
                Map.of(), dir, 120);
        assertEquals(0, py.code(), py.out() + py.err());
    }

    /** Random binary spikes {@code [batch, inputs, steps]}. */
    static Tensor spikes(int batch, int inputs, int steps, long seed, double rate) {
        TorchRuntime.seed(seed);
        return torch.rand(new long[] {batch, inputs, steps}, Tensors.float32()).lt(Tensors.scalar(rate))
                .to(torch.ScalarType.Float);
    }

    /** What nir_sim.py computes for each (file, dt, input). */
    static Map<String, Map<String, Tensor>> simulate(Path dir, Map<String, Object[]> cases) throws IOException {
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        cases.forEach((name, c) -> tasks.addObject().put("file", c[0].toString()).put("dt", (Double) c[1])
                .put("out", dir.resolve(name + ".sim.json").toString()).set("input", Fixtures.tensorJson((Tensor) c[2])));
        PythonTorch.run(SIM, tasks, dir);
        Map<String, Map<String, Tensor>> out = new java.util.LinkedHashMap<>();
        for (String name : cases.keySet()) {
            out.put(name, Fixtures.readTensorsJson(dir.resolve(name + ".sim.json")));
        }
        return out;
    }

    /** Every value of the independent simulator's result against snn's run: spikes exact, the rest to 1e-5. */
    static void assertSameRun(String what, Map<String, Tensor> expected, NirSimulator.Run run) {
        Map<String, Tensor> actual = new java.util.LinkedHashMap<>(run.traces());
        actual.put("output", run.output());
        actual.put("logits", run.logits());
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(actual.keySet()), what + ": recorded values");
        boolean spiked = false;
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            float[] want = Tensors.toArray(e.getValue());
            float[] got = Tensors.toArray(actual.get(e.getKey()));
            assertArrayEquals(Tensors.shape(e.getValue()), Tensors.shape(actual.get(e.getKey())), what + " " + e.getKey());
            if (e.getKey().endsWith(".spikes")) {
                assertArrayEquals(want, got, what + ": " + e.getKey() + " must be identical");
                double rate = e.getValue().mean().item_double();
                assertTrue(rate > 0.01 && rate < 0.95, what + ": " + e.getKey() + " spikes at rate " + rate);
                spiked = true;
            } else {
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-5 * Math.max(1, Math.abs(want[i])), what + ": " + e.getKey()
                            + "[" + i + "]");
                }
            }
        }
        assertTrue(spiked, what + ": the graph has spiking nodes");
    }

    @Test
    void foreignGraphsRunAsNirDefinesThem(@TempDir Path dir) throws Exception {
        writeForeignGraphs(dir);
        Map<String, Object[]> cases = new java.util.LinkedHashMap<>();
        cases.put("norse_single_lif", new Object[] {dir.resolve("norse_single_lif.nir"), 1e-4, spikes(3, 2, 300, 1, 0.3)});
        cases.put("snntorch_rnn", new Object[] {dir.resolve("snntorch_rnn.nir"), 1e-4, spikes(4, 6, 60, 2, 0.3)});
        cases.put("norse_flat", new Object[] {dir.resolve("norse_flat.nir"), 1e-3, spikes(4, 6, 60, 3, 0.3)});
        cases.put("mixed", new Object[] {dir.resolve("mixed.nir"), 1e-3, spikes(4, 6, 60, 4, 0.3)});
        cases.put("norse_zero_reset", new Object[] {dir.resolve("norse_zero_reset.nir"), 1e-3, spikes(4, 6, 60, 5, 0.3)});
        Map<String, Map<String, Tensor>> expected = simulate(dir, cases);
        for (Map.Entry<String, Object[]> c : cases.entrySet()) {
            Path file = (Path) c.getValue()[0];
            NirSimulator sim = NirSimulator.of(file, NirFile.read(file), (Double) c.getValue()[1]);
            assertSameRun(c.getKey(), expected.get(c.getKey()), sim.run((Tensor) c.getValue()[2], true));
        }

        // Norse's zero-reset LIF chain is exactly an snn network: it imports as one, and computes the same spikes.
        ExperimentConfig six = snn.config.ConfigLoader.parse("""
                {"name": "norse", "data": {"dataset": "synthetic", "synthetic": {"channels": 6, "classes": 3,
                 "t_len": 60}}, "model": {"kind": "standard"}}""", java.util.List.of(), "test config");
        NirImporter.Result imported = NirImporter.read(dir.resolve("norse_zero_reset.nir"),
                NirImporter.Options.defaults().withConfig(six).withDt(1e-3));
        assertEquals(LifLayer.Reset.ZERO, imported.checkpoint().config().model().reset());
        Tensor x = (Tensor) cases.get("norse_zero_reset")[2];
        NetworkOutput out = imported.checkpoint().network().forward(x);
        Map<String, Tensor> sim = expected.get("norse_zero_reset");
        assertArrayEquals(Tensors.toArray(sim.get("lif1.spikes")), Tensors.toArray(out.hiddenSpikes().get(0)));
        assertArrayEquals(Tensors.toArray(sim.get("lif2.spikes")), Tensors.toArray(out.hiddenSpikes().get(1)));
        float[] want = Tensors.toArray(sim.get("logits"));
        float[] got = Tensors.toArray(out.logits());
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4 * Math.max(1, Math.abs(want[i])), "logit " + i);
        }
    }

    @Test
    void theNirPapersGraphsRunFromTheCommandLineWithTheirTraces(@TempDir Path dir) throws Exception {
        writeForeignGraphs(dir);
        Path config = dir.resolve("config.json");
        java.nio.file.Files.writeString(config, """
                {"name": "braille-like", "data": {"dataset": "synthetic", "synthetic": {"channels": 6, "classes": 4,
                 "t_len": 40, "train_samples": 40, "test_samples": 24}}, "model": {"kind": "standard"}}""");
        Path traces = dir.resolve("traces.pt");
        CliRun run = CliRun.run("nir", "run", "--nir", dir.resolve("snntorch_rnn.nir").toString(), "--config",
                config.toString(), "--dt", "1e-4", "--record", traces.toString(), "--samples", "3");
        assertEquals(0, run.code(), run.err());
        assertEquals("", run.err());
        assertTrue(run.out().contains("forward Euler with dt = 1.0E-4 s (given)"), run.out());
        assertTrue(run.out().contains("logits = output spike counts"), run.out());
        assertTrue(run.out().contains("test accuracy") && run.out().contains("(24 samples)"), run.out());
        assertTrue(run.out().contains("lif1.lif: ") && run.out().contains("lif2: "), run.out());

        // The recorded traces are what the independent simulator computes for the recorded input.
        TensorFile recorded = TorchFormat.read(traces);
        Tensor input = recorded.tensors().get("input");
        assertArrayEquals(new long[] {3, 6, 40}, Tensors.shape(input));
        Map<String, Map<String, Tensor>> expected = simulate(dir, Map.of("rnn",
                new Object[] {dir.resolve("snntorch_rnn.nir"), 1e-4, input}));
        NirSimulator.Run asRecorded = new NirSimulator.Run(recorded.tensors().get("output"),
                recorded.tensors().get("logits"), recorded.tensors().entrySet().stream()
                        .filter(e -> e.getKey().contains("."))
                        .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
        assertSameRun("recorded", expected.get("rnn"), asRecorded);
        assertTrue(recorded.tensors().containsKey("lif1.lif.i") && recorded.tensors().containsKey("lif2.v"));

        // PyTorch itself opens the file as the command says (torch.load, weights only) and finds the same tensors.
        ProcessRun py = ProcessRun.run(java.util.List.of(PythonTorch.PYTHON, "-c", """
                import sys, json, torch
                d = torch.load(sys.argv[1], weights_only=True)
                json.dump({"tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape),
                                           "sum": float(v.double().sum())}
                                       for k, v in d.items() if torch.is_tensor(v)},
                           "other": {k: v for k, v in d.items() if not torch.is_tensor(v)}}, sys.stdout)
                """, traces.toString()), Map.of(), dir, 120);
        assertEquals(0, py.code(), py.out() + py.err());
        com.fasterxml.jackson.databind.JsonNode read = Fixtures.JSON.readTree(py.out());
        com.fasterxml.jackson.databind.JsonNode seen = read.get("tensors");
        assertEquals(dir.resolve("snntorch_rnn.nir").toString(), read.get("other").get("nir_file").asText());
        assertEquals("1.0E-4", read.get("other").get("dt").asText());
        assertEquals(new TreeSet<>(recorded.tensors().keySet()), new TreeSet<>(
                java.util.stream.StreamSupport.stream(java.util.Spliterators.spliteratorUnknownSize(seen.fieldNames(),
                        0), false).toList()), "the keys PyTorch reads");
        for (Map.Entry<String, Tensor> e : recorded.tensors().entrySet()) {
            com.fasterxml.jackson.databind.JsonNode t = seen.get(e.getKey());
            assertEquals("torch.float64", t.get("dtype").asText(), e.getKey());
            assertEquals(java.util.Arrays.toString(Tensors.shape(e.getValue())), t.get("shape").toString()
                    .replace(",", ", "), e.getKey());
            assertEquals(e.getValue().sum().item_double(), t.get("sum").asDouble(),
                    1e-9 * Math.max(1, Math.abs(t.get("sum").asDouble())), e.getKey());
        }

        // The graph is not an snn network: import refuses it by node and points at `snn nir run`; nothing written.
        Path out = dir.resolve("never.pt");
        CliRun refused = CliRun.run("import", "--nir", dir.resolve("snntorch_rnn.nir").toString(), "--config",
                config.toString(), "--dt", "1e-4", "--out", out.toString());
        assertEquals(2, refused.code(), refused.out());
        assertTrue(refused.err().contains("'lif1.lif' (CubaLIF)") && refused.err().contains("snn nir run"),
                refused.err());
        assertTrue(!java.nio.file.Files.exists(out));
    }

    @Test
    void zeroResetNetworksExportExactlyUnderNirSemantics(@TempDir Path dir) throws Exception {
        Map<String, String> models = new java.util.LinkedHashMap<>();
        models.put("zero-ff", "{\"kind\": \"standard\", \"hidden\": [6, 5], \"reset\": \"zero\"}");
        models.put("zero-rec", "{\"kind\": \"standard\", \"hidden\": [7, 6], \"recurrent\": true, \"reset\": \"zero\"}");
        models.put("zero-rec-max-shared", "{\"kind\": \"standard\", \"hidden\": [6], \"recurrent\": true,"
                + " \"reset\": \"zero\", \"readout\": \"max\", \"per_neuron_beta\": false}");
        Map<String, Object[]> cases = new java.util.LinkedHashMap<>();
        Map<String, NetworkOutput> outputs = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, String> m : models.entrySet()) {
            ExperimentConfig config = Fixtures.config(m.getValue(), NirRoundTripTest.T);
            SpikingNetwork net = NirRoundTripTest.trained(config, 31);
            Path file = dir.resolve(m.getKey() + ".nir");
            Exporter.export(Checkpoint.of(net, config), ExportFormat.NIR, Layout.SNN, file);
            assertEquals("zero", NirFile.read(file).metadataString("reset").orElseThrow());
            Tensor x = spikes(6, Fixtures.INPUTS, NirRoundTripTest.T, 17, 0.3);
            NirRoundTripTest.assertSpiking(net, x);
            outputs.put(m.getKey(), net.forward(x));
            cases.put(m.getKey(), new Object[] {file, 0.001, x});

            // The file comes back as the same network, bit for bit.
            NirImporter.Result back = NirImporter.read(file, NirImporter.Options.defaults());
            assertEquals(LifLayer.Reset.ZERO, back.checkpoint().config().model().reset());
            Fixtures.assertSameTensors(NirRoundTripTest.clamped(Parameters.named(net)),
                    back.checkpoint().parameters(), m.getKey() + " round trip");
            assertArrayEquals(Fixtures.logits(net, x), Fixtures.logits(back.checkpoint().network(), x));
        }
        // An independent forward-Euler simulator that knows nothing of snn computes the same spikes and logits.
        Map<String, Map<String, Tensor>> expected = simulate(dir, cases);
        for (String name : cases.keySet()) {
            NetworkOutput out = outputs.get(name);
            Map<String, Tensor> sim = expected.get(name);
            for (int i = 0; i < out.hiddenSpikes().size(); i++) {
                assertArrayEquals(Tensors.toArray(out.hiddenSpikes().get(i)),
                        Tensors.toArray(sim.get("hidden_" + i + "_lif.spikes")), name + ": layer " + i + " spikes");
            }
            float[] want = Tensors.toArray(out.logits());
            float[] got = Tensors.toArray(sim.get("logits"));
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-5 * Math.max(1, Math.abs(want[i])), name + ": logit " + i);
            }
            assertArrayEquals(Tensors.toArray(out.logits().argmax(new org.bytedeco.pytorch.LongOptional(1), false)),
                    Tensors.toArray(sim.get("logits").argmax(new org.bytedeco.pytorch.LongOptional(1), false)),
                    name + ": predictions");
        }
    }

    @Test
    void subtractiveNetworksInNirsPrimitivesRunAsInSnn(@TempDir Path dir) throws Exception {
        Map<String, String> models = new java.util.LinkedHashMap<>();
        models.put("sub-ff", "{\"kind\": \"standard\", \"hidden\": [6, 5]}");
        models.put("sub-rec-max", "{\"kind\": \"standard\", \"hidden\": [7, 5], \"recurrent\": true,"
                + " \"readout\": \"max\"}");
        Map<String, Object[]> cases = new java.util.LinkedHashMap<>();
        Map<String, NetworkOutput> outputs = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, String> m : models.entrySet()) {
            ExperimentConfig config = Fixtures.config(m.getValue(), NirRoundTripTest.T);
            SpikingNetwork net = NirRoundTripTest.trained(config, 41);
            Path model = dir.resolve(m.getKey() + ".pt");
            Checkpoints.save(net, config, model);
            Path feedback = dir.resolve(m.getKey() + "-feedback.nir");
            CliRun run = CliRun.run("export", "--checkpoint", model.toString(), "--format", "nir", "--reset-feedback",
                    "--out", feedback.toString());
            assertEquals(0, run.code(), run.err());
            Path plain = dir.resolve(m.getKey() + ".nir");
            Exporter.export(Checkpoint.of(net, config), ExportFormat.NIR, Layout.SNN, plain);
            Tensor x = spikes(6, Fixtures.INPUTS, NirRoundTripTest.T, 19, 0.3);
            NirRoundTripTest.assertSpiking(net, x);
            outputs.put(m.getKey(), net.forward(x));

            // The feedback form imports back as the same subtractive network, bit for bit, with snn's metadata or
            // without any (as another tool would write it, given a config).
            NirGraph written = NirFile.read(feedback);
            Path foreign = dir.resolve(m.getKey() + "-feedback-bare.nir");
            NirFile.write(new NirGraph(written.nodes(), written.edges(), Map.of()), foreign);
            for (NirImporter.Result back : java.util.List.of(
                    NirImporter.read(feedback, NirImporter.Options.defaults()),
                    NirImporter.read(foreign, NirImporter.Options.defaults().withConfig(config).withDt(0.001)))) {
                assertEquals(LifLayer.Reset.SUBTRACT, back.checkpoint().config().model().reset());
                Fixtures.assertSameTensors(NirRoundTripTest.clamped(Parameters.named(net)),
                        back.checkpoint().parameters(), m.getKey() + " feedback form imported");
                // the membranes are the network's; how logits are read over time is metadata only snn writes
                // (a bare file reads them as the sum, with a note)
                NetworkOutput mine = net.forward(x);
                NetworkOutput theirs = back.checkpoint().network().forward(x);
                for (int i = 0; i < mine.hiddenSpikes().size(); i++) {
                    assertArrayEquals(Tensors.toArray(mine.hiddenSpikes().get(i)),
                            Tensors.toArray(theirs.hiddenSpikes().get(i)), m.getKey() + ": imported layer " + i);
                }
                assertArrayEquals(Tensors.toArray(mine.readoutMembrane()), Tensors.toArray(theirs.readoutMembrane()),
                        m.getKey() + ": imported readout");
            }
            assertArrayEquals(Fixtures.logits(net, x), Fixtures.logits(
                    NirImporter.read(feedback, NirImporter.Options.defaults()).checkpoint().network(), x));
            // A feedback that takes another amount off than beta is another neuron: refused, naming the node.
            Map<String, NirNode> nodes = new java.util.LinkedHashMap<>(written.nodes());
            float[][] w = ((NirNode.Linear) nodes.get("hidden_0_reset")).weight();
            float[][] half = new float[w.length][];
            for (int j = 0; j < w.length; j++) {
                half[j] = w[j].clone();
                half[j][j] /= 2;
            }
            nodes.put("hidden_0_reset", new NirNode.Linear(half));
            Path wrong = dir.resolve(m.getKey() + "-feedback-half.nir");
            NirFile.write(new NirGraph(nodes, written.edges(), written.metadata()), wrong);
            snn.core.InteropException refused = org.junit.jupiter.api.Assertions.assertThrows(
                    snn.core.InteropException.class,
                    () -> NirImporter.read(wrong, NirImporter.Options.defaults()));
            assertTrue(refused.getMessage().contains("node 'hidden_0_reset' (Linear)")
                    && refused.getMessage().contains("snn nir run"), refused.getMessage());
            cases.put(m.getKey() + "-feedback", new Object[] {feedback, 0.001, x});
            cases.put(m.getKey() + "-plain", new Object[] {plain, 0.001, x});
        }
        Map<String, Map<String, Tensor>> expected = simulate(dir, cases);
        for (String name : models.keySet()) {
            NetworkOutput out = outputs.get(name);
            Map<String, Tensor> sim = expected.get(name + "-feedback");
            Path file = (Path) cases.get(name + "-feedback")[0];
            NirSimulator.Run ours = NirSimulator.of(file, NirFile.read(file), 0.001)
                    .run((Tensor) cases.get(name + "-feedback")[2], true);
            boolean plainDiffers = false;
            for (int i = 0; i < out.hiddenSpikes().size(); i++) {
                float[] snn = Tensors.toArray(out.hiddenSpikes().get(i));
                assertArrayEquals(snn, Tensors.toArray(sim.get("hidden_" + i + "_spikes.spikes")),
                        name + ": layer " + i + " spikes, independent simulator");
                assertArrayEquals(snn, Tensors.toArray(ours.traces().get("hidden_" + i + "_spikes.spikes")),
                        name + ": layer " + i + " spikes, NirSimulator");
                plainDiffers |= !java.util.Arrays.equals(snn,
                        Tensors.toArray(expected.get(name + "-plain").get("hidden_" + i + "_lif.spikes")));
            }
            float[] want = Tensors.toArray(out.logits());
            float[] got = Tensors.toArray(sim.get("logits"));
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-5 * Math.max(1, Math.abs(want[i])), name + ": logit " + i);
            }
            assertTrue(plainDiffers, name + ": the plain graph, run with NIR's reset to v_reset, is another network"
                    + " (else this test shows nothing)");
        }
    }
}
