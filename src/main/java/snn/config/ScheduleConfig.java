package snn.config;

/**
 * The learning-rate schedule ({@code training.schedule}). The rate starts at {@code training.lr}; each kind lowers it
 * differently, by the factor {@code training.gamma} where it lowers it in steps.
 *
 * @param kind     {@code milestones} (default, the papers'): after each epoch of {@code training.milestones}, with the
 *                 best model reloaded and a fresh Adam when {@code training.reload_best_at_milestone};
 *                 {@code step}: times gamma every {@code step_size} epochs; {@code cosine}: from lr down to
 *                 {@code min_lr} along half a cosine over {@code training.epochs}; {@code plateau}: times gamma when
 *                 the selection metric has not improved by more than {@code min_delta} for {@code patience} epochs
 * @param stepSize {@code step}: epochs between two decays (default 10)
 * @param minLr    {@code cosine}: the rate of the last epoch; {@code plateau}: the lowest rate (default 0)
 * @param patience {@code plateau}: epochs without improvement before the rate is lowered (default 5)
 * @param minDelta {@code plateau}: the least change that counts as an improvement (default 0)
 */
public record ScheduleConfig(Kind kind, Integer stepSize, Double minLr, Integer patience, Double minDelta) {

    /** The kinds of schedule. */
    public enum Kind {
        /** The papers' milestones ({@code training.milestones}, {@code training.reload_best_at_milestone}). */
        @com.fasterxml.jackson.annotation.JsonProperty("milestones") MILESTONES,
        /** A decay by gamma every {@code step_size} epochs. */
        @com.fasterxml.jackson.annotation.JsonProperty("step") STEP,
        /** Cosine annealing from lr to {@code min_lr} over the run's epochs. */
        @com.fasterxml.jackson.annotation.JsonProperty("cosine") COSINE,
        /** A decay by gamma when the selection metric stops improving. */
        @com.fasterxml.jackson.annotation.JsonProperty("plateau") PLATEAU
    }

    /** The papers' schedule: milestones. */
    public static final ScheduleConfig MILESTONES = new ScheduleConfig(Kind.MILESTONES, null, null, null, null);

    /**
     * A schedule of this kind with its defaults.
     *
     * @param kind the kind
     * @return the schedule
     */
    public static ScheduleConfig of(Kind kind) {
        return new ScheduleConfig(kind, null, null, null, null);
    }

    /**
     * The JSON name of a kind, as configs spell it.
     *
     * @param kind a kind
     * @return e.g. {@code "cosine"}
     */
    public static String enumName(Kind kind) {
        return ConfigSchema.enumNames(Kind.class).get(kind.ordinal());
    }

    /** Fills in the defaults of settings left null. */
    public ScheduleConfig {
        kind = kind != null ? kind : Kind.MILESTONES;
        stepSize = stepSize != null ? stepSize : 10;
        minLr = minLr != null ? minLr : 0.0;
        patience = patience != null ? patience : 5;
        minDelta = minDelta != null ? minDelta : 0.0;
    }
}
