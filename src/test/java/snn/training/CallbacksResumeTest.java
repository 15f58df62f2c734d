package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import snn.cli.CliRun;
import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.TrainingException;
import snn.data.CrashingDataset;
import snn.data.DatasetSplits;
import snn.data.SyntheticSpikes;

/**
 * The protocol's optional callbacks (kept checkpoints, early stopping, the step, cosine and plateau schedules,
 * TensorBoard scalars) each do what they say, and a run with each of them, crashed in the middle of an epoch and
 * resumed, ends exactly as the uninterrupted run: every epoch's metrics, the learning rates, the selected epoch, the
 * final test evaluation and the TensorBoard scalars.
 */
class CallbacksResumeTest {

    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    /** 96 training samples, 3 batches of 32 per epoch, 6 epochs. */
    static ExperimentConfig config(String... overrides) {
        return ConfigLoader.parse("""
                {"name": "cb", "seed": 21,
                 "data": {"synthetic": {"classes": 3, "channels": 24, "t_len": 30, "train_samples": 96,
                          "test_samples": 48}},
                 "model": {"kind": "dblock", "d": 3, "hidden": [24], "recurrent": true},
                 "training": {"epochs": 6, "batch_size": 32, "lr": 0.005}}""", List.of(overrides), "test");
    }

    static final String[][] FEATURES = {
        {"training.checkpoint_every=2", "training.keep_checkpoints=2"},
        {"training.early_stopping={\"metric\": \"train_accuracy\", \"patience\": 3, \"min_delta\": 0.5}"},
        {"training.schedule={\"kind\": \"step\", \"step_size\": 2}", "training.gamma=0.5"},
        {"training.schedule={\"kind\": \"cosine\", \"min_lr\": 0.0001}"},
        {"training.schedule={\"kind\": \"plateau\", \"patience\": 1, \"min_delta\": 0.05}", "training.gamma=0.5"},
    };

    static void assertSameRun(TrainingResult expected, TrainingResult actual, String what) {
        assertEquals(expected.history().size(), actual.history().size(), what + ": epochs");
        for (int i = 0; i < expected.history().size(); i++) {
            EpochMetrics a = expected.history().get(i);
            EpochMetrics b = actual.history().get(i);
            String at = what + ", epoch " + (i + 1);
            assertEquals(a.trainLoss(), b.trainLoss(), 0.0, at + ": train loss");
            assertEquals(a.trainAccuracy(), b.trainAccuracy(), 0.0, at + ": train accuracy");
            assertEquals(a.testAccuracy(), b.testAccuracy(), 0.0, at + ": test accuracy");
            assertEquals(a.learningRate(), b.learningRate(), 0.0, at + ": learning rate");
            assertEquals(a.spikesPerSample(), b.spikesPerSample(), at + ": spikes");
        }
        assertEquals(expected.bestEpoch(), actual.bestEpoch(), what + ": selected epoch");
        assertEquals(expected.test().accuracy(), actual.test().accuracy(), 0.0, what + ": test accuracy");
        assertEquals(expected.test().loss(), actual.test().loss(), 0.0, what + ": test loss");
    }

    /** The TensorBoard scalars other than timings, per step, as the independent reader decodes them. */
    static List<String> scalars(Path run, Path workDir) throws Exception {
        List<String> out = new ArrayList<>();
        JsonNode events = TensorBoardEventsTest.read(TensorBoardEventsTest.eventFile(run), workDir, true);
        for (JsonNode e : events) {
            if (e.has("values")) {
                e.get("values").fields().forEachRemaining(v -> {
                    if (!v.getKey().startsWith("time/")) {
                        out.add(e.get("step") + " " + v.getKey() + " " + v.getValue());
                    }
                });
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4})
    void aCrashedRunWithTheFeatureResumesToTheUninterruptedResult(int feature, @TempDir Path dir) throws Exception {
        ExperimentConfig c = config(FEATURES[feature]);
        String what = String.join(" ", FEATURES[feature]);
        DatasetSplits data = SyntheticSpikes.splits(c.data().synthetic(), c.seed());
        TrainingResult whole = new Trainer(c, data, QUIET).fit(dir.resolve("whole"));

        Path broken = dir.resolve("broken");
        // Crash in the third epoch (96 samples per epoch; the loader reads a batch ahead).
        DatasetSplits crashing = new DatasetSplits(new CrashingDataset(data.train(), 96 * 2 + 40), null, data.test());
        assertThrows(IllegalStateException.class, () -> new Trainer(c, crashing, QUIET).fit(broken));
        assertTrue(Files.exists(broken.resolve(RunFolder.STATE)), what);
        TrainingResult resumed = new Trainer(c, data, QUIET).resume(broken);
        assertSameRun(whole, resumed, what);
        assertEquals(Files.readAllLines(dir.resolve("whole").resolve(RunFolder.METRICS)).size(),
                Files.readAllLines(broken.resolve(RunFolder.METRICS)).size(), what);
        assertEquals(scalars(dir.resolve("whole"), dir), scalars(broken, dir), what + ": TensorBoard scalars");

        switch (feature) {
            case 0 -> assertEquals(List.of(4, 6), new RunFolder(broken).checkpointEpochs(), "the last 2 of 2, 4, 6");
            case 1 -> assertEquals(4, whole.history().size(), "stops when train accuracy has not risen by 0.5 for"
                    + " 3 epochs after epoch 1: " + whole.history());
            case 2 -> assertEquals(List.of(0.005, 0.005, 0.0025, 0.0025, 0.00125, 0.00125), rates(whole));
            case 3 -> {
                assertEquals(0.005, rates(whole).get(0), 0.0);
                assertEquals(0.0001, rates(whole).get(5), 1e-15);
                for (int i = 1; i < 6; i++) {
                    assertTrue(rates(whole).get(i) < rates(whole).get(i - 1), "cosine decreases: " + rates(whole));
                }
            }
            case 4 -> assertTrue(rates(whole).get(5) < 0.005, "the plateau lowered the rate: " + rates(whole));
            default -> throw new IllegalArgumentException();
        }
    }

    static List<Double> rates(TrainingResult r) {
        return r.history().stream().map(EpochMetrics::learningRate).toList();
    }

    @Test
    void aRunResumesFromAnyKeptCheckpoint(@TempDir Path dir) {
        ExperimentConfig c = config("training.checkpoint_every=1", "training.schedule={\"kind\": \"plateau\","
                + " \"patience\": 1, \"min_delta\": 0.05}");
        DatasetSplits data = SyntheticSpikes.splits(c.data().synthetic(), c.seed());
        Path run = dir.resolve("run");
        TrainingResult whole = new Trainer(c, data, QUIET).fit(run);
        assertEquals(List.of(1, 2, 3, 4, 5, 6), new RunFolder(run).checkpointEpochs());
        for (int epoch : new int[] {5, 2}) {
            TrainingResult again = new Trainer(c, data, QUIET).resume(run, epoch);
            assertSameRun(whole, again, "resumed from epoch " + epoch);
        }
        TrainingException e = assertThrows(TrainingException.class, () -> new Trainer(c, data, QUIET).resume(run, 9));
        assertTrue(e.getMessage().contains("epoch-0009.pt") && e.getMessage().contains("[1, 2, 3, 4, 5, 6]"),
                e.getMessage());
    }

    @Test
    void resumingAFinishedRunSaysHowToExtendIt(@TempDir Path dir) {
        ExperimentConfig c = config("training.epochs=2");
        DatasetSplits data = SyntheticSpikes.splits(c.data().synthetic(), c.seed());
        Path run = dir.resolve("run");
        TrainingResult first = new Trainer(c, data, QUIET).fit(run);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainingResult again = new Trainer(c, data, new PrintStream(log, true)).resume(run);
        assertEquals(first.history(), again.history());
        assertTrue(log.toString().contains("the run has trained all its 2 epochs; to train it for longer, resume it"
                + " with more epochs, e.g.: snn train --resume " + run + " --set training.epochs=12"), log.toString());
    }

    @Test
    void aSilentHiddenLayerIsReportedOnce(@TempDir Path dir) {
        // No input spikes at all, and a membrane that forgets within a step: the layer never fires.
        ExperimentConfig c = config("training.epochs=2", "model.hidden_tau=0.2", "data.synthetic.noise_rate=0.0",
                "data.synthetic.dropout=1.0");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainingResult r = new Trainer(c, SyntheticSpikes.splits(c.data().synthetic(), c.seed()),
                new PrintStream(log, true)).fit(dir.resolve("run"));
        String out = log.toString();
        assertEquals(0.0, r.history().get(1).spikesPerSample().get(0), 0.0, out);
        assertEquals(1, out.split("fired no spike", -1).length - 1, out);
        assertTrue(out.contains("warning: hidden layer 1 fired no spike in epoch 1") && out.contains("input scale")
                && out.contains("model.hidden_tau") && out.contains("initialisation"), out);
    }

    @Test
    void theCommandLineResumesFromAKeptCheckpoint(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("cb.json");
        Files.writeString(cfg, ConfigLoader.mapper().writeValueAsString(config("training.epochs=2",
                "training.checkpoint_every=1")));
        Path run = dir.resolve("run");
        CliRun first = CliRun.run("train", "--config", cfg.toString(), "--out", run.toString());
        assertEquals(0, first.code(), first.err());
        List<String> metrics = Files.readAllLines(run.resolve(RunFolder.METRICS));

        CliRun again = CliRun.run("train", "--resume", run.toString(), "--from-epoch", "1");
        assertEquals(0, again.code(), again.err());
        JsonNode resumes = ConfigLoader.mapper().readTree(run.resolve(RunFolder.MANIFEST).toFile()).get("resumes");
        assertEquals(1, resumes.get(0).get("after_epoch").asInt(), resumes.toString());
        List<String> after = Files.readAllLines(run.resolve(RunFolder.METRICS));
        for (int i = 0; i < metrics.size(); i++) {
            assertEquals(List.of(metrics.get(i).split(",")).subList(0, 7),
                    List.of(after.get(i).split(",")).subList(0, 7), "metrics.csv row " + i);
        }

        CliRun missing = CliRun.run("train", "--resume", run.toString(), "--from-epoch", "5");
        assertEquals(2, missing.code(), missing.err());
        assertTrue(missing.err().contains("cannot resume " + run + " from epoch 5") && missing.err().contains(
                "kept epochs: [1, 2]"), missing.err());
        CliRun alone = CliRun.run("train", "--config", cfg.toString(), "--from-epoch", "1");
        assertEquals(2, alone.code(), alone.err());
        assertTrue(alone.err().contains("--from-epoch goes with --resume RUN_DIR"), alone.err());
    }
}
