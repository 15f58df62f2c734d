package snn.training;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Live training progress: one updating line on a terminal, a line every tenth of an epoch otherwise (logs, CI).
 *
 * <p>The remaining time is estimated from the mean duration of the last {@value #WINDOW} batches, leaving out the
 * first {@value #WARMUP_BATCHES} batches of the run (JIT compilation and first allocations make them several times
 * slower), plus the mean time spent between epochs (evaluation, checkpoints) once one such pause was seen. Until a
 * batch after the warm-up has been timed, no estimate is shown rather than a wrong one.
 */
final class Progress {

    /** Batches at the start of a run that the estimate ignores. */
    static final int WARMUP_BATCHES = 2;
    /** How many recent batches the estimate averages. */
    static final int WINDOW = 20;

    private final PrintStream out;
    private final boolean interactive;
    private final LongSupplier clock;
    private final ArrayDeque<Long> recent = new ArrayDeque<>();
    private long recentSum;
    private long batchesSeen;
    private long lastMark = -1;
    private long epochEnded = -1;
    private long pauseSum;
    private int pauses;
    private long lastPrint;

    Progress(PrintStream out) {
        this(out, System.console() != null && out == System.out, System::nanoTime);
    }

    /**
     * @param interactive one updating line (a terminal) rather than a line per tenth of an epoch
     * @param clock       nanoseconds, e.g. {@code System::nanoTime}
     */
    Progress(PrintStream out, boolean interactive, LongSupplier clock) {
        this.out = out;
        this.interactive = interactive;
        this.clock = clock;
    }

    /** Marks the start of an epoch's batches: the time since the previous epoch's last batch is a pause. */
    void epochStart() {
        long now = clock.getAsLong();
        if (epochEnded >= 0) {
            pauseSum += now - epochEnded;
            pauses++;
        }
        lastMark = now;
    }

    /** Reports batch {@code batch} (1-based) of {@code batches} in epoch {@code epoch} of {@code epochs}. */
    void batch(int epoch, int epochs, int batch, int batches, double loss, double accuracy, long batchesDone,
            long batchesTotal) {
        long now = clock.getAsLong();
        if (lastMark >= 0 && ++batchesSeen > WARMUP_BATCHES) {
            long took = now - lastMark;
            recent.addLast(took);
            recentSum += took;
            if (recent.size() > WINDOW) {
                recentSum -= recent.removeFirst();
            }
        }
        lastMark = now;
        if (batch == batches) {
            epochEnded = now;
        }
        boolean milestone = batch == batches || batch % Math.max(1, batches / 10) == 0;
        if (interactive ? now - lastPrint < 200_000_000L && batch != batches : !milestone) {
            return;
        }
        lastPrint = now;
        String line = String.format(Locale.ROOT, "epoch %d/%d  batch %d/%d  loss %.4f  acc %5.1f%%  ETA %s", epoch,
                epochs, batch, batches, loss, 100 * accuracy, eta(batchesTotal - batchesDone, epochs - epoch + 1));
        if (interactive) {
            out.print("\r" + line + "   ");
            if (batch == batches) {
                out.println();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** The estimate for {@code batchesLeft} batches and {@code pausesLeft} pauses, or "--" when unknown yet. */
    private String eta(long batchesLeft, int pausesLeft) {
        if (recent.isEmpty()) {
            return "--";
        }
        double seconds = (double) recentSum / recent.size() * batchesLeft / 1e9;
        if (pauses > 0) {
            seconds += (double) pauseSum / pauses * pausesLeft / 1e9;
        }
        return duration(seconds);
    }

    void line(String text) {
        out.println(text);
        out.flush();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
