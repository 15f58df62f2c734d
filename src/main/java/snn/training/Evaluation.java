package snn.training;

import java.util.List;

/**
 * A model's performance on one split.
 *
 * @param loss            mean cross-entropy per sample
 * @param accuracy        fraction of samples whose largest logit is the label
 * @param spikesPerSample mean spikes per sample of each hidden layer (summed over neurons and time)
 * @param confusion       {@code confusion[label][predicted]} counts
 */
public record Evaluation(double loss, double accuracy, List<Double> spikesPerSample, long[][] confusion) {

    /** {@return spikes per sample summed over all hidden layers (the papers' count; the readout is excluded)} */
    public double totalSpikesPerSample() {
        return spikesPerSample.stream().mapToDouble(Double::doubleValue).sum();
    }
}
