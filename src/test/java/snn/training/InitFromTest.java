package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import snn.cli.CliRun;
import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.ConfigException;
import snn.data.DatasetSplits;
import snn.data.SyntheticSpikes;

/** {@code training.init_from} ({@code snn train --init}): fine-tuning starts from a trained network's parameters. */
class InitFromTest {

    static final String CONFIG = """
            {"name": "init", "seed": 4,
             "data": {"synthetic": {"classes": 4, "channels": 30, "t_len": 30, "train_samples": 256,
                      "test_samples": 128, "jitter": 2.0}},
             "model": {"kind": "standard", "hidden": [24], "recurrent": true},
             "training": {"epochs": %d, "batch_size": 32, "lr": %s}}""";

    @Test
    void aRunStartsFromTheCheckpointItIsGiven(@TempDir Path dir) throws Exception {
        ExperimentConfig first = ConfigLoader.parse(CONFIG.formatted(4, "0.005"), List.of(), "first");
        DatasetSplits data = SyntheticSpikes.splits(first.data().synthetic(), first.seed());
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        TrainingResult trained = new Trainer(first, data, quiet).fit(dir.resolve("trained"));
        assertTrue(trained.test().accuracy() > 0.6, "chance is 0.25: " + trained.test().accuracy());

        // One epoch at a learning rate too small to matter: from the checkpoint it scores what the checkpoint
        // scores; from a random start it stays near chance.
        ExperimentConfig again = ConfigLoader.parse(CONFIG.formatted(1, "1e-9"),
                List.of("training.init_from=\"" + trained.model() + "\""), "again");
        TrainingResult tuned = new Trainer(again, data, quiet).fit(dir.resolve("tuned"));
        assertEquals(trained.test().accuracy(), tuned.history().get(0).testAccuracy(), 0.01);
        ExperimentConfig fresh = ConfigLoader.parse(CONFIG.formatted(1, "1e-9"), List.of(), "fresh");
        TrainingResult random = new Trainer(fresh, data, quiet).fit(dir.resolve("fresh"));
        assertTrue(random.history().get(0).testAccuracy() < trained.test().accuracy() - 0.2,
                random.history().get(0).testAccuracy() + " vs " + trained.test().accuracy());

        JsonNode manifest = ConfigLoader.mapper().readTree(dir.resolve("tuned/manifest.json").toFile());
        assertEquals(trained.model().toAbsolutePath().toString(), manifest.get("init_from").get("file").asText());
        assertEquals(64, manifest.get("init_from").get("sha256").asText().length());
    }

    @Test
    void aMissingOrMismatchedCheckpointIsNamed(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("c.json");
        Files.writeString(config, CONFIG.formatted(1, "0.001"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(config,
                List.of("training.init_from=\"" + dir.resolve("nope.pt") + "\"")));
        assertTrue(e.getMessage().contains("training.init_from") && e.getMessage().contains("nope.pt"),
                e.getMessage());

        // A checkpoint of another shape: the CLI names the file and the first parameter that does not fit.
        ExperimentConfig small = ConfigLoader.parse(CONFIG.formatted(1, "0.001"), List.of("model.hidden=[8]"), "s");
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Path other = new Trainer(small, SyntheticSpikes.splits(small.data().synthetic(), 4), quiet)
                .fit(dir.resolve("small")).model();
        CliRun r = CliRun.run("train", "--config", config.toString(), "--init", other.toString(), "--out",
                dir.resolve("run").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(other.toString()), r.err());
    }

    /**
     * {@code train --init CHECKPOINT --as-lif zero}: one command from a d-block network to a standard LIF network
     * with NIR's reset, started from its weights, with the checkpoint's own config when no --config is given.
     */
    @Test
    void asLifFineTunesABlockNetworkAsAStandardLifNetwork(@TempDir Path dir) throws Exception {
        ExperimentConfig dblock = ConfigLoader.parse(CONFIG.formatted(4, "0.005"),
                List.of("model.kind=\"dblock\"", "model.d=5"), "dblock");
        DatasetSplits data = SyntheticSpikes.splits(dblock.data().synthetic(), dblock.seed());
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        TrainingResult trained = new Trainer(dblock, data, quiet).fit(dir.resolve("dblock"));

        CliRun dry = CliRun.run("train", "--init", trained.model().toString(), "--as-lif", "zero", "--dry-run");
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().contains("LIF multi-spike, reset to zero, recurrent"), dry.out());

        Path out = dir.resolve("lif");
        CliRun r = CliRun.run("train", "--init", trained.model().toString(), "--as-lif", "zero", "--set",
                "training.epochs=1", "--set", "training.lr=1e-9", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        ExperimentConfig lif = ConfigLoader.load(out.resolve("config.json"), List.of());
        assertEquals("init_lif", lif.name());
        assertEquals(snn.config.ModelConfig.Kind.STANDARD, lif.model().kind());
        assertEquals(snn.neurons.LifLayer.Reset.ZERO, lif.model().reset());
        assertEquals(null, lif.model().d());
        assertEquals(dblock.model().hidden(), lif.model().hidden());
        assertTrue(lif.model().recurrent());
        assertEquals(1, lif.training().epochs(), "--set applies after the conversion");
        JsonNode manifest = ConfigLoader.mapper().readTree(out.resolve("manifest.json").toFile());
        assertEquals(trained.model().toAbsolutePath().toString(), manifest.get("init_from").get("file").asText());
        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(2, csv.size());

        CliRun noInit = CliRun.run("train", "--config", dir.resolve("dblock/config.json").toString(), "--as-lif",
                "zero");
        assertEquals(2, noInit.code(), noInit.err());
        assertTrue(noInit.err().contains("--as-lif") && noInit.err().contains("--init"), noInit.err());
        CliRun bad = CliRun.run("train", "--init", trained.model().toString(), "--as-lif", "hard");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("subtract or zero") && bad.err().contains("hard"), bad.err());
    }
}
