package snn.training;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Live training progress: one updating line on a terminal, a line every tenth of an epoch otherwise (logs, CI).
 */
final class Progress {

    private final PrintStream out;
    private final boolean interactive;
    private final long started = System.nanoTime();
    private long lastPrint;

    Progress(PrintStream out) {
        this.out = out;
        this.interactive = System.console() != null && out == System.out;
    }

    /** Reports batch {@code batch} (1-based) of {@code batches} in epoch {@code epoch} of {@code epochs}. */
    void batch(int epoch, int epochs, int batch, int batches, double loss, double accuracy, long batchesDone,
            long batchesTotal) {
        long now = System.nanoTime();
        boolean milestone = batch == batches || batch % Math.max(1, batches / 10) == 0;
        if (interactive ? now - lastPrint < 200_000_000L && batch != batches : !milestone) {
            return;
        }
        lastPrint = now;
        double elapsed = (now - started) / 1e9;
        double eta = batchesDone == 0 ? 0 : elapsed / batchesDone * (batchesTotal - batchesDone);
        String line = String.format(Locale.ROOT, "epoch %d/%d  batch %d/%d  loss %.4f  acc %5.1f%%  ETA %s", epoch,
                epochs, batch, batches, loss, 100 * accuracy, duration(eta));
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
