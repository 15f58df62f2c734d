package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.Datasets;
import snn.data.SyntheticSpikes;

/**
 * The run's TensorBoard event file, decoded by a reader written in Python from the TFRecord and {@code Event}
 * definitions ({@code read_tensorboard_events.py}: its own CRC-32C and protocol-buffer decoder, nothing shared with
 * snn's writer), holds the file version first and then every epoch's metrics at step = epoch.
 */
class TensorBoardEventsTest {

    static final String PYTHON = System.getProperty("snn.python", "/usr/bin/python3");

    static final ExperimentConfig CONFIG = ConfigLoader.parse("""
            {"name": "tb", "seed": 8,
             "data": {"validation_fraction": 0.25, "synthetic": {"classes": 3, "channels": 24, "t_len": 30,
                      "train_samples": 128, "test_samples": 48}},
             "model": {"kind": "dblock", "d": 3, "hidden": [24, 16], "recurrent": true},
             "training": {"epochs": 3, "batch_size": 32, "lr": 0.003, "milestones": [2]}}""", List.of(), "test");

    /** The events of a file as the Python reader decodes them; fails with its message when it refuses the file. */
    static JsonNode read(Path events, Path workDir, boolean expectValid) throws IOException, InterruptedException {
        Path script = workDir.resolve("read_tensorboard_events.py");
        try (InputStream in = TensorBoardEventsTest.class.getResourceAsStream("read_tensorboard_events.py")) {
            Files.write(script, in.readAllBytes());
        }
        Process p = new ProcessBuilder(PYTHON, script.toString(), events.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the reader did not finish");
        if (!expectValid) {
            assertNotEquals(0, p.exitValue(), "a damaged file was read: " + out);
            return ConfigLoader.mapper().getNodeFactory().textNode(out);
        }
        assertEquals(0, p.exitValue(), out);
        return ConfigLoader.mapper().readTree(out);
    }

    static Path eventFile(Path run) throws IOException {
        try (Stream<Path> files = Files.list(run)) {
            List<Path> events = files.filter(f -> f.getFileName().toString().startsWith(RunFolder.TENSORBOARD_EVENTS))
                    .toList();
            assertEquals(1, events.size(), "one event file: " + events);
            return events.get(0);
        }
    }

    @Test
    void everyEpochsMetricsAreScalarsThatAnIndependentReaderDecodes(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        TrainingResult r = new Trainer(CONFIG, Datasets.open(CONFIG.data(), CONFIG.seed()),
                new PrintStream(new ByteArrayOutputStream())).fit(run);
        Path file = eventFile(run);
        JsonNode events = read(file, dir, true);
        assertEquals(1 + r.history().size(), events.size(), events.toString());
        assertEquals("brain.Event:2", events.get(0).get("file_version").asText());
        for (EpochMetrics m : r.history()) {
            JsonNode e = events.get(m.epoch());
            assertEquals(m.epoch(), e.get("step").asInt());
            assertTrue(Math.abs(e.get("wall_time").asDouble() - System.currentTimeMillis() / 1000.0) < 600,
                    "wall time in Unix seconds: " + e);
            JsonNode v = e.get("values");
            assertEquals((float) m.trainLoss(), (float) v.get("train/loss").asDouble(), 0f);
            assertEquals((float) m.trainAccuracy(), (float) v.get("train/accuracy").asDouble(), 0f);
            assertEquals((float) m.validationAccuracy(), (float) v.get("validation/accuracy").asDouble(), 0f);
            assertEquals((float) m.testAccuracy(), (float) v.get("test/accuracy").asDouble(), 0f);
            assertEquals((float) m.learningRate(), (float) v.get("train/learning_rate").asDouble(), 0f);
            assertEquals((float) (double) m.spikesPerSample().get(0),
                    (float) v.get("spikes_per_sample/layer0").asDouble(), 0f);
            assertEquals((float) (double) m.spikesPerSample().get(1),
                    (float) v.get("spikes_per_sample/layer1").asDouble(), 0f);
            assertEquals((float) (m.forwardMs() + m.backwardMs()), (float) v.get("time/ms_per_batch").asDouble(), 0f);
            assertTrue(v.has("time/epoch_seconds"), v.toString());
        }
        assertEquals(0.0003f, (float) events.get(3).get("values").get("train/learning_rate").asDouble(), 1e-9f,
                "the milestone's rate");

        // The reader checks the checksums: one flipped bit in the data of the last record is refused.
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 10] ^= 0x04;
        Path damaged = dir.resolve(RunFolder.TENSORBOARD_EVENTS + "damaged");
        Files.write(damaged, bytes);
        assertTrue(read(damaged, dir, false).asText().contains("CRC"));
    }

    @Test
    void noEventFileWhenTurnedOff(@TempDir Path dir) throws Exception {
        ExperimentConfig off = ConfigLoader.parse(ConfigLoader.mapper().writeValueAsString(CONFIG),
                List.of("training.tensorboard=false", "training.epochs=1"), "test");
        Path run = dir.resolve("run");
        new Trainer(off, SyntheticSpikes.splits(off.data().synthetic(), off.seed()),
                new PrintStream(new ByteArrayOutputStream())).fit(run);
        try (Stream<Path> files = Files.list(run)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith(RunFolder.TENSORBOARD_EVENTS)));
        }
    }
}
