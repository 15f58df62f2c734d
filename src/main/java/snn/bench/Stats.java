package snn.bench;

import java.util.Arrays;

/**
 * Median and interquartile range of repeated measurements (quartiles by linear interpolation between order
 * statistics).
 */
record Stats(double median, double iqr) {

    /** Summary of {@code values} (at least one). */
    public static Stats of(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no measurements");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return new Stats(quantile(sorted, 0.5), quantile(sorted, 0.75) - quantile(sorted, 0.25));
    }

    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
