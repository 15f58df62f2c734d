package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import snn.config.ConfigLoader;
import snn.core.TrainingException;

/**
 * A run folder has one writer at a time: a second training into it (with {@code --force} too) is refused with the
 * first's process id, and the lock a killed training leaves behind is taken over. With real {@code snn train}
 * processes, since the lock is the operating system's and ends with its process.
 */
class RunFolderLockTest {

    /** Long enough to be still training while the second process starts (about a second per epoch). */
    static final String SLOW = """
            {"name": "slow", "seed": 3,
             "data": {"synthetic": {"classes": 3, "channels": 24, "t_len": 30, "train_samples": 512,
                      "test_samples": 64}},
             "model": {"kind": "dblock", "d": 3, "hidden": [24], "recurrent": true},
             "training": {"epochs": 200, "batch_size": 16, "lr": 0.003}}""";

    @Test
    void aSecondWriterIsRefusedWithTheHoldersProcessIdAndAKilledHoldersLockIsTakenOver(@TempDir Path dir)
            throws Exception {
        Path slow = dir.resolve("slow.json");
        Files.writeString(slow, SLOW);
        Path quick = dir.resolve("quick.json");
        Files.writeString(quick, SLOW.replace("\"seed\": 3", "\"seed\": 7").replace("\"epochs\": 200",
                "\"epochs\": 1"));
        Path run = dir.resolve("run");

        Path firstLog = dir.resolve("first.txt");
        Process first = KillResumeTest.start(firstLog, "train", "--config", slow.toString(), "--out", run.toString());
        try {
            assertTrue(waitForLog(first, firstLog, "epoch 1/200"), "the first training started: "
                    + Files.readString(firstLog));

            Path secondLog = dir.resolve("second.txt");
            Process second = KillResumeTest.start(secondLog, "train", "--config", quick.toString(), "--out",
                    run.toString(), "--force");
            assertTrue(second.waitFor(120, TimeUnit.SECONDS), "the second training was not refused");
            String refused = Files.readString(secondLog);
            assertEquals(2, second.exitValue(), refused);
            assertTrue(refused.contains("snn: run folder " + run + " is being written by another training (process "
                    + first.pid() + ", "), refused);
            assertTrue(refused.contains("Wait for it to finish or stop it (kill " + first.pid() + "), or write this one"
                    + " elsewhere (--out DIR)"), refused);
            assertTrue(first.isAlive(), "the first training goes on");
            assertEquals(3, seed(run), "config.json is still the first training's");

            Path resumeLog = dir.resolve("resume.txt");
            Process resume = KillResumeTest.start(resumeLog, "train", "--resume", run.toString());
            assertTrue(resume.waitFor(120, TimeUnit.SECONDS));
            assertEquals(2, resume.exitValue(), Files.readString(resumeLog));
            assertTrue(Files.readString(resumeLog).contains("(process " + first.pid() + ", "),
                    Files.readString(resumeLog));
        } finally {
            first.destroyForcibly().waitFor(); // SIGKILL: its lock file still names it
        }
        assertTrue(Files.readString(run.resolve(RunFolder.LOCK)).startsWith(first.pid() + "\n"),
                "the killed training's id stays in the lock file");

        Path thirdLog = dir.resolve("third.txt");
        Process third = KillResumeTest.start(thirdLog, "train", "--config", quick.toString(), "--out", run.toString(),
                "--force");
        assertTrue(third.waitFor(180, TimeUnit.SECONDS), "the third training did not finish");
        String took = Files.readString(thirdLog);
        assertEquals(0, third.exitValue(), took);
        assertTrue(took.contains("run folder " + run + ": took over the lock of process " + first.pid() + ", which"
                + " ended without releasing it (killed?)"), took);
        assertEquals(7, seed(run));
        assertFalse(Files.exists(run.resolve(RunFolder.LOCK)), "a training that ends deletes its lock file");
    }

    @Test
    void aSecondLockInTheSameProcessIsRefusedUntilTheFirstIsClosed(@TempDir Path dir) {
        RunFolder run = new RunFolder(dir.resolve("run"));
        try (RunFolder.Lock lock = run.lock()) {
            assertTrue(lock.takenOverFrom().isEmpty());
            TrainingException e = assertThrows(TrainingException.class, run::lock);
            assertEquals("run folder " + run.dir() + " is being written by another training in this process; write"
                    + " this one elsewhere (--out DIR)", e.getMessage());
            assertFalse(run.releaseIfEmpty(), "a locked folder is not given back, even while empty");
        }
        try (RunFolder.Lock again = run.lock()) {
            assertTrue(again.takenOverFrom().isEmpty(), "a released lock is free, not stale");
        }
        assertFalse(Files.exists(run.file(RunFolder.LOCK)), "closing the lock deletes its file");
        assertTrue(run.releaseIfEmpty());
        assertFalse(Files.exists(run.dir()));
    }

    static boolean waitForLog(Process p, Path log, String marker) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(marker)) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    static int seed(Path run) throws Exception {
        JsonNode config = ConfigLoader.mapper().readTree(run.resolve(RunFolder.CONFIG).toFile());
        return config.get("seed").asInt();
    }
}
