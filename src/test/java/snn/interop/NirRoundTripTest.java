package snn.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import snn.cli.CliRun;
import snn.config.ExperimentConfig;
import snn.interop.nir.NirFile;
import snn.interop.nir.NirGraph;
import snn.interop.nir.NirImporter;
import snn.interop.nir.NirNode;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.runtime.Tensors;

/** snn -> NIR -> snn gives the same network: parameters and outputs bit for bit, config included. */
class NirRoundTripTest {

    static final int T = 12;

    /** Betas at the edges of the mapping: 0, 1 (no leak), raw values outside [0, 1] (used clamped), tiny, ~1. */
    static final float[] EDGE_BETAS = {0f, 1f, 1.3f, -0.2f, 1e-6f, 0.99999994f};

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"kind\": \"standard\", \"hidden\": [6, 5]}",
        "{\"kind\": \"standard\", \"hidden\": [6], \"recurrent\": true}",
        "{\"kind\": \"standard\", \"hidden\": [6, 7], \"recurrent\": true, \"readout\": \"max\"}",
        "{\"kind\": \"standard\", \"hidden\": [6], \"per_neuron_beta\": false, \"learn_beta\": false}"})
    void standardNetworksComeBackIdentical(String model, @TempDir Path dir) {
        ExperimentConfig config = Fixtures.config(model, T);
        SpikingNetwork net = trained(config, 11);
        Checkpoint original = Checkpoint.of(net, config);
        Path file = dir.resolve("net.nir");
        Exporter.export(original, ExportFormat.NIR, Layout.SNN, file);

        NirImporter.Result imported = NirImporter.read(file, NirImporter.Options.defaults());
        Checkpoint back = imported.checkpoint();
        assertEquals(config, back.config(), "the stored config comes back, model included");
        assertEquals(0.001, imported.dtSeconds(), "dt from the file's metadata");
        assertTrue(imported.notes().isEmpty(), "nothing to warn about for snn's own file: " + imported.notes());
        Fixtures.assertSameTensors(clamped(original.parameters()), back.parameters(), "parameters after NIR");

        Tensor x = Fixtures.spikes(5, T, 3);
        assertSpiking(net, x);
        float[] expected = Fixtures.logits(net, x);
        assertArrayEquals(expected, Fixtures.logits(back.network(), x), "identical logits after snn -> NIR -> snn");
    }

    @Test
    void writesTheDocumentedGraph(@TempDir Path dir) {
        ExperimentConfig config = Fixtures.config("{\"kind\": \"standard\", \"hidden\": [6, 5], \"recurrent\": true}",
                T);
        SpikingNetwork net = Fixtures.network(config, 2); // untrained: input biases are zero, recurrent ones are not
        Path file = dir.resolve("graph.nir");
        Exporter.export(Checkpoint.of(net, config), ExportFormat.NIR, Layout.SNN, file);
        NirGraph g = NirFile.read(file);
        assertEquals(Set.of("input", "hidden_0_input", "hidden_0_lif", "hidden_0_recurrent", "hidden_1_input",
                "hidden_1_lif", "hidden_1_recurrent", "readout_input", "readout_li", "output"), g.nodes().keySet());
        assertInstanceOf(NirNode.Linear.class, g.nodes().get("hidden_0_input"), "zero bias: Linear");
        assertInstanceOf(NirNode.Affine.class, g.nodes().get("hidden_0_recurrent"), "recurrent bias: Affine");
        assertInstanceOf(NirNode.Lif.class, g.nodes().get("hidden_1_lif"));
        assertInstanceOf(NirNode.Li.class, g.nodes().get("readout_li"));
        assertTrue(g.edges().contains(new NirGraph.Edge("hidden_1_recurrent", "hidden_1_lif")), "edge back");
        assertEquals(11, g.edges().size());
        assertEquals("subtract", g.metadata().get("reset"));
        assertEquals("sum", g.metadata().get("readout"));
        assertEquals(0.001, g.metadata().get("dt"));
        assertEquals((long) T, g.metadata().get("time_steps"));
        NirNode.Lif lif = (NirNode.Lif) g.nodes().get("hidden_0_lif");
        double beta = (float) Math.exp(-1 / 10.0); // the initial decay (hidden_tau = 10 steps) as float32
        assertEquals(0.001 / (1 - beta), lif.tau()[0], 1e-15);
        assertEquals(1 / (1 - beta), lif.r()[0], 1e-12);
        assertEquals(1.0, lif.vThreshold()[3]);
    }

    @Test
    void cliExportImportAndEvalAgree(@TempDir Path dir) throws Exception {
        ExperimentConfig config = Fixtures.config("{\"kind\": \"standard\", \"hidden\": [8], \"recurrent\": true}",
                T);
        SpikingNetwork net = trained(config, 5);
        assertSpiking(net, Fixtures.spikes(5, T, 3));
        Path checkpoint = dir.resolve("model.pt");
        Checkpoints.save(net, config, checkpoint);
        Path nir = dir.resolve("out/model.nir");
        CliRun export = CliRun.run("export", "--checkpoint", checkpoint.toString(), "--format", "nir", "--out",
                nir.toString());
        assertEquals(0, export.code(), export.err());
        assertTrue(export.out().contains("wrote " + nir), export.out());

        Path imported = dir.resolve("imported.pt");
        CliRun in = CliRun.run("import", "--nir", nir.toString(), "--out", imported.toString());
        assertEquals(0, in.code(), in.err());
        assertTrue(in.out().contains("4 inputs -> [8] LIF (recurrent), subtract reset -> 3 LI") && in.out().contains("dt = 0.001 s"),
                in.out());
        assertFalse(in.out().contains("note:"), in.out());
        Fixtures.assertSameTensors(clamped(Parameters.named(net)), Checkpoints.load(imported).parameters(),
                "imported checkpoint");

        String a = evalPrints(checkpoint);
        assertTrue(a.contains("test accuracy") && a.contains("confusion matrix"), a);
        assertEquals(a, evalPrints(imported), "snn eval prints the same accuracy, loss, spikes and confusion matrix");

        CliRun layout = CliRun.run("export", "--checkpoint", checkpoint.toString(), "--format", "nir", "--layout",
                "reference", "--out", dir.resolve("x.nir").toString());
        assertEquals(2, layout.code());
        assertTrue(layout.err().contains("--layout"), layout.err());
        assertFalse(Files.exists(dir.resolve("x.nir")));
    }

    /**
     * A network trained a few steps (so weights, biases and betas move), with edge-case betas in layer 0 and its
     * input weights tripled so that every hidden layer spikes.
     */
    static SpikingNetwork trained(ExperimentConfig config, long seed) {
        SpikingNetwork net = Fixtures.network(config, seed);
        Fixtures.train(net, T, 3);
        for (int i = 0; i < config.model().hidden().size(); i++) {
            String name = "hidden." + i + ".input.weight";
            Tensor w = Parameters.named(net).get(name);
            Parameters.load(net, Map.of(name, w.mul(new org.bytedeco.pytorch.Scalar(3.0))));
        }
        if (config.model().perNeuronBeta()) {
            float[] beta = Tensors.toArray(Parameters.named(net).get("hidden.0.beta"));
            System.arraycopy(EDGE_BETAS, 0, beta, 0, Math.min(beta.length, EDGE_BETAS.length));
            Parameters.load(net, Map.of("hidden.0.beta", Tensors.fromArray(beta, beta.length)));
        }
        return net;
    }

    @Test
    void timeConstantsForAnotherStepComeBackToTheSameNetwork(@TempDir Path dir) {
        ExperimentConfig config = Fixtures.config("{\"kind\": \"standard\", \"hidden\": [6], \"recurrent\": true}",
                T);
        SpikingNetwork net = trained(config, 13);
        Path checkpoint = dir.resolve("model.pt");
        Checkpoints.save(net, config, checkpoint);
        Path nir = dir.resolve("snntorch.nir");
        CliRun export = CliRun.run("export", "--checkpoint", checkpoint.toString(), "--format", "nir", "--dt", "1e-4",
                "--out", nir.toString());
        assertEquals(0, export.code(), export.err());
        assertTrue(export.out().contains("time constants for dt = 1.0E-4 s"), export.out());
        NirGraph g = NirFile.read(nir);
        assertEquals(1e-4, g.metadata().get("dt"));
        float beta = Tensors.toArray(Parameters.named(net).get("hidden.0.beta"))[5];
        assertEquals(1e-4 / (1 - (double) beta), ((NirNode.Lif) g.nodes().get("hidden_0_lif")).tau()[5], 1e-18);

        NirImporter.Result back = NirImporter.read(nir, NirImporter.Options.defaults());
        assertEquals(1e-4, back.dtSeconds());
        Tensor x = Fixtures.spikes(5, T, 4);
        assertArrayEquals(Fixtures.logits(net, x), Fixtures.logits(back.checkpoint().network(), x));
        // Read with the wrong step, the same file is another network: the step matters.
        NirImporter.Result wrong = NirImporter.read(nir, NirImporter.Options.defaults().withDt(5e-5));
        assertFalse(java.util.Arrays.equals(Fixtures.logits(net, x), Fixtures.logits(wrong.checkpoint().network(), x)));

        CliRun bad = CliRun.run("export", "--checkpoint", checkpoint.toString(), "--format", "torch", "--dt", "1e-4",
                "--out", dir.resolve("x.pt").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--format nir only"), bad.err());
    }

    /** What {@code snn eval --checkpoint FILE} prints; fails unless it succeeds. */
    static String evalPrints(Path checkpoint) {
        CliRun run = CliRun.run("eval", "--checkpoint", checkpoint.toString());
        assertEquals(0, run.code(), run.err());
        return run.out();
    }

    static void assertSpiking(SpikingNetwork net, Tensor x) {
        for (Tensor s : net.forward(x).hiddenSpikes()) {
            double rate = s.mean().item_double();
            assertTrue(rate > 0.02 && rate < 0.9, "a hidden layer spikes in " + rate + " of its neuron-steps; the"
                    + " comparison needs spiking layers");
        }
    }

    /** The parameters with betas as the network uses them (clamped to [0, 1]), which is what NIR holds. */
    static Map<String, Tensor> clamped(Map<String, Tensor> parameters) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        parameters.forEach((k, v) -> {
            if (k.endsWith("beta")) {
                float[] b = Tensors.toArray(v);
                for (int i = 0; i < b.length; i++) {
                    b[i] = Math.min(1f, Math.max(0f, b[i]));
                }
                out.put(k, Tensors.fromArray(b, b.length));
            } else {
                out.put(k, v);
            }
        });
        return out;
    }
}
