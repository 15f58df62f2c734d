package snn.training;

import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

import snn.config.ExperimentConfig;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.neurons.Initialisation;

/**
 * The native state of one training run and its owner: the network, the Adam optimiser (with its moments) and the
 * selected model's snapshot (a copy of the parameters of the best epoch so far). Replacing the optimiser (a
 * milestone's fresh Adam) or the snapshot (a better epoch) closes the one replaced at once; {@link #close()} releases
 * everything. Nothing here is left to the garbage collector.
 *
 * <p>Lifetime: from the start of {@code Trainer.fit} or {@code resume} to its end; the network is not used after.
 */
final class TrainingSession implements AutoCloseable {

    private final SpikingNetwork net;
    private Adam optimizer;
    private double learningRate;
    private Map<String, Tensor> best = new LinkedHashMap<>();
    private int bestEpoch;
    private double bestScore = Double.NEGATIVE_INFINITY;

    private TrainingSession(SpikingNetwork net, double learningRate) {
        this.net = net;
        this.learningRate = learningRate;
        this.optimizer = newAdam(net, learningRate);
    }

    /**
     * A new session: the config's network, initialised from the seed as the papers do, and a fresh Adam.
     *
     * @param config   the experiment; the runtime must be initialised
     * @param channels input channels of the data
     * @param classes  classes of the data
     * @return the session, owned by the caller
     */
    static TrainingSession create(ExperimentConfig config, int channels, int classes) {
        SpikingNetwork net = Initialisation.seeded(config.seed(),
                () -> new SpikingNetwork(config.model(), channels, classes));
        return new TrainingSession(net, config.training().lr());
    }

    /** {@return the network being trained} */
    SpikingNetwork network() {
        return net;
    }

    /** {@return the optimiser of the moment} */
    Adam optimizer() {
        return optimizer;
    }

    /** {@return the learning rate of the moment} */
    double learningRate() {
        return learningRate;
    }

    /** Sets the learning rate of the optimiser of the moment (its moments are kept). */
    void setLearningRate(double lr) {
        learningRate = lr;
        try (PointerScope scope = new PointerScope()) {
            optimizer.param_groups().get(0).options().set_lr(lr);
        }
    }

    /** Replaces the optimiser by a fresh Adam at {@code lr}, closing the old one (and its moments). */
    void freshOptimizer(double lr) {
        Adam old = optimizer;
        optimizer = newAdam(net, lr);
        learningRate = lr;
        old.close();
    }

    /** {@return the epoch of the selected model so far, 0 before the first} */
    int bestEpoch() {
        return bestEpoch;
    }

    /** {@return the selection score of the selected model so far; higher is better} */
    double bestScore() {
        return bestScore;
    }

    /** Keeps a copy of the current parameters as the selected model of {@code epoch}, closing the previous copy. */
    void keepAsBest(int epoch, double score) {
        Map<String, Tensor> copy = new LinkedHashMap<>();
        Parameters.named(net).forEach((k, v) -> {
            try (Tensor detached = v.detach()) {
                copy.put(k, detached.clone());
            }
        });
        replaceBest(copy, epoch, score);
    }

    /** Loads the selected model's parameters into the network. */
    void reloadBest() {
        Parameters.load(net, best);
    }

    /** {@return the selected model's parameters (owned by this session)} */
    Map<String, Tensor> best() {
        return best;
    }

    /** Restores the selection from a saved state: {@code values} become this session's. */
    void restoreBest(Map<String, Tensor> values, int epoch, double score) {
        replaceBest(new LinkedHashMap<>(values), epoch, score);
    }

    private void replaceBest(Map<String, Tensor> values, int epoch, double score) {
        Map<String, Tensor> old = best;
        best = values;
        bestEpoch = epoch;
        bestScore = score;
        old.values().forEach(Tensor::close);
    }

    /** Releases the optimiser, the snapshot and the network. */
    @Override
    public void close() {
        optimizer.close();
        best.values().forEach(Tensor::close);
        best = Map.of();
        net.close();
    }

    private static Adam newAdam(SpikingNetwork net, double lr) {
        try (TensorVector parameters = net.parameters(); AdamOptions options = new AdamOptions(lr)) {
            return new Adam(parameters, options);
        }
    }
}
