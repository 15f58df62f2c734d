package snn.neurons;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;

/**
 * Membrane decay factors beta = exp(-dt / tau), one per neuron or one shared, learnable or fixed.
 *
 * <p>The value used is always {@code clamp(raw, 0, 1)} (the reference has no re-parametrisation; once raw leaves
 * the range its gradient is zero and it stays pinned).
 */
public record Beta(double initial, boolean perNeuron, boolean learnable) {

    public Beta {
        if (!(initial >= 0 && initial <= 1)) {
            throw new IllegalArgumentException("beta must be in [0, 1], got " + initial);
        }
    }

    /** Beta from a time constant in time steps: exp(-1 / tau). */
    public static Beta fromTau(double tauSteps, boolean perNeuron, boolean learnable) {
        return new Beta(Math.exp(-1 / tauSteps), perNeuron, learnable);
    }

    /** Registers the raw parameter {@code beta} of shape {@code [neurons]} or {@code [1]} on {@code owner}. */
    Tensor register(Module owner, int neurons) {
        Tensor raw = Tensors.full(initial, perNeuron ? neurons : 1);
        return Tensors.own(owner.register_parameter("beta", raw, learnable));
    }

    /** The beta actually used: raw clamped to [0, 1]. */
    static Tensor clamped(Tensor raw) {
        return raw.clamp(new ScalarOptional(new Scalar(0.0)), new ScalarOptional(new Scalar(1.0)));
    }
}
