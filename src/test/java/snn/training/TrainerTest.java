package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.SyntheticSpikes;

class TrainerTest {

    static ExperimentConfig config(String kind, String extra) {
        return ConfigLoader.parse("""
                {"name": "t", "seed": 3,
                 "data": {"dataset": "synthetic", "synthetic": {"classes": 4, "channels": 40, "t_len": 40,
                          "train_samples": 400, "test_samples": 200, "jitter": 2.0, "dropout": 0.1,
                          "noise_rate": 0.005}},
                 "model": {"kind": "%s", "hidden": [48] %s},
                 "training": {"epochs": 4, "batch_size": 32, "lr": 0.003, "milestones": [3]}}"""
                .formatted(kind, extra), List.of(), "test");
    }

    @Test
    void everyModelKindLearnsTheSyntheticTaskAndWritesItsRun(@TempDir Path dir) throws Exception {
        for (String[] model : new String[][] {{"dblock", ", \"d\": 4, \"recurrent\": true"}, {"block", ""},
                {"standard", ", \"recurrent\": true"}, {"standard", ", \"recurrent\": true, \"reset\": \"zero\""}}) {
            ExperimentConfig c = config(model[0], model[1]);
            Path run = dir.resolve(model[0] + "-" + c.model().reset());
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            TrainingResult r = new Trainer(c, SyntheticSpikes.splits(c.data().synthetic(), c.seed()),
                    new PrintStream(log, true)).fit(run);
            assertTrue(r.test().accuracy() > 0.6, model[0] + ": chance is 0.25, got " + r.test().accuracy());
            assertEquals(4, r.history().size());
            assertEquals("train_loss", r.selection());
            // The learning rate dropped by gamma after the milestone epoch.
            assertEquals(0.003, r.history().get(2).learningRate(), 1e-12);
            assertEquals(0.0003, r.history().get(3).learningRate(), 1e-12);
            List<String> csv = Files.readAllLines(run.resolve("metrics.csv"));
            assertEquals(5, csv.size());
            assertTrue(csv.get(0).startsWith("epoch,train_loss,train_accuracy,validation_accuracy,test_accuracy"));
            JsonNode summary = ConfigLoader.mapper().readTree(run.resolve("summary.json").toFile());
            assertEquals(r.test().accuracy(), summary.get("test_accuracy").asDouble(), 1e-12);
            assertEquals(r.bestEpoch(), summary.get("best_epoch").asInt());
            JsonNode manifest = ConfigLoader.mapper().readTree(run.resolve("manifest.json").toFile());
            assertEquals(3, manifest.get("seed").asLong());
            assertTrue(manifest.has("torch_threads") && manifest.has("cpu"));
            assertEquals(c, ConfigLoader.mapper().readValue(run.resolve("config.json").toFile(),
                    ExperimentConfig.class), "the resolved config round-trips");
            assertTrue(log.toString().contains("epoch 4/4"), log.toString());
        }
    }

    @Test
    void sameSeedGivesTheSameRun(@TempDir Path dir) {
        ExperimentConfig c = ConfigLoader.parse("""
                {"name": "t", "seed": 11, "data": {"synthetic": {"classes": 3, "channels": 20, "t_len": 30,
                 "train_samples": 96, "test_samples": 32}},
                 "model": {"kind": "dblock", "d": 3, "hidden": [16], "recurrent": true},
                 "training": {"epochs": 2, "batch_size": 32}}""", List.of(), "test");
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        TrainingResult a = new Trainer(c, SyntheticSpikes.splits(c.data().synthetic(), 11), quiet).fit(dir.resolve("a"));
        TrainingResult b = new Trainer(c, SyntheticSpikes.splits(c.data().synthetic(), 11), quiet).fit(dir.resolve("b"));
        for (int i = 0; i < 2; i++) {
            assertEquals(a.history().get(i).trainLoss(), b.history().get(i).trainLoss(), 0.0);
        }
        assertEquals(a.test().accuracy(), b.test().accuracy(), 0.0);
    }
}
