package snn.config;

import java.util.ArrayList;
import java.util.List;

import snn.core.ConfigException.ConfigError;
import snn.core.ConfigException;
import snn.neurons.LifLayer.Reset;

/**
 * Checks every field's range and the cross-field constraints of an {@link ExperimentConfig}, collecting all
 * problems at once. Configs are checked here, at the edge; the library core trusts them.
 */
public final class ConfigValidator {

    private final List<ConfigError> errors = new ArrayList<>();

    private ConfigValidator() {
    }

    /**
     * Validates {@code config}.
     *
     * @param config the config to check
     * @param source where the config came from, for the message (a file name or "code")
     * @return {@code config} itself, when it is valid
     * @throws ConfigException listing every problem
     */
    public static ExperimentConfig check(ExperimentConfig config, String source) {
        List<ConfigError> errors = problems(config);
        if (!errors.isEmpty()) {
            throw new ConfigException(source, errors);
        }
        return config;
    }

    /**
     * Checks {@code config} without throwing.
     *
     * @param config the config to check
     * @return every problem; empty when the config is valid
     */
    public static List<ConfigError> problems(ExperimentConfig config) {
        ConfigValidator v = new ConfigValidator();
        v.experiment(config);
        return List.copyOf(v.errors);
    }

    private void fail(String path, String message) {
        errors.add(new ConfigError(path, message));
    }

    private void experiment(ExperimentConfig c) {
        if (c.name().isBlank() || !c.name().matches("[A-Za-z0-9._-]+")) {
            fail("name", "expected a non-empty run name of letters, digits, '.', '_' or '-', got '" + c.name() + "'");
        }
        if (!java.util.Set.of("cpu", "cuda").contains(c.runtime().device())) {
            fail("runtime.device", "expected \"cpu\" or \"cuda\", got \"" + c.runtime().device() + "\"");
        }
        positiveOrNull("runtime.torch_threads", c.runtime().torchThreads());
        positiveOrNull("runtime.blas_threads", c.runtime().blasThreads());
        data(c.data());
        model(c.model(), c.data());
        training(c.training(), c.data());
    }

    private void data(DataConfig d) {
        KnownDataset dataset = KnownDataset.find(d.dataset()).orElse(null);
        if (dataset == null) {
            fail("data.dataset", "expected one of " + KnownDataset.ids() + ", got \"" + d.dataset() + "\"");
        } else if (dataset.kind() != KnownDataset.Kind.SYNTHETIC && d.root() == null) {
            fail("data.root", "required for dataset \"" + d.dataset() + "\": the folder holding its files");
        }
        if (dataset != null && d.augment() && dataset.kind() != KnownDataset.Kind.IMAGES) {
            fail("data.augment", "only the image datasets (" + String.join(", ", imageDatasets()) + ") have"
                    + " augmentation; the papers use none for " + d.dataset());
        }
        if (d.tLen() < 1) {
            fail("data.t_len", "expected a number of time steps >= 1, got " + d.tLen());
        }
        if (!(d.dtMs() > 0)) {
            fail("data.dt_ms", "expected a bin width > 0 ms, got " + d.dtMs());
        }
        if (!(d.validationFraction() >= 0 && d.validationFraction() < 1)) {
            fail("data.validation_fraction", "expected a fraction in [0, 1), got " + d.validationFraction());
        }
        positiveOrNull("data.train_limit", d.trainLimit());
        positiveOrNull("data.test_limit", d.testLimit());
        SyntheticConfig s = d.synthetic();
        if (s.classes() < 2) {
            fail("data.synthetic.classes", "expected at least 2 classes, got " + s.classes());
        }
        if (s.channels() < 1) {
            fail("data.synthetic.channels", "expected at least 1 channel, got " + s.channels());
        }
        if (s.tLen() < 2) {
            fail("data.synthetic.t_len", "expected at least 2 time steps, got " + s.tLen());
        }
        if (dataset == KnownDataset.SYNTHETIC && !d.tLen().equals(s.tLen())) {
            fail("data.t_len", "the synthetic task has data.synthetic.t_len = " + s.tLen() + " steps; got " + d.tLen()
                    + " (set only one of them)");
        }
        if (s.trainSamples() < 1 || s.testSamples() < 1) {
            fail("data.synthetic", "expected train_samples and test_samples >= 1");
        }
        if (!(s.jitter() >= 0)) {
            fail("data.synthetic.jitter", "expected a standard deviation >= 0, got " + s.jitter());
        }
        probability("data.synthetic.dropout", s.dropout());
        probability("data.synthetic.noise_rate", s.noiseRate());
    }

    private void model(ModelConfig m, DataConfig d) {
        if (m.kind() == null) {
            fail("model.kind", "required: \"standard\", \"block\" or \"dblock\"");
            return;
        }
        if (m.hidden().isEmpty()) {
            fail("model.hidden", "expected at least one hidden layer, e.g. [128]");
        }
        for (int i = 0; i < m.hidden().size(); i++) {
            Integer n = m.hidden().get(i);
            if (n == null || n < 1) {
                fail("model.hidden[" + i + "]", "expected a layer size >= 1, got " + n);
            }
        }
        switch (m.kind()) {
            case BLOCK -> {
                if (m.recurrent()) {
                    fail("model.recurrent", "the block model has no recurrent form (as in the reference); use"
                            + " \"dblock\" with d = 1 for a recurrent single-block network");
                }
                notFor("model.d", m.d(), "block");
                notFor("model.single_spike", m.singleSpike() ? Boolean.TRUE : null, "block");
                notFor("model.reset", zeroReset(m), "block");
            }
            case STANDARD -> {
                notFor("model.d", m.d(), "standard");
                if (m.singleSpike() && m.reset() == Reset.ZERO) {
                    fail("model.reset", "\"zero\" does not apply to single-spike neurons (model.single_spike:"
                            + " true): they fire once and are silent afterwards, so nothing resets; remove it");
                }
            }
            case DBLOCK -> {
                if (m.d() == null) {
                    fail("model.d", "required for \"dblock\": the number of blocks, 1 <= d <= data.t_len");
                } else if (m.d() < 1 || m.d() > d.tLen()) {
                    fail("model.d", "expected 1 <= d <= data.t_len (" + d.tLen() + "), got " + m.d());
                }
                notFor("model.single_spike", m.singleSpike() ? Boolean.TRUE : null, "dblock");
                notFor("model.reset", zeroReset(m), "dblock");
            }
        }
        if (!(m.hiddenTau() > 0)) {
            fail("model.hidden_tau", "expected a time constant > 0 steps, got " + m.hiddenTau());
        }
        if (!(m.readoutTau() > 0)) {
            fail("model.readout_tau", "expected a time constant > 0 steps, got " + m.readoutTau());
        }
        if (!(m.surrogate().scale() > 0)) {
            fail("model.surrogate.scale", "expected a scale > 0, got " + m.surrogate().scale());
        }
    }

    private void training(TrainingConfig t, DataConfig d) {
        if (t.epochs() < 1) {
            fail("training.epochs", "expected >= 1, got " + t.epochs());
        }
        if (t.batchSize() < 1) {
            fail("training.batch_size", "expected >= 1, got " + t.batchSize());
        }
        if (t.evalBatchSize() < 1) {
            fail("training.eval_batch_size", "expected >= 1, got " + t.evalBatchSize());
        }
        if (!(t.lr() > 0 && t.lr() < 1)) {
            fail("training.lr", "expected a learning rate in (0, 1), got " + t.lr());
        }
        if (!(t.gamma() > 0 && t.gamma() <= 1)) {
            fail("training.gamma", "expected a decay factor in (0, 1], got " + t.gamma());
        }
        int previous = 0;
        for (int i = 0; i < t.milestones().size(); i++) {
            Integer m = t.milestones().get(i);
            if (m == null || m <= previous) {
                fail("training.milestones[" + i + "]", "expected increasing epochs >= 1, got " + m);
                break;
            }
            previous = m;
        }
        positiveOrNull("training.max_batches_per_epoch", t.maxBatchesPerEpoch());
        if (t.initFrom() != null && !java.nio.file.Files.isRegularFile(t.initFrom())) {
            fail("training.init_from", "expected a checkpoint file to start from, but " + t.initFrom()
                    + " does not exist");
        }
        positiveOrNull("training.checkpoint_every", t.checkpointEvery());
        positiveOrNull("training.keep_checkpoints", t.keepCheckpoints());
        if (t.keepCheckpoints() != null && t.checkpointEvery() == null) {
            fail("training.keep_checkpoints", "applies to the checkpoints of training.checkpoint_every, which is not"
                    + " set; set both, or remove it");
        }
        schedule(t);
        EarlyStoppingConfig e = t.earlyStopping();
        if (e != null) {
            if (e.metric() != null && !EarlyStoppingConfig.METRICS.contains(e.metric())) {
                fail("training.early_stopping.metric", "expected one of " + EarlyStoppingConfig.METRICS
                        + " (or leave it out for the selection metric), got \"" + e.metric() + "\"");
            } else if ("validation_accuracy".equals(e.metric()) && !(d.validationFraction() > 0)) {
                fail("training.early_stopping.metric", "validation_accuracy needs a validation split: set"
                        + " data.validation_fraction > 0, or watch train_loss");
            }
            if (e.patience() < 1) {
                fail("training.early_stopping.patience", "expected >= 1 epoch, got " + e.patience());
            }
            nonNegative("training.early_stopping.min_delta", e.minDelta());
        }
    }

    private void schedule(TrainingConfig t) {
        ScheduleConfig s = t.schedule();
        if (s.kind() != ScheduleConfig.Kind.MILESTONES && !t.milestones().isEmpty()) {
            fail("training.milestones", "apply to training.schedule.kind \"milestones\" only, but the kind is \""
                    + ScheduleConfig.enumName(s.kind()) + "\"; remove them");
        }
        if (s.stepSize() < 1) {
            fail("training.schedule.step_size", "expected >= 1 epoch, got " + s.stepSize());
        }
        if (s.patience() < 1) {
            fail("training.schedule.patience", "expected >= 1 epoch, got " + s.patience());
        }
        nonNegative("training.schedule.min_delta", s.minDelta());
        nonNegative("training.schedule.min_lr", s.minLr());
        boolean lowers = s.kind() == ScheduleConfig.Kind.COSINE || s.kind() == ScheduleConfig.Kind.PLATEAU;
        if (lowers && s.minLr() >= t.lr() && t.lr() > 0 && t.lr() < 1) {
            fail("training.schedule.min_lr", "expected less than training.lr (" + t.lr() + "), got " + s.minLr());
        }
    }

    private void nonNegative(String path, double value) {
        if (!(value >= 0)) {
            fail(path, "expected a number >= 0, got " + value);
        }
    }

    /** {@code model.reset} when it is not the default (which every kind accepts, as a stored config holds it). */
    private static Reset zeroReset(ModelConfig m) {
        return m.reset() == Reset.SUBTRACT ? null : m.reset();
    }

    private void notFor(String path, Object value, String kind) {
        if (value != null) {
            fail(path, "does not apply to model.kind \"" + kind + "\"; remove it");
        }
    }

    private void positiveOrNull(String path, Integer value) {
        if (value != null && value < 1) {
            fail(path, "expected >= 1 (or leave it out), got " + value);
        }
    }

    private void probability(String path, double p) {
        if (!(p >= 0 && p <= 1)) {
            fail(path, "expected a probability in [0, 1], got " + p);
        }
    }

    private static List<String> imageDatasets() {
        return java.util.Arrays.stream(KnownDataset.values()).filter(k -> k.kind() == KnownDataset.Kind.IMAGES)
                .map(KnownDataset::id).toList();
    }
}
