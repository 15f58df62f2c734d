package snn.neurons;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The closed-form pieces of the block model (algorithms.md section 3), as autograd-differentiable LibTorch ops on
 * {@code [batch, neurons, time]} tensors.
 */
public final class Dynamics {

    private static final Scalar ZERO = Tensors.constant(0.0);
    private static final Scalar ONE = Tensors.constant(1.0);

    private Dynamics() {
    }

    /**
     * The no-reset membrane V~_t = sum_{k=0..t} beta^k I_{t-k} (eq. 3.1.2) for every step at once: a causal,
     * depthwise convolution of the current with the kernel [beta^(T-1), ..., beta, 1].
     *
     * @param current {@code [batch, neurons, T]}
     * @param beta    clamped decay, {@code [neurons]} or {@code [1]}
     * @return the no-reset membrane V~ {@code [batch, neurons, T]}, differentiable in {@code current} and
     *         {@code beta}
     */
    public static Tensor noResetMembrane(Tensor current, Tensor beta) {
        long n = current.size(1);
        long t = current.size(2);
        Tensor kernel = powers(beta, t).flip(1);
        if (kernel.size(0) != n) {
            kernel = kernel.expand(n, t);
        }
        Tensor padded = torch.constant_pad_nd(current, t - 1, 0);
        return torch.conv1d(padded, kernel.contiguous().unsqueeze(1), null, new long[] {1}, new long[] {0},
                new long[] {1}, n);
    }

    /**
     * The powers of the decay, beta^u for u = 0..length-1.
     *
     * @param beta   clamped decay, {@code [neurons]} or {@code [1]}
     * @param length the number of powers, T for the membrane kernel or a block's length
     * @return {@code [neurons, length]} or {@code [1, length]} (row i: 1, beta_i, beta_i^2, ...), differentiable in
     *         {@code beta}
     */
    public static Tensor powers(Tensor beta, long length) {
        Tensor exponents = torch.arange(new Scalar(0), new Scalar(length), Tensors.float32());
        return beta.unsqueeze(1).pow(exponents);
    }

    /**
     * Keeps each neuron's first spike along the last axis (eq. 3.1.4-5): z = cumsum(cumsum(s^)), then s = [z == 1]
     * in the forward pass with dS/dz = 1 everywhere (the reference's straight-through g). The gradient of a
     * faulty spike is therefore the reverse double cumulative sum of the output gradient (eq. 3.2).
     *
     * @param faulty the faulty spikes s^ (0/1, carrying the surrogate gradient), time on the last axis, e.g.
     *               {@code [batch, neurons, time]}
     * @return the first spikes s, 0/1 and of the same shape, at most one 1 per neuron along the last axis
     */
    public static Tensor firstSpikes(Tensor faulty) {
        Tensor z = faulty.cumsum(-1).cumsum(-1);
        Tensor zd = z.detach();
        Tensor notFirst = zd.masked_fill(zd.eq(ONE), ZERO);
        return z.sub(notFirst);
    }
}
