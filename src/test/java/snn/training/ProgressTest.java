package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The ETA of the progress line, driven by a fake clock. */
class ProgressTest {

    private static final long MS = 1_000_000L;

    /**
     * Three epochs of ten batches: the first two batches of the run take 5 s each (warm-up), every other batch 100 ms,
     * and 2 s pass between epochs (evaluation). The estimate follows the recent batches, not the warm-up.
     */
    @Test
    void etaFollowsRecentBatchesAndLeavesOutTheWarmUp() {
        AtomicLong now = new AtomicLong(1_000 * MS);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, now::get);
        long done = 0;
        for (int epoch = 1; epoch <= 3; epoch++) {
            if (epoch > 1) {
                now.addAndGet(2_000 * MS);
            }
            progress.epochStart();
            for (int b = 1; b <= 10; b++) {
                now.addAndGet(done < Progress.WARMUP_BATCHES ? 5_000 * MS : 100 * MS);
                progress.batch(epoch, 3, b, 10, 1.0, 0.5, ++done, 30);
            }
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(30, lines.size(), "a line per tenth of an epoch");
        assertTrue(lines.get(0).endsWith("ETA --"), "nothing but warm-up timed yet: " + lines.get(0));
        assertTrue(lines.get(1).endsWith("ETA --"), lines.get(1));
        // After batch 3: 27 batches of 0.1 s left; no pause measured yet. (Elapsed / done would say 90 s.)
        assertTrue(lines.get(2).endsWith("ETA 0m03s"), lines.get(2));
        // Epoch 2, batch 10: 10 batches (1 s) and two pauses of 2 s left.
        assertTrue(lines.get(19).endsWith("ETA 0m05s"), lines.get(19));
        // Last batch: only the final evaluation's pause left.
        assertTrue(lines.get(29).endsWith("ETA 0m02s"), lines.get(29));
    }

    @Test
    void aTerminalGetsOneLineUpdatedAtMostFiveTimesASecond() {
        AtomicLong now = new AtomicLong(1_000 * MS);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, now::get);
        progress.epochStart();
        for (int b = 1; b <= 100; b++) {
            now.addAndGet(50 * MS);
            progress.batch(1, 1, b, 100, 1.0, 0.5, b, 100);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        long updates = out.chars().filter(c -> c == '\r').count();
        assertTrue(updates >= 24 && updates <= 26, "5 s of batches at most 5 updates a second (plus the last): "
                + updates);
        assertEquals(1, out.chars().filter(c -> c == '\n').count(), "one line, ended after the last batch");
    }
}
