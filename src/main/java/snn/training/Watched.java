package snn.training;

import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.config.ConfigLoader;

/**
 * A metric watched for improvement over epochs (by early stopping and the plateau schedule): its best value so far
 * and the epochs since it last improved by more than {@code minDelta}.
 */
final class Watched {

    private final String metric;
    private final double minDelta;
    private double best;
    private int epochsWithout;

    /**
     * @param metric   {@code train_loss} (lower is better), {@code train_accuracy} or {@code validation_accuracy}
     * @param minDelta the least change that counts as an improvement
     */
    Watched(String metric, double minDelta) {
        this.metric = metric;
        this.minDelta = minDelta;
        this.best = lowerIsBetter() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    String metric() {
        return metric;
    }

    private boolean lowerIsBetter() {
        return metric.endsWith("_loss");
    }

    /** The metric's value in an epoch's metrics. */
    double value(EpochMetrics m) {
        return switch (metric) {
            case "train_loss" -> m.trainLoss();
            case "train_accuracy" -> m.trainAccuracy();
            case "validation_accuracy" -> m.validationAccuracy();
            default -> throw new IllegalArgumentException("not a watched metric: " + metric);
        };
    }

    /** Takes an epoch's value; returns the epochs since the last improvement (0 when this one improved). */
    int observe(EpochMetrics m) {
        double v = value(m);
        boolean improved = lowerIsBetter() ? v < best - minDelta : v > best + minDelta;
        if (improved) {
            best = v;
            epochsWithout = 0;
        } else {
            epochsWithout++;
        }
        return epochsWithout;
    }

    /** Starts counting again (after the plateau schedule lowered the rate). */
    void resetCount() {
        epochsWithout = 0;
    }

    /** {@return the best value so far, formatted} */
    String best() {
        return String.format(Locale.ROOT, "%.6g", best);
    }

    JsonNode state() {
        ObjectNode s = ConfigLoader.mapper().createObjectNode();
        s.put("best", best);
        s.put("epochs_without_improvement", epochsWithout);
        return s;
    }

    void restore(JsonNode s) {
        best = s.get("best").asDouble();
        epochsWithout = s.get("epochs_without_improvement").asInt();
    }
}
