package snn.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import snn.cli.CliRun;
import snn.config.ExperimentConfig;
import snn.config.ModelConfig;
import snn.core.InteropException;
import snn.data.Datasets;
import snn.data.SpikeDataset;
import snn.interop.nir.NirFile;
import snn.interop.nir.NirImporter;
import snn.models.Inference;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.training.Evaluator;

/** Networks NIR cannot describe: refused by default, written as their LIF stand-in with --approximate. */
class NirApproximationTest {

    static final int T = 20;

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"kind\": \"block\", \"hidden\": [6]}",
        "{\"kind\": \"dblock\", \"hidden\": [6], \"d\": 4, \"recurrent\": true}",
        "{\"kind\": \"standard\", \"hidden\": [6], \"single_spike\": true}"})
    void refusedByDefaultWithTheReasonAndTheWayOut(String model, @TempDir Path dir) {
        ExperimentConfig config = Fixtures.config(model, T);
        Checkpoint checkpoint = Checkpoint.of(Fixtures.network(config, 1), config);
        Path out = dir.resolve("net.nir");
        InteropException e = assertThrows(InteropException.class,
                () -> Exporter.export(checkpoint, ExportFormat.NIR, Layout.SNN, out));
        assertTrue(e.getMessage().contains("NIR has no") && e.getMessage().contains("--approximate"), e.getMessage());

        Path saved = dir.resolve("model.pt");
        Exporter.export(checkpoint, ExportFormat.TORCH, Layout.SNN, saved);
        CliRun cli = CliRun.run("export", "--checkpoint", saved.toString(), "--format", "nir", "--out",
                out.toString());
        assertEquals(2, cli.code());
        assertTrue(cli.err().startsWith("snn: cannot write this ") && cli.err().contains("--approximate"), cli.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void approximateWritesTheLifNetworkAndMeasuresItOnTheTestData(@TempDir Path dir) throws Exception {
        ExperimentConfig config = Fixtures.config("{\"kind\": \"dblock\", \"hidden\": [8], \"d\": 4,"
                + " \"recurrent\": true}", T);
        SpikingNetwork dblock = NirRoundTripTest.trained(config, 6); // spiking, with edge-case betas
        Path saved = dir.resolve("model.pt");
        Checkpoints.save(dblock, config, saved);
        Path out = dir.resolve("approx.nir");
        CliRun cli = CliRun.run("export", "--checkpoint", saved.toString(), "--format", "nir", "--approximate",
                "--out", out.toString());
        assertEquals(0, cli.code(), cli.err());

        // The file holds the standard LIF network with the d-block network's weights and decays.
        NirImporter.Result imported = NirImporter.read(out, NirImporter.Options.defaults());
        Checkpoint lif = imported.checkpoint();
        ModelConfig m = lif.config().model();
        assertEquals(ModelConfig.Kind.STANDARD, m.kind());
        assertFalse(m.singleSpike());
        assertTrue(m.recurrent());
        Fixtures.assertSameTensors(NirRoundTripTest.clamped(Parameters.named(dblock)), lif.parameters(),
                "the LIF stand-in's parameters");

        // The reported figures, recomputed here sample by sample.
        SpikeDataset test = Datasets.open(config.data(), config.seed()).test();
        int[] all = IntStream.range(0, test.size()).toArray();
        int[] a = Inference.predict(dblock, test, all);
        int[] b = Inference.predict(lif.network(), test, all);
        int agree = 0;
        int rightA = 0;
        int rightB = 0;
        for (int i = 0; i < all.length; i++) {
            agree += a[i] == b[i] ? 1 : 0;
            rightA += a[i] == test.label(i) ? 1 : 0;
            rightB += b[i] == test.label(i) ? 1 : 0;
        }
        // Accuracy also from the trainer's evaluator, which shares no code with the comparison.
        assertEquals(Evaluator.evaluate(dblock, test, 64).accuracy(), (double) rightA / all.length, 1e-12);
        assertEquals(Evaluator.evaluate(lif.network(), test, 64).accuracy(), (double) rightB / all.length, 1e-12);
        String expected = String.format(Locale.ROOT, "on %d test samples the LIF network predicts the same class as"
                + " the d-block (d = 4) network for %.2f %%; test accuracy %.2f %% (d-block (d = 4)) and %.2f %% (LIF)",
                all.length, 100.0 * agree / all.length, 100.0 * rightA / all.length, 100.0 * rightB / all.length);
        assertTrue(cli.out().contains(expected), "expected '" + expected + "' in:\n" + cli.out());
        assertTrue(agree < all.length, "the stand-in is a different network: some predictions differ (" + agree
                + " of " + all.length + " agree)");

        JsonNode report = Fixtures.JSON.readTree((String) NirFile.read(out).metadata().get("approximation"));
        assertEquals("dblock", report.get("source_kind").asText());
        assertEquals(4, report.get("d").asInt());
        assertEquals(all.length, report.get("samples").asInt());
        assertEquals((double) agree / all.length, report.get("agreement").asDouble(), 1e-12);
        assertEquals((double) rightA / all.length, report.get("source_accuracy").asDouble(), 1e-12);
        assertEquals((double) rightB / all.length, report.get("lif_accuracy").asDouble(), 1e-12);
    }

    @Test
    void aStandardNetworkIsItsOwnApproximation(@TempDir Path dir) {
        ExperimentConfig config = Fixtures.config("{\"kind\": \"standard\", \"hidden\": [8]}", T);
        Path saved = dir.resolve("model.pt");
        Checkpoints.save(Fixtures.network(config, 3), config, saved);
        CliRun cli = CliRun.run("export", "--checkpoint", saved.toString(), "--format", "nir", "--approximate",
                "--out", dir.resolve("same.nir").toString());
        assertEquals(0, cli.code(), cli.err());
        assertTrue(cli.out().contains("predicts the same class as the standard LIF network for 100.00 %"), cli.out());

        CliRun misuse = CliRun.run("export", "--checkpoint", saved.toString(), "--format", "torch", "--approximate",
                "--out", dir.resolve("x.pt").toString());
        assertEquals(2, misuse.code());
        assertTrue(misuse.err().contains("--format nir only"), misuse.err());
    }
}
