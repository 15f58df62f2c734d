package snn.bench;

/**
 * One shape of a grid. Every variant of a point (method, d, kernels) is measured on the same input in the same run,
 * interleaved round by round; its speed-ups are taken against the point's standard SNN run by the same kernels and
 * against the run's baseline.
 *
 * @param inputRate           the input's density (each entry a spike with this probability), or null for the
 *                            papers' Poisson protocol
 * @param standardSingleSpike whether the standard reference is single-spike (else multi-spike with reset)
 * @param classes             readout outputs, used with scope {@code network} only
 * @param targetSpikes        spikes per sample per hidden layer each model is calibrated to fire, by model; empty for
 *                            networks timed as initialised
 */
record BenchPoint(int batch, int nIn, int hidden, int layers, int tLen, boolean recurrent,
        boolean perNeuronBeta, boolean learnBeta, Double inputRate, boolean standardSingleSpike,
        BenchConfig.Scope scope, int classes, java.util.Map<snn.config.ModelConfig.Kind, Double> targetSpikes) {

    BenchPoint {
        targetSpikes = java.util.Map.copyOf(targetSpikes);
    }

    /** {@return the spikes per sample per hidden layer {@code method}'s network is calibrated to, or null} */
    Double target(snn.config.ModelConfig.Kind method) {
        return targetSpikes.get(method);
    }

    /** The reference model, e.g. {@code standard single-spike recurrent}. */
    public String baseline() {
        return "standard " + (standardSingleSpike ? "single-spike" : "multi-spike")
                + (recurrent ? " recurrent" : " feed-forward");
    }

    /** {@return the input as the rows name it: {@code poisson} or the density, e.g. {@code 0.015}} */
    public String input() {
        return inputRate == null ? "poisson" : BenchRow.number(inputRate);
    }

    /** A one-line description for progress output. */
    public String describe() {
        return "b=" + batch + " n_in=" + nIn + " hidden=" + hidden + (layers > 1 ? "x" + layers : "") + " T=" + tLen
                + (recurrent ? " rec" : " ff") + (perNeuronBeta ? "" : " shared-beta")
                + (learnBeta ? "" : " fixed-beta") + (inputRate == null ? "" : " input-rate=" + input())
                + (scope == BenchConfig.Scope.NETWORK ? " whole-network(" + classes + ")" : "")
                + (targetSpikes.isEmpty() ? "" : " firing" + new java.util.TreeMap<>(targetSpikes));
    }
}
