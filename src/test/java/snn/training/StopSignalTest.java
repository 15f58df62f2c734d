package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.SyntheticSpikes;

/**
 * Ctrl-C (SIGINT) or SIGTERM to {@code snn train}, a real process: the batch under way is finished, the epoch
 * abandoned, and the process exits with 130 (143) saying where it stopped and the command that resumes it; that
 * command ends exactly where an uninterrupted run ends.
 */
class StopSignalTest {

    /** Waits until {@code p}'s log contains {@code marker}, then sends it {@code signal}. */
    static void signalWhenLogged(Process p, Path log, String marker, String signal) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(marker)) {
                Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
                assertEquals(0, kill.waitFor(), "kill -" + signal);
                return;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("never logged '" + marker + "':\n" + Files.readString(log));
    }

    /** Starts {@code snn train} into {@code run}, sends it {@code signal} at {@code marker}; returns its output. */
    static String trainAndSignal(Path dir, Path cfg, Path run, String marker, String signal, int status)
            throws Exception {
        Path log = dir.resolve("log.txt");
        Process p = KillResumeTest.start(log, "train", "--config", cfg.toString(), "--out", run.toString());
        signalWhenLogged(p, log, marker, signal);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "training did not stop");
        String out = Files.readString(log);
        assertEquals(status, p.exitValue(), out);
        return out;
    }

    @Test
    void ctrlCStopsCleanlyAndTheResumeCommandItPrintsContinuesBitForBit(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("stop.json");
        Files.writeString(cfg, KillResumeTest.CONFIG);
        ExperimentConfig config = ConfigLoader.load(cfg, List.of());
        new Trainer(config, SyntheticSpikes.splits(config.data().synthetic(), 9),
                new PrintStream(new ByteArrayOutputStream())).fit(dir.resolve("reference"));

        Path run = dir.resolve("run");
        String out = trainAndSignal(dir, cfg, run, "epoch 3/5  batch 4/16 ", "INT", 130);
        assertTrue(out.contains("snn: stopped by SIGINT (Ctrl-C) in epoch 3 after batch "), out);
        assertTrue(out.contains("Epoch 2 is the last completed one, saved in " + run.resolve(RunFolder.STATE)), out);
        assertTrue(out.contains("\n  snn train --resume " + run + "\n"), out);
        assertTrue(!out.contains("\tat "), "no stack trace: " + out);
        assertEquals(3, Files.readAllLines(run.resolve(RunFolder.METRICS)).size(), "the header and epochs 1, 2");

        Path resumeLog = dir.resolve("resume.txt");
        Process resumed = KillResumeTest.start(resumeLog, "train", "--resume", run.toString());
        assertTrue(resumed.waitFor(120, TimeUnit.SECONDS), "the resumed run did not finish");
        assertEquals(0, resumed.exitValue(), Files.readString(resumeLog));
        List<String> expected = Files.readAllLines(dir.resolve("reference").resolve(RunFolder.METRICS));
        List<String> metrics = Files.readAllLines(run.resolve(RunFolder.METRICS));
        assertEquals(expected.size(), metrics.size());
        for (int i = 1; i < expected.size(); i++) {
            String[] a = expected.get(i).split(",");
            String[] b = metrics.get(i).split(",");
            for (int c = 0; c < 7; c++) { // epoch, losses, accuracies, learning rate, spikes; not the timings
                assertEquals(a[c], b[c], "metrics.csv row " + i + " column " + c);
            }
        }
        assertEquals(ConfigLoader.mapper().readTree(dir.resolve("reference").resolve(RunFolder.SUMMARY).toFile())
                .get("test_accuracy"), ConfigLoader.mapper().readTree(run.resolve(RunFolder.SUMMARY).toFile())
                .get("test_accuracy"));
    }

    @Test
    void sigtermStopsWithStatus143(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("stop.json");
        Files.writeString(cfg, KillResumeTest.CONFIG);
        String out = trainAndSignal(dir, cfg, dir.resolve("run"), "epoch 1/5  batch 2/16 ", "TERM", 143);
        assertTrue(out.contains("snn: stopped by SIGTERM in epoch 1 after batch ") && out.contains("No epoch had"
                + " completed, so nothing is saved to resume from"), out);
    }
}
