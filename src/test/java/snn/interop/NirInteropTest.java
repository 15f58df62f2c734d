package snn.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.cli.CliRun;
import snn.config.ExperimentConfig;
import snn.core.InteropException;
import snn.interop.nir.NirFile;
import snn.interop.nir.NirGraph;
import snn.interop.nir.NirImporter;
import snn.interop.nir.NirNode;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.neurons.LifLayer;
import snn.runtime.Tensors;

/**
 * NIR files against an independent reader and writer: {@code nir_interop.py}, h5py and numpy written from the NIR
 * specification, sharing no code with snn. Without {@code /usr/bin/python3} and h5py these tests fail (never skip).
 */
class NirInteropTest {

    static final String SCRIPT = "/snn/interop/nir_interop.py";
    static final int T = 12;

    @BeforeAll
    static void python() {
        PythonTorch.requireH5py();
    }

    @Test
    void filesSnnWritesFollowTheSpecificationAndRunAsSnnRunsThem(@TempDir Path dir) throws IOException {
        Map<String, String> models = new LinkedHashMap<>();
        models.put("feed-forward", "{\"kind\": \"standard\", \"hidden\": [6, 5]}");
        models.put("recurrent", "{\"kind\": \"standard\", \"hidden\": [6], \"recurrent\": true}");
        models.put("recurrent-max-shared", "{\"kind\": \"standard\", \"hidden\": [6, 7], \"recurrent\": true,"
                + " \"readout\": \"max\", \"per_neuron_beta\": false}");
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        for (Map.Entry<String, String> m : models.entrySet()) {
            ExperimentConfig config = Fixtures.config(m.getValue(), T);
            SpikingNetwork net = NirRoundTripTest.trained(config, 21);
            Path file = dir.resolve(m.getKey() + ".nir");
            Exporter.export(Checkpoint.of(net, config), ExportFormat.NIR, Layout.SNN, file);
            Tensor x = Fixtures.spikes(4, T, 8);
            NirRoundTripTest.assertSpiking(net, x);

            NirGraph g = NirFile.read(file);
            ObjectNode task = tasks.addObject().put("task", "check").put("label", m.getKey())
                    .put("file", file.toString()).put("version", NirFile.NIR_VERSION).put("dt", 0.001);
            ObjectNode types = task.putObject("types");
            g.nodes().forEach((name, node) -> types.put(name, node.type()));
            ArrayNode edges = task.putArray("edges");
            g.edges().forEach(e -> edges.addArray().add(e.source()).add(e.target()));
            ObjectNode betas = task.putObject("betas");
            Map<String, Tensor> p = NirRoundTripTest.clamped(Parameters.named(net));
            for (int i = 0; i < config.model().hidden().size(); i++) {
                betas.set("hidden_" + i + "_lif", perNeuron(p.get("hidden." + i + ".beta"),
                        config.model().hidden().get(i)));
            }
            betas.set("readout_li", perNeuron(p.get("readout.beta"), Fixtures.CLASSES));
            task.set("input", Fixtures.tensorJson(x));
            task.set("logits", Fixtures.tensorJson(net.forward(x).logits()));
        }
        String out = PythonTorch.run(SCRIPT, tasks, dir);
        assertEquals(models.size(), out.lines().filter(l -> l.startsWith("ok ")).count(), out);
    }

    @Test
    void nirFilesWrittenByHandImportAndRun(@TempDir Path dir) throws IOException {
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        // Norse's conventions: r = 1 (the input is scaled by dt/tau), thresholds other than 1, float32 parameters,
        // no v_reset field, a Linear projection; no dt in the file.
        tasks.addObject().put("task", "write").put("label", "feed-forward, r = 1").put("seed", 4)
                .put("file", dir.resolve("ff.nir").toString()).put("out", dir.resolve("ff.json").toString())
                .put("float_type", "float32").put("batch", 4).put("steps", 30).put("readout", "sum")
                .set("network", Fixtures.JSON.readTree("""
                        {"dt": 0.001, "inputs": 4, "classes": 3, "r": "1", "write_v_reset": false,
                         "hidden": [{"size": 6, "threshold": 0.5}, {"size": 5, "threshold": 2.0, "linear": true}]}"""));
        // snnTorch's: r = tau/dt with its dt = 1e-4 s, a recurrent layer as a nested NIRGraph.
        tasks.addObject().put("task", "write").put("label", "recurrent subgraph, r = tau/dt").put("seed", 9)
                .put("file", dir.resolve("rec.nir").toString()).put("out", dir.resolve("rec.json").toString())
                .put("batch", 4).put("steps", 30).put("readout", "sum")
                .set("network", Fixtures.JSON.readTree("""
                        {"dt": 0.0001, "inputs": 4, "classes": 3, "r": "tau/dt",
                         "hidden": [{"size": 7, "threshold": 1.0, "recurrent": true, "as_subgraph": true}]}"""));
        PythonTorch.run(SCRIPT, tasks, dir);

        ExperimentConfig sum = Fixtures.config("{\"kind\": \"block\", \"hidden\": [9]}", 30);
        NirImporter.Result ff = NirImporter.read(dir.resolve("ff.nir"),
                NirImporter.Options.defaults().withConfig(sum).withDt(0.001));
        assertEquals(List.of(6, 5), ff.checkpoint().config().model().hidden());
        assertFalse(ff.checkpoint().config().model().recurrent());
        assertEquals("given", ff.dtSource());
        assertEquals(LifLayer.Reset.ZERO, ff.checkpoint().config().model().reset(), "a foreign LIF resets as NIR's");
        assertTrue(ff.notes().stream().anyMatch(n -> n.contains("they are its sum over all steps")),
                ff.notes().toString());
        assertLogits(ff, dir.resolve("ff.json"));

        ExperimentConfig max = Fixtures.config("{\"kind\": \"standard\", \"hidden\": [9], \"readout\": \"max\"}", 30);
        NirImporter.Result rec = NirImporter.read(dir.resolve("rec.nir"),
                NirImporter.Options.defaults().withConfig(max).withDt(1e-4));
        assertTrue(rec.checkpoint().config().model().recurrent());
        assertEquals(List.of(7), rec.checkpoint().config().model().hidden());
        assertLogits(rec, dir.resolve("rec.json"));

        // The same file through the CLI, with the config as a file and dt given.
        Path config = dir.resolve("config.json");
        Files.writeString(config, """
                {"name": "imported", "data": {"dataset": "synthetic", "synthetic": {"channels": 4, "classes": 3,
                 "t_len": 30}}, "model": {"kind": "standard", "readout": "max"}}""");
        Path model = dir.resolve("rec.pt");
        CliRun run = CliRun.run("import", "--nir", dir.resolve("rec.nir").toString(), "--config", config.toString(),
                "--dt", "1e-4", "--out", model.toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("4 inputs -> [7] LIF (recurrent), zero reset -> 3 LI; dt = 1.0E-4 s (given)"), run.out());
        assertTrue(run.out().contains("zero reset"), run.out());
        String eval = NirRoundTripTest.evalPrints(model);
        assertTrue(eval.contains("test accuracy") && eval.contains("hidden layer 0"), eval);
    }

    private static void assertLogits(NirImporter.Result imported, Path expectedFile) throws IOException {
        Map<String, Tensor> expected = Fixtures.readTensorsJson(expectedFile);
        float[] want = Fixtures.values(expected.get("logits"));
        float[] got = Fixtures.logits(imported.checkpoint().network(), expected.get("input"));
        float scale = 1;
        for (float w : want) {
            scale = Math.max(scale, Math.abs(w));
        }
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4 * scale, "logit " + i + " of the imported network vs the graph run by"
                    + " the independent reader");
        }
    }

    @Test
    void malformedFilesGetPreciseErrors(@TempDir Path dir) throws IOException {
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        tasks.addObject().put("task", "malformed").put("folder", dir.toString());
        PythonTorch.run(SCRIPT, tasks, dir);
        Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("dangling_edge", List.of("('lif0' -> 'ghost') names 'ghost', which is not a node of the graph"));
        expected.put("missing_input", List.of("the graph has no Input node"));
        expected.put("missing_readout", List.of("'output' (Output) follows projection 'fc_out' (Affine)",
                "a LIF or LI node must come next"));
        expected.put("weight_shape", List.of("'fc0' (Affine) takes 5 inputs (weight shape [3, 5]) but 'input' (Input)"
                + " gives 4"));
        expected.put("parameter_shape", List.of("node 'lif0' (LIF, /node/nodes/lif0): 'r' has 2 values but 'tau' has"
                + " 3"));
        expected.put("bias_shape", List.of("node 'fc0' (Affine, /node/nodes/fc0): 'bias' has 4 values but 'weight'"
                + " has 3 rows"));
        expected.put("unknown_type", List.of("node 'lif0' (/node/nodes/lif0) is of type 'Spiky', which is not a NIR"
                + " node type"));
        expected.put("unsupported_type", List.of("'lif0' (CubaLIF) follows projection 'fc0' (Affine)",
                "a LIF or LI node must come next", "snn nir run"));
        expected.put("missing_field", List.of("node 'lif0' (LIF, /node/nodes/lif0) has no 'tau'"));
        expected.put("text_field", List.of("node 'lif0' (LIF, /node/nodes/lif0): 'tau' must be a 1-D array of"
                + " numbers (one per neuron), got a scalar of text"));
        expected.put("leak", List.of("node 'lif0' (LIF): 'v_leak' is 0.1 for neuron 0; an snn network computes NIR's"
                + " neuron exactly only with v_leak = 0", "snn nir run"));
        expected.put("tau_below_dt", List.of("node 'lif0' (LIF), neuron 0: tau = 1.0E-4 s is shorter than dt = 0.001"
                + " s"));
        expected.put("branch", List.of("'input' (Input) sends to 2 nodes [fc0, fc_b]"));
        expected.put("spiking_readout", List.of("'lif0' (LIF) is a LIF that sends spikes to the Output",
                "non-spiking leaky integrator"));
        expected.put("no_type", List.of("node 'input' (/node/nodes/input) has no 'type'"));
        expected.put("edges_shape", List.of("/node/edges must be an (N, 2) array of node names, got shape [1, 3]"));
        expected.put("not_nir", List.of("has no group 'node', so it is not a NIR file"));

        NirImporter.Options options = NirImporter.Options.defaults()
                .withConfig(Fixtures.config("{\"kind\": \"standard\", \"hidden\": [3]}", T)).withDt(0.001);
        for (Map.Entry<String, List<String>> e : expected.entrySet()) {
            Path file = dir.resolve(e.getKey() + ".nir");
            InteropException error = assertThrows(InteropException.class, () -> NirImporter.read(file, options),
                    e.getKey());
            assertTrue(error.getMessage().startsWith(file + ": "), e.getKey() + ": " + error.getMessage());
            for (String part : e.getValue()) {
                assertTrue(error.getMessage().contains(part), e.getKey() + ": expected '" + part + "' in: "
                        + error.getMessage());
            }
        }

        Path text = dir.resolve("notes.nir");
        Files.writeString(text, "not HDF5");
        assertTrue(assertThrows(InteropException.class, () -> NirFile.read(text)).getMessage()
                .contains("not a readable HDF5 file"));
        assertTrue(assertThrows(InteropException.class, () -> NirFile.read(dir.resolve("absent.nir"))).getMessage()
                .endsWith("absent.nir: no such file"));

        Path out = dir.resolve("never.pt");
        CliRun cli = CliRun.run("import", "--nir", dir.resolve("branch.nir").toString(), "--dt", "0.001", "--out",
                out.toString());
        assertEquals(2, cli.code(), cli.out() + cli.err());
        assertTrue(cli.err().startsWith("snn: " + dir.resolve("branch.nir") + ": "), cli.err());
        assertFalse(cli.err().contains("\tat "), "no stack trace: " + cli.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void aForeignFileWithoutConfigAsksForOne(@TempDir Path dir) throws IOException {
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        tasks.addObject().put("task", "malformed").put("folder", dir.toString());
        PythonTorch.run(SCRIPT, tasks, dir);
        // A valid graph, written by hand without snn's metadata: the variants all derive from it; take the leaky one
        // and repair it in Java to keep one writer.
        NirGraph leaky = NirFile.read(dir.resolve("leak.nir"));
        Map<String, NirNode> nodes = new LinkedHashMap<>(leaky.nodes());
        NirNode.Lif lif = (NirNode.Lif) nodes.get("lif0");
        nodes.put("lif0", new NirNode.Lif(lif.tau(), lif.r(), new double[3], lif.vThreshold(), lif.vReset()));
        Path repaired = dir.resolve("repaired.nir");
        NirFile.write(new NirGraph(nodes, leaky.edges(), Map.of()), repaired);
        InteropException e = assertThrows(InteropException.class,
                () -> NirImporter.read(repaired, NirImporter.Options.defaults()));
        assertTrue(e.getMessage().contains("carries no snn config") && e.getMessage().contains("--config"),
                e.getMessage());
        NirImporter.Result r = NirImporter.read(repaired, NirImporter.Options.defaults()
                .withConfig(Fixtures.config("{\"kind\": \"standard\"}", T)));
        assertEquals(List.of(3), r.checkpoint().config().model().hidden());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("dt = 0.001 s (data.dt_ms of the config")),
                r.notes().toString());
    }

    private static ArrayNode perNeuron(Tensor beta, int neurons) {
        float[] b = Tensors.toArray(beta);
        ArrayNode out = Fixtures.JSON.createArrayNode();
        for (int i = 0; i < neurons; i++) {
            out.add((double) b[b.length == 1 ? 0 : i]);
        }
        return out;
    }
}
