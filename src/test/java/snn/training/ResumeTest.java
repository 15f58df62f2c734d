package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.CrashingDataset;
import snn.data.DatasetSplits;
import snn.data.SyntheticSpikes;
import snn.core.TrainingException;

/** A run stopped in the middle of an epoch and resumed ends exactly as an uninterrupted run. */
class ResumeTest {

    static final ObjectMapper JSON = ConfigLoader.mapper();

    static final ExperimentConfig CONFIG = ConfigLoader.parse("""
            {"name": "resume", "seed": 5,
             "data": {"synthetic": {"classes": 3, "channels": 24, "t_len": 30, "train_samples": 160,
                      "test_samples": 48}},
             "model": {"kind": "dblock", "d": 3, "hidden": [24], "recurrent": true},
             "training": {"epochs": 4, "batch_size": 32, "lr": 0.003, "milestones": [2]}}""", List.of(), "test");

    /** The d-block config, and the standard LIF with the zero reset. */
    @ParameterizedTest
    @ValueSource(strings = {"", "model.kind=\"standard\";model.d=null;model.reset=\"zero\""})
    void resumedRunMatchesAnUninterruptedOneExactly(String overrides, @TempDir Path dir) {
        ExperimentConfig config = overrides.isEmpty() ? CONFIG
                : ConfigLoader.parse(JSON.valueToTree(CONFIG).toString(), List.of(overrides.split(";")), "test");
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        DatasetSplits data = SyntheticSpikes.splits(config.data().synthetic(), config.seed());
        TrainingResult whole = new Trainer(config, data, quiet).fit(dir.resolve("whole"));

        Path broken = dir.resolve("broken");
        // 160 samples per epoch: crash during the third epoch (after 2.5 epochs of samples).
        DatasetSplits crashing = new DatasetSplits(new CrashingDataset(data.train(), 400), null,
                data.test());
        assertThrows(IllegalStateException.class, () -> new Trainer(config, crashing, quiet).fit(broken));
        assertTrue(Files.exists(broken.resolve(TrainingState.FILE)));

        TrainingResult resumed = new Trainer(config, data, quiet).resume(broken);
        assertEquals(whole.history().size(), resumed.history().size());
        for (int i = 0; i < whole.history().size(); i++) {
            EpochMetrics a = whole.history().get(i);
            EpochMetrics b = resumed.history().get(i);
            assertEquals(a.trainLoss(), b.trainLoss(), 0.0, "train loss of epoch " + (i + 1));
            assertEquals(a.testAccuracy(), b.testAccuracy(), 0.0, "test accuracy of epoch " + (i + 1));
            assertEquals(a.learningRate(), b.learningRate(), 0.0);
        }
        assertEquals(whole.bestEpoch(), resumed.bestEpoch());
        assertEquals(whole.test().accuracy(), resumed.test().accuracy(), 0.0);
        assertEquals(whole.test().loss(), resumed.test().loss(), 0.0);
    }

    @Test
    void resumeWithMoreEpochsKeepsTheStartManifestAndRecordsTheChange(@TempDir Path dir) throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        DatasetSplits data = SyntheticSpikes.splits(CONFIG.data().synthetic(), CONFIG.seed());
        ExperimentConfig twoEpochs = ConfigLoader.parse(JSON.writeValueAsString(CONFIG),
                List.of("training.epochs=2"), "test");
        Path run = dir.resolve("run");
        new Trainer(twoEpochs, data, quiet).fit(run);
        // Mark the start's manifest, as a different code version would.
        ObjectNode start = (ObjectNode) JSON.readTree(run.resolve("manifest.json").toFile());
        start.put("git_commit", "start-commit");
        Files.writeString(run.resolve("manifest.json"), JSON.writeValueAsString(start));

        ExperimentConfig longer = ConfigLoader.load(run.resolve("config.json"), List.of("training.epochs=3"));
        TrainingResult resumed = new Trainer(longer, data, quiet).resume(run);

        assertEquals(3, resumed.history().size());
        JsonNode manifest = JSON.readTree(run.resolve("manifest.json").toFile());
        assertEquals("start-commit", manifest.get("git_commit").asText(), "the start's provenance is kept");
        assertEquals(1, manifest.get("resumes").size());
        JsonNode resume = manifest.get("resumes").get(0);
        assertEquals(2, resume.get("after_epoch").asInt());
        assertTrue(resume.has("git_commit") && resume.has("time"), resume.toString());
        assertEquals("2 -> 3", resume.get("config_changes").get("training.epochs").asText());
        assertEquals(1, resume.get("config_changes").size(), "only the epochs changed: " + resume);
        assertEquals(3, ConfigLoader.load(run.resolve("config.json"), List.of()).training().epochs(),
                "config.json is the config now in effect");
    }

    @Test
    void resumingARunWithoutStateSaysSo(@TempDir Path dir) {
        TrainingException e = assertThrows(TrainingException.class, () -> new Trainer(CONFIG,
                SyntheticSpikes.splits(CONFIG.data().synthetic(), 5), new PrintStream(new ByteArrayOutputStream()))
                .resume(dir));
        assertTrue(e.getMessage().contains("cannot resume"), e.getMessage());
    }
}
