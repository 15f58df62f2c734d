package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.SyntheticSpikes;
import snn.launcher.Launcher;

/**
 * Crash safety: a training process killed with SIGKILL at random moments always leaves a consistent state that
 * {@code --resume} continues, and the resumed run ends exactly as an uninterrupted one.
 */
class KillResumeTest {

    static final String CONFIG = """
            {"name": "kill", "seed": 9,
             "data": {"synthetic": {"classes": 3, "channels": 24, "t_len": 30, "train_samples": 256,
                      "test_samples": 64}},
             "model": {"kind": "dblock", "d": 3, "hidden": [24], "recurrent": true},
             "training": {"epochs": 5, "batch_size": 16, "lr": 0.003, "milestones": [3]}}""";

    static Process start(Path log, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(Launcher.jvmFlags(Runtime.version().feature()));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "snn.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Kills {@code p} with SIGKILL as soon as its log contains {@code marker}; false if it ended first. */
    static boolean killWhenLogged(Process p, Path log, String marker) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(marker)) {
                p.destroyForcibly().waitFor();
                return true;
            }
            Thread.sleep(5);
        }
        return false;
    }

    @Test
    void killedTrainingResumesToTheUninterruptedResult(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("kill.json");
        Files.writeString(cfg, CONFIG);
        ExperimentConfig config = ConfigLoader.load(cfg, List.of());
        TrainingResult reference = new Trainer(config, SyntheticSpikes.splits(config.data().synthetic(), 9),
                new PrintStream(new ByteArrayOutputStream())).fit(dir.resolve("reference"));

        Path run = dir.resolve("run");
        Random random = new Random(20261126);
        int kills = 0;
        int exitCode = -1;
        Path log = null;
        for (int attempt = 0; attempt < 8 && exitCode != 0; attempt++) {
            log = dir.resolve("log" + attempt + ".txt");
            boolean resumable = Files.exists(run.resolve(TrainingState.FILE));
            Process p = resumable ? start(log, "train", "--resume", run.toString())
                    : start(log, "train", "--config", cfg.toString(), "--out", run.toString(), "--force");
            if (kills < 3) {
                // Kill in the middle of epoch kills + 1, at a random batch (progress prints every batch here).
                String marker = "epoch " + (kills + 1) + "/5  batch " + (1 + random.nextInt(15)) + "/16 ";
                if (killWhenLogged(p, log, marker)) {
                    kills++;
                    continue;
                }
            }
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "training did not finish");
            exitCode = p.exitValue();
            assertEquals(0, exitCode, Files.readString(log));
        }
        assertEquals(3, kills, "the test kills the process three times");
        assertEquals(0, exitCode, Files.readString(log));
        JsonNode summary = ConfigLoader.mapper().readTree(run.resolve("summary.json").toFile());
        assertEquals(reference.test().accuracy(), summary.get("test_accuracy").asDouble(), 0.0);
        assertEquals(reference.bestEpoch(), summary.get("best_epoch").asInt());
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        List<String> expected = Files.readAllLines(dir.resolve("reference/metrics.csv"));
        assertEquals(expected.size(), metrics.size());
        for (int i = 1; i < expected.size(); i++) {
            // Losses and accuracies match exactly; the timings (the later columns) naturally differ.
            String[] a = expected.get(i).split(",");
            String[] b = metrics.get(i).split(",");
            for (int c = 0; c < 6; c++) {
                assertEquals(a[c], b[c], "metrics.csv row " + i + " column " + c);
            }
        }
    }
}
