package snn.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The optimisation protocol (docs/specification.md section 8).
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
 * @param initFrom              start from the parameters of this checkpoint (snn's {@code model.pt}, an export, a
 *                              network imported from NIR) instead of the papers' random initialisation: fine-tuning;
 *                              null (default) for a fresh network
 * @param schedule              how the learning rate changes over the run (default: the papers' milestones)
 * @param earlyStopping         end the run when a metric stops improving; null (default) trains every epoch
 * @param checkpointEvery       also keep the state of every N-th epoch in {@code checkpoints/}, so that a run can be
 *                              resumed from any of them ({@code --resume DIR --from-epoch N}); null (default) for none
 * @param keepCheckpoints       how many of those checkpoints to keep, the latest ones; null (default) keeps all
 * @param tensorboard           write the metrics of every epoch as TensorBoard scalars to the run folder
 *                              ({@code events.out.tfevents.*}; default true)
 */
public record TrainingConfig(Integer epochs, Integer batchSize, Integer evalBatchSize, Double lr,
        List<Integer> milestones, Double gamma, Boolean reloadBestAtMilestone, Integer maxBatchesPerEpoch,
        NonFiniteLoss onNonFiniteLoss, Path initFrom, ScheduleConfig schedule, EarlyStoppingConfig earlyStopping,
        Integer checkpointEvery, Integer keepCheckpoints, Boolean tensorboard) {

    /** {@return a builder starting from the defaults} */
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
        private Path initFrom;
        private ScheduleConfig schedule;
        private EarlyStoppingConfig earlyStopping;
        private Integer checkpointEvery;
        private Integer keepCheckpoints;
        private Boolean tensorboard;

        private Builder() {
        }

        /**
         * Sets the number of epochs to train (default 10).
         *
         * @param epochs at least 1
         * @return this builder
         */
        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * Sets the training batch size (default 128).
         *
         * @param batchSize samples per training step, at least 1
         * @return this builder
         */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets the evaluation batch size (default 256).
         *
         * @param evalBatchSize samples per evaluation batch, at least 1
         * @return this builder
         */
        public Builder evalBatchSize(int evalBatchSize) {
            this.evalBatchSize = evalBatchSize;
            return this;
        }

        /**
         * Sets the Adam learning rate (default 1e-3).
         *
         * @param lr in (0, 1)
         * @return this builder
         */
        public Builder lr(double lr) {
            this.lr = lr;
            return this;
        }

        /**
         * Sets the learning-rate schedule: the rate is multiplied by {@code gamma} after each of these epochs
         * (default: no milestones, gamma 0.1).
         *
         * @param gamma  decay factor, in (0, 1]
         * @param epochs increasing epoch numbers, each at least 1
         * @return this builder
         */
        public Builder milestones(double gamma, Integer... epochs) {
            this.gamma = gamma;
            this.milestones = List.of(epochs);
            return this;
        }

        /**
         * Sets whether each milestone reloads the best model so far and starts a fresh Adam (default true).
         *
         * @param reload false for a plain step schedule
         * @return this builder
         */
        public Builder reloadBestAtMilestone(boolean reload) {
            this.reloadBestAtMilestone = reload;
            return this;
        }

        /**
         * Ends each epoch after this many batches, for short runs (default: all batches).
         *
         * @param batches at least 1
         * @return this builder
         */
        public Builder maxBatchesPerEpoch(int batches) {
            this.maxBatchesPerEpoch = batches;
            return this;
        }

        /**
         * Sets what a NaN or infinite loss does (default {@code STOP}).
         *
         * @param policy {@link NonFiniteLoss#STOP} or {@link NonFiniteLoss#SKIP}
         * @return this builder
         */
        public Builder onNonFiniteLoss(NonFiniteLoss policy) {
            this.onNonFiniteLoss = policy;
            return this;
        }

        /**
         * Starts from a trained network's parameters instead of a random initialisation (default: random).
         *
         * @param checkpoint an snn checkpoint whose network has this experiment's shape
         * @return this builder
         */
        public Builder initFrom(Path checkpoint) {
            this.initFrom = checkpoint;
            return this;
        }

        /**
         * Sets the learning-rate schedule (default: the papers' milestones, {@link ScheduleConfig#MILESTONES}).
         *
         * @param schedule the schedule
         * @return this builder
         */
        public Builder schedule(ScheduleConfig schedule) {
            this.schedule = schedule;
            return this;
        }

        /**
         * Ends the run when a metric stops improving (default: every epoch is trained).
         *
         * @param earlyStopping the metric (null for the selection metric), patience and least improvement
         * @return this builder
         */
        public Builder earlyStopping(EarlyStoppingConfig earlyStopping) {
            this.earlyStopping = earlyStopping;
            return this;
        }

        /**
         * Keeps the training state of every {@code every}-th epoch, the last {@code keep} of them (default: only the
         * last epoch's state).
         *
         * @param every epochs between two kept states, at least 1
         * @param keep  how many to keep, at least 1; null keeps all
         * @return this builder
         */
        public Builder checkpoints(int every, Integer keep) {
            this.checkpointEvery = every;
            this.keepCheckpoints = keep;
            return this;
        }

        /**
         * Sets whether TensorBoard scalars are written to the run folder (default true).
         *
         * @param write false for none
         * @return this builder
         */
        public Builder tensorboard(boolean write) {
            this.tensorboard = write;
            return this;
        }

        /**
         * The config. It is not validated here: {@link ExperimentConfig.Builder#build()} checks it.
         *
         * @return the training config, every unset setting at its default
         */
        public TrainingConfig build() {
            return new TrainingConfig(epochs, batchSize, evalBatchSize, lr, milestones, gamma, reloadBestAtMilestone,
                    maxBatchesPerEpoch, onNonFiniteLoss, initFrom, schedule, earlyStopping, checkpointEvery, keepCheckpoints, tensorboard);
        }
    }

    /** What happens when a batch's loss is NaN or infinite. */
    public enum NonFiniteLoss {
        /** The run ends with a {@link snn.core.TrainingException} naming the epoch, batch and last saved state. */
        @com.fasterxml.jackson.annotation.JsonProperty("stop") STOP,
        /** The batch is skipped without an update and counted. */
        @com.fasterxml.jackson.annotation.JsonProperty("skip") SKIP
    }

    /** Fills in the defaults of settings left null. */
    public TrainingConfig {
        epochs = epochs != null ? epochs : 10;
        batchSize = batchSize != null ? batchSize : 128;
        evalBatchSize = evalBatchSize != null ? evalBatchSize : 256;
        lr = lr != null ? lr : 1e-3;
        milestones = milestones != null ? List.copyOf(milestones) : List.of();
        gamma = gamma != null ? gamma : 0.1;
        reloadBestAtMilestone = reloadBestAtMilestone != null ? reloadBestAtMilestone : true;
        onNonFiniteLoss = onNonFiniteLoss != null ? onNonFiniteLoss : NonFiniteLoss.STOP;
        schedule = schedule != null ? schedule : ScheduleConfig.MILESTONES;
        tensorboard = tensorboard != null ? tensorboard : true;
    }
}
