package snn.interop.nir;

/**
 * snn's discrete-time neurons in NIR's continuous-time terms, and back (docs/interop.md, "NIR").
 *
 * <p>snn steps U_t = beta V_{t-1} + I_t. NIR's LIF and LI nodes declare tau dv/dt = (v_leak - v) + r I; integrated
 * with forward Euler over a step dt (as snnTorch, Norse, Spyx and the NIR paper's Lava converter do) that is
 * v_t = (1 - dt/tau) v_{t-1} + (dt/tau) (v_leak + r I_t). snn therefore writes tau = dt / (1 - beta),
 * r = tau / dt = 1 / (1 - beta), v_leak = 0 and v_threshold = 1, which gives back beta and a unit input gain
 * exactly. (beta = exp(-dt/tau) is the exact solution of the ODE for a constant input; a reader that integrates
 * that way instead gets a slightly different decay.)
 */
final class NeuronMapping {

    /**
     * dt/tau written for beta = 1 (no leak), where dt / (1 - beta) is infinite: 2^-26, the smallest convenient rate
     * whose 1 - dt/tau rounds to 1 in float32 (snn's precision), so snn reads beta = 1 back.
     */
    public static final double NO_LEAK_RATE = 0x1p-26;

    private NeuronMapping() {
    }

    /**
     * NIR's time constant for a decay.
     *
     * @param beta the decay per step, in [0, 1]
     * @param dt   the step, seconds (&gt; 0)
     * @return dt / (1 - beta) seconds; dt / {@link #NO_LEAK_RATE} for beta = 1
     * @throws IllegalArgumentException when beta is outside [0, 1] or dt is not positive
     */
    public static double tau(double beta, double dt) {
        return dt / rate(beta, dt);
    }

    /**
     * NIR's resistance for a decay: the input gain that makes forward Euler add the current unscaled.
     *
     * @param beta the decay per step, in [0, 1]
     * @return 1 / (1 - beta) (= tau / dt); 1 / {@link #NO_LEAK_RATE} for beta = 1
     * @throws IllegalArgumentException when beta is outside [0, 1]
     */
    public static double r(double beta) {
        return 1 / rate(beta, 1);
    }

    private static double rate(double beta, double dt) {
        if (!(beta >= 0 && beta <= 1)) {
            throw new IllegalArgumentException("beta must be in [0, 1], got " + beta);
        }
        if (!(dt > 0 && Double.isFinite(dt))) {
            throw new IllegalArgumentException("dt must be a positive number of seconds, got " + dt);
        }
        return beta == 1 ? NO_LEAK_RATE : 1 - beta;
    }

    /**
     * One neuron of a NIR node in snn's terms.
     *
     * @param beta the decay per step, 1 - dt/tau rounded to float32
     * @param gain what the neuron's input must be multiplied by so that snn's unit-gain, unit-threshold neuron
     *             computes the same thing: dt r / (tau v_threshold) (for LI, v_threshold = 1)
     */
    public record Step(float beta, double gain) {
    }

    /**
     * Reads a NIR neuron as snn's: the decay and the input gain (threshold folded in) under forward Euler with step
     * {@code dt}.
     *
     * @param tau       time constant, seconds
     * @param r         resistance
     * @param threshold firing threshold (1 for a leaky integrator)
     * @param dt        the step, seconds
     * @return the decay and gain
     * @throws IllegalArgumentException when tau is not positive or shorter than dt (the decay 1 - dt/tau would be
     *                                  negative), the threshold is not positive, or the gain is not finite
     */
    public static Step step(double tau, double r, double threshold, double dt) {
        if (!(tau > 0)) {
            throw new IllegalArgumentException("tau must be positive, got " + tau);
        }
        if (tau < dt) {
            throw new IllegalArgumentException("tau = " + tau + " s is shorter than dt = " + dt
                    + " s: forward Euler would decay by 1 - dt/tau = " + (1 - dt / tau)
                    + " < 0 per step (was the graph made for another dt? give the one it was made for)");
        }
        if (!(threshold > 0)) {
            throw new IllegalArgumentException("v_threshold must be positive, got " + threshold);
        }
        double gain = dt * r / (tau * threshold);
        if (!Double.isFinite(gain)) {
            throw new IllegalArgumentException("the input gain dt r / (tau v_threshold) is " + gain);
        }
        return new Step((float) (1 - dt / tau), gain);
    }
}
