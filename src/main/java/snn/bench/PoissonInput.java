package snn.bench;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Tensors;

/**
 * Synthetic benchmark input. The papers' protocol (docs/specification.md section 7.4): per sample a rate r ~ U(0, 200), then
 * every (unit, step) entry Poisson(r / T) clipped to 1, so each input unit emits about r spikes over the window
 * whatever T is. Drawn from libtorch's global generator (seed it first).
 */
final class PoissonInput {

    /** Upper bound of the per-sample rate, in spikes per unit per window. */
    static final double MAX_RATE = 200;

    private PoissonInput() {
    }

    /** Spikes {@code [batch, units, tLen]} (float32, 0 or 1). */
    static Tensor spikes(int batch, int units, int tLen) {
        Tensor meanPerStep = Tensors.uniform(null, batch, 1, 1).mul(Tensors.scalar(MAX_RATE / tLen));
        Tensor means = meanPerStep.expand(batch, units, tLen).contiguous();
        return torch.poisson(means).clamp_max(Tensors.scalar(1));
    }

    /**
     * Spikes {@code [batch, units, tLen]} (float32, 0 or 1), each entry independently a spike with probability
     * {@code rate}: a fixed density, as recorded data have (SHD about 0.015).
     */
    static Tensor atRate(int batch, int units, int tLen, double rate) {
        return Tensors.uniform(null, batch, units, tLen).lt(Tensors.scalar(rate)).to(torch.ScalarType.Float);
    }

    /** Uniform random class labels {@code [batch]} (int64) for the whole-network scope. */
    static Tensor labels(int batch, int classes) {
        return Tensors.randomLabels(classes, batch);
    }
}
