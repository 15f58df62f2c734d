package snn.training;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import snn.core.TrainingException;

/**
 * Compares finished runs as the papers report them: test accuracy, time per training batch, epoch time, speed-up
 * and spike reduction against a baseline run (speed-up = baseline time / run time; spike reduction =
 * 1 - spikes / baseline spikes). Epoch times drop the first epoch (warm-up), as the papers do.
 */
public final class RunComparison {

    /**
     * One run's figures.
     *
     * @param run             the run folder's name
     * @param testAccuracy    the selected model's test accuracy, as a fraction
     * @param batchMs         mean forward plus backward time per training batch, in ms
     * @param epochSeconds    mean wall time of an epoch's training pass, in s
     * @param spikesPerSample the selected model's test spikes per sample, summed over hidden layers
     * @param batchSpeedup    baseline {@code batchMs} / this run's
     * @param epochSpeedup    baseline {@code epochSeconds} / this run's
     * @param spikeReduction  1 - spikes per sample / baseline spikes per sample
     */
    public record Row(String run, double testAccuracy, double batchMs, double epochSeconds, double spikesPerSample,
            double batchSpeedup, double epochSpeedup, double spikeReduction) {
    }

    private RunComparison() {
    }

    /**
     * Compares runs against one of them.
     *
     * @param runs     finished run folders, each with {@code summary.json} and {@code metrics.csv}
     * @param baseline the index in {@code runs} of the baseline run
     * @return one row per run, in order
     * @throws TrainingException when a run folder lacks or has unreadable result files
     */
    public static List<Row> compare(List<Path> runs, int baseline) {
        List<double[]> figures = new ArrayList<>();
        for (Path run : runs) {
            figures.add(read(run));
        }
        double[] base = figures.get(baseline);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            double[] f = figures.get(i);
            rows.add(new Row(runs.get(i).getFileName().toString(), f[0], f[1], f[2], f[3], base[1] / f[1],
                    base[2] / f[2], 1 - f[3] / base[3]));
        }
        return rows;
    }

    /** What each column of {@link #table} holds, in the order of the columns after the run's name. */
    public static final List<String> COLUMNS = List.of(
            "test acc       the selected model's test accuracy (summary.json)",
            "ms/batch       forward + backward time per training batch, mean over the epochs after the first (warm-up)",
            "s/epoch        wall time of an epoch's training pass, mean over the epochs after the first",
            "spikes/sample  hidden-layer spikes per test sample of the selected model, summed over the layers",
            "speedup/batch  the baseline's ms/batch / this run's: above 1x this run's steps are faster",
            "speedup/epoch  the same for s/epoch, which also counts waiting for batches and all else of the pass",
            "spikes -%      spike reduction, 1 - spikes/sample / the baseline's: positive means fewer spikes");

    /**
     * Formats rows for the terminal: an aligned table, then the baseline and what each column holds.
     *
     * @param rows     the rows of {@link #compare(List, int)}
     * @param baseline the index of the baseline row, as given to {@link #compare(List, int)}
     * @return the table with a header line, accuracies and reductions in percent, and the explanation of its columns
     */
    public static String table(List<Row> rows, int baseline) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-28s %9s %10s %9s %13s %13s %13s %10s%n",
                "run", "test acc", "ms/batch", "s/epoch", "spikes/sample", "speedup/batch", "speedup/epoch",
                "spikes -%"));
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%-28s %8.2f%% %10.1f %9.2f %13.1f %12.2fx %12.2fx %9.1f%%%n",
                    r.run(), 100 * r.testAccuracy(), r.batchMs(), r.epochSeconds(), r.spikesPerSample(),
                    r.batchSpeedup(), r.epochSpeedup(), 100 * r.spikeReduction()));
        }
        sb.append(String.format(Locale.ROOT, "%nbaseline: %s (speed-ups and the spike reduction are relative to it)%n",
                rows.get(baseline).run()));
        COLUMNS.forEach(c -> sb.append("  ").append(c).append('\n'));
        return sb.toString();
    }

    /** test accuracy, ms per batch, epoch seconds (without the first epoch when there are more), spikes/sample. */
    private static double[] read(Path run) {
        try {
            RunFolder folder = RunFolder.open(run);
            JsonNode summary = folder.summary();
            MetricsTable metrics = folder.metrics();
            double[] forward = metrics.column("forward_ms");
            double[] backward = metrics.column("backward_ms");
            double[] seconds = metrics.column("epoch_seconds");
            int from = forward.length > 1 ? 1 : 0;
            double batchMs = 0;
            double epochSeconds = 0;
            for (int i = from; i < forward.length; i++) {
                batchMs += forward[i] + backward[i];
                epochSeconds += seconds[i];
            }
            int n = forward.length - from;
            return new double[] {summary.get("test_accuracy").asDouble(), batchMs / n, epochSeconds / n,
                    summary.get("total_spikes_per_sample").asDouble()};
        } catch (RuntimeException e) {
            throw new TrainingException("cannot read run " + run + " (needs summary.json and metrics.csv of a finished"
                    + " run): " + e.getMessage(), e);
        }
    }
}
