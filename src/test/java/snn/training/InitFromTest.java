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
}
