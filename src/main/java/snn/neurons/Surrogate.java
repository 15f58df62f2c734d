package snn.neurons;

import org.bytedeco.pytorch.Tensor;

import snn.runtime.Tensors;

/**
 * A spike function: the Heaviside step H(u) = [u &gt; 0] in the forward pass, with a smooth pseudo-derivative in
 * the backward pass. {@code u} is the membrane minus the threshold.
 *
 * <p>Implemented without a custom autograd function: {@code H(u).detach() + (f(u) - f(u).detach())} has the value
 * of the step and the gradient of {@code f}, whose derivative is the surrogate.
 */
public sealed interface Surrogate permits Surrogate.FastSigmoid, Surrogate.Arctan, Surrogate.Triangle {

    /**
     * Spikes {@code H(u)} carrying the surrogate gradient: the forward value is the step, the gradient with respect
     * to {@code u} is {@link #derivative} elementwise.
     *
     * @param u the membrane minus the threshold, any shape
     * @return 0/1 spikes of the same shape and dtype as {@code u}, 1 where {@code u > 0}
     */
    default Tensor spike(Tensor u) {
        Tensor step = u.gt(Tensors.scalar(0)).to(u.scalar_type());
        Tensor f = smooth(u);
        return step.add(f.sub(f.detach()));
    }

    /**
     * The primitive f whose derivative is the surrogate gradient; only its gradient matters to {@link #spike}.
     *
     * @param u the membrane minus the threshold, any shape
     * @return f(u) elementwise, of the same shape as {@code u}
     */
    Tensor smooth(Tensor u);

    /**
     * The surrogate derivative dH/du at one point, for tests and documentation.
     *
     * @param u the membrane minus the threshold
     * @return the pseudo-derivative at {@code u}, 1 at the threshold for fast sigmoid and triangle
     */
    double derivative(double u);

    /**
     * Fast sigmoid (SuperSpike, Zenke and Ganguli 2018), the papers' choice: dH/du = 1 / (scale |u| + 1)^2, from
     * f(u) = u / (1 + scale |u|). The papers use scale 10.
     *
     * @param scale the steepness k, &gt; 0: the derivative falls to 1/4 at |u| = 1/k
     */
    record FastSigmoid(double scale) implements Surrogate {
        @Override
        public Tensor smooth(Tensor u) {
            return u.div(u.abs().mul(Tensors.scalar(scale)).add(Tensors.scalar(1)));
        }

        @Override
        public double derivative(double u) {
            double d = scale * Math.abs(u) + 1;
            return 1 / (d * d);
        }
    }

    /**
     * Arctangent: dH/du = (alpha / 2) / (1 + (pi alpha u / 2)^2), from f(u) = atan(pi alpha u / 2) / pi.
     *
     * @param alpha the steepness, &gt; 0: the derivative peaks at alpha / 2 at the threshold
     */
    record Arctan(double alpha) implements Surrogate {
        @Override
        public Tensor smooth(Tensor u) {
            return u.mul(Tensors.scalar(Math.PI * alpha / 2)).atan().div(Tensors.scalar(Math.PI));
        }

        @Override
        public double derivative(double u) {
            double x = Math.PI * alpha * u / 2;
            return (alpha / 2) / (1 + x * x);
        }
    }

    /**
     * Triangle: dH/du = max(0, 1 - scale |u|), from f(u) = c - scale c |c| / 2 with c = clamp(u, -1/scale, 1/scale).
     *
     * @param scale the steepness, &gt; 0: the derivative is non-zero only for |u| &lt; 1/scale
     */
    record Triangle(double scale) implements Surrogate {
        @Override
        public Tensor smooth(Tensor u) {
            double w = 1 / scale;
            Tensor c = u.clamp(new org.bytedeco.pytorch.ScalarOptional(Tensors.scalar(-w)),
                    new org.bytedeco.pytorch.ScalarOptional(Tensors.scalar(w)));
            return c.sub(c.mul(c.abs()).mul(Tensors.scalar(scale / 2)));
        }

        @Override
        public double derivative(double u) {
            return Math.max(0, 1 - scale * Math.abs(u));
        }
    }
}
