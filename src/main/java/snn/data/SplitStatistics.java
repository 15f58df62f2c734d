package snn.data;

import java.util.Arrays;

/**
 * What {@code snn data inspect} reports about one split file.
 *
 * @param source          the file (or folder) the split was read from
 * @param samples         number of samples
 * @param classCounts     samples per class, indexed by label
 * @param minEvents       fewest events in one sample, before binning (for images: pixels that spike, including
 *                        TTFS spikes at or past {@code t_len})
 * @param medianEvents    median events per sample
 * @param maxEvents       most events in one sample
 * @param events          all events of the split, before binning
 * @param droppedEvents   events that binning dropped (bin at or past {@code t_len})
 * @param firstEventMs    the earliest event time, in ms
 * @param lastEventMs     the latest event time, in ms
 */
public record SplitStatistics(String source, int samples, int[] classCounts, int minEvents, double medianEvents,
        int maxEvents, long events, long droppedEvents, double firstEventMs, double lastEventMs) {

    /** Copies {@code classCounts}. */
    public SplitStatistics {
        classCounts = classCounts.clone();
    }

    /** {@return a copy of the samples per class, indexed by label} */
    @Override
    public int[] classCounts() {
        return classCounts.clone();
    }

    /** Builds the statistics from per-sample event counts. */
    static SplitStatistics of(String source, int[] labels, int classes, int[] eventsPerSample, long dropped,
            double firstMs, double lastMs) {
        int[] counts = new int[classes];
        for (int label : labels) {
            counts[label]++;
        }
        int[] sorted = eventsPerSample.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        long total = 0;
        for (int e : sorted) {
            total += e;
        }
        double median = n == 0 ? 0 : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + (double) sorted[n / 2]) / 2;
        return new SplitStatistics(source, n, counts, n == 0 ? 0 : sorted[0], median, n == 0 ? 0 : sorted[n - 1],
                total, dropped, n == 0 ? 0 : firstMs, n == 0 ? 0 : lastMs);
    }
}
