package snn.config;

import java.util.List;

/**
 * The optimisation protocol (algorithms.md section 8).
 *
 * @param epochs                epochs to train (default 10)
 * @param batchSize             training batch (default 128)
 * @param evalBatchSize         evaluation batch (default 256)
 * @param lr                    Adam learning rate (default 1e-3)
 * @param milestones            epochs after which the learning rate is multiplied by gamma (default none)
 * @param gamma                 decay factor at milestones (default 0.1)
 * @param reloadBestAtMilestone the papers' schedule: at each milestone reload the best model so far and start a
 *                              fresh Adam (default true); false gives a plain step schedule
 * @param maxBatchesPerEpoch    stop each epoch after this many batches (short runs on slow machines); null for all
 * @param onNonFiniteLoss       {@code stop} (default): a NaN or infinite loss ends the run, naming the epoch, the batch
 *                              and the last good saved state; {@code skip}: such batches are skipped and counted
 */
public record TrainingConfig(Integer epochs, Integer batchSize, Integer evalBatchSize, Double lr,
        List<Integer> milestones, Double gamma, Boolean reloadBestAtMilestone, Integer maxBatchesPerEpoch,
        NonFiniteLoss onNonFiniteLoss) {

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link TrainingConfig}; settings not given keep their defaults. */
    public static final class Builder {
        private Integer epochs;
        private Integer batchSize;
        private Integer evalBatchSize;
        private Double lr;
        private List<Integer> milestones;
        private Double gamma;
        private Boolean reloadBestAtMilestone;
        private Integer maxBatchesPerEpoch;
        private NonFiniteLoss onNonFiniteLoss;

        private Builder() {
        }

        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder evalBatchSize(int evalBatchSize) {
            this.evalBatchSize = evalBatchSize;
            return this;
        }

        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        /** The learning rate is multiplied by {@code gamma} after each of these epochs. */
        public Builder milestones(double gamma, Integer... epochs) {
            this.gamma = gamma;
            this.milestones = List.of(epochs);
            return this;
        }

        public Builder reloadBestAtMilestone(boolean reload) {
            this.reloadBestAtMilestone = reload;
            return this;
        }

        public Builder maxBatchesPerEpoch(int batches) {
            this.maxBatchesPerEpoch = batches;
            return this;
        }

        public Builder onNonFiniteLoss(NonFiniteLoss policy) {
            this.onNonFiniteLoss = policy;
            return this;
        }

        public TrainingConfig build() {
            return new TrainingConfig(epochs, batchSize, evalBatchSize, lr, milestones, gamma, reloadBestAtMilestone,
                    maxBatchesPerEpoch, onNonFiniteLoss);
        }
    }

    /** What happens when a batch's loss is NaN or infinite. */
    public enum NonFiniteLoss {
        @com.fasterxml.jackson.annotation.JsonProperty("stop") STOP,
        @com.fasterxml.jackson.annotation.JsonProperty("skip") SKIP
    }

    public TrainingConfig {
        epochs = epochs != null ? epochs : 10;
        batchSize = batchSize != null ? batchSize : 128;
        evalBatchSize = evalBatchSize != null ? evalBatchSize : 256;
        lr = lr != null ? lr : 1e-3;
        milestones = milestones != null ? List.copyOf(milestones) : List.of();
        gamma = gamma != null ? gamma : 0.1;
        reloadBestAtMilestone = reloadBestAtMilestone != null ? reloadBestAtMilestone : true;
        onNonFiniteLoss = onNonFiniteLoss != null ? onNonFiniteLoss : NonFiniteLoss.STOP;
    }
}
