package snn.bench;

import snn.config.ModelConfig;

/**
 * One shape of a grid. Every method variant of a point is measured on the same input in the same run, and its
 * speed-ups are taken against the point's standard SNN.
 *
 * @param standardSingleSpike whether the standard reference is single-spike (else multi-spike with reset)
 * @param classes             readout outputs, used with scope {@code network} only
 */
record BenchPoint(int batch, int nIn, int hidden, int layers, int tLen, boolean recurrent,
        boolean perNeuronBeta, boolean learnBeta, ModelConfig.Kernels kernels, boolean standardSingleSpike,
        BenchConfig.Scope scope, int classes) {

    /** The reference model, e.g. {@code standard single-spike recurrent}. */
    public String baseline() {
        return "standard " + (standardSingleSpike ? "single-spike" : "multi-spike")
                + (recurrent ? " recurrent" : " feed-forward");
    }

    /** A one-line description for progress output. */
    public String describe() {
        return "b=" + batch + " n_in=" + nIn + " hidden=" + hidden + (layers > 1 ? "x" + layers : "") + " T=" + tLen
                + (recurrent ? " rec" : " ff") + (perNeuronBeta ? "" : " shared-beta")
                + (learnBeta ? "" : " fixed-beta") + (kernels == ModelConfig.Kernels.TORCH ? "" : " kernels=" + kernels.name().toLowerCase(java.util.Locale.ROOT))
                + (scope == BenchConfig.Scope.NETWORK ? " whole-network(" + classes + ")" : "");
    }
}
