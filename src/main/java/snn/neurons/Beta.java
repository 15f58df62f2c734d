package snn.neurons;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;

import snn.runtime.Tensors;

/**
 * Membrane decay factors beta = exp(-dt / tau), one per neuron or one shared, learnable or fixed.
 *
 * <p>The value used is always {@code clamp(raw, 0, 1)} (the reference has no re-parametrisation; once raw leaves
 * the range its gradient is zero and it stays pinned).
 *
 * @param initial   the starting value of every beta, in [0, 1] (1: no leak, 0: no memory of the previous step)
 * @param perNeuron one beta per neuron ({@code [neurons]}) rather than one shared by the layer ({@code [1]})
 * @param learnable whether beta is a trainable parameter, updated by the optimiser with the weights
 */
public record Beta(double initial, boolean perNeuron, boolean learnable) {

    /**
     * Checks the initial value.
     *
     * @throws IllegalArgumentException when {@code initial} is outside [0, 1] or NaN
     */
    public Beta {
        if (!(initial >= 0 && initial <= 1)) {
            throw new IllegalArgumentException("beta must be in [0, 1], got " + initial);
        }
    }

    /**
     * Beta from a time constant counted in time steps: exp(-1 / tau), e.g. tau = 10 gives 0.904837.
     *
     * @param tauSteps  the membrane time constant in time steps (0 gives beta 0; positive infinity gives 1, no leak)
     * @param perNeuron one beta per neuron rather than one per layer
     * @param learnable whether beta is trained with the weights
     * @return the decay with initial value exp(-1 / tauSteps)
     * @throws IllegalArgumentException when {@code tauSteps} is negative or NaN (beta would leave [0, 1])
     */
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
