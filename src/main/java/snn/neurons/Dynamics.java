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
     * Above this many kernel-matrix entries (neurons x T x T) the membrane is computed by convolution instead of
     * the matrix product: 2^25 floats = 128 MiB, held once for the forward pass and once for its gradient.
     */
    static final long MATRIX_ENTRIES_LIMIT = 1L << 25;

    /**
     * The no-reset membrane V~_t = sum_{k=0..t} beta^k I_{t-k} (eq. 3.1.2) for every step at once: a causal,
     * depthwise convolution of the current with the kernel [beta^(T-1), ..., beta, 1].
     *
     * <p>It is computed as a product with each neuron's lower-triangular Toeplitz matrix K[t, s] = beta^(t-s) (the
     * same sums as the convolution, but a batched matrix product, which CPUs run far faster than a depthwise
     * convolution whose kernel is as long as its input), or as the convolution itself when the matrices would
     * exceed {@link #MATRIX_ENTRIES_LIMIT} entries.
     *
     * @param current {@code [batch, neurons, T]}
     * @param beta    clamped decay, {@code [neurons]} or {@code [1]}
     * @return the no-reset membrane V~ {@code [batch, neurons, T]}, differentiable in {@code current} and
     *         {@code beta}
     */
    public static Tensor noResetMembrane(Tensor current, Tensor beta) {
        long t = current.size(2);
        return beta.size(0) * t * t <= MATRIX_ENTRIES_LIMIT ? byMatrixProduct(current, beta)
                : byConvolution(current, beta);
    }

    /** {@link #noResetMembrane} as V~[b, i, :] = K_i I[b, i, :], one product per neuron (or one shared). */
    static Tensor byMatrixProduct(Tensor current, Tensor beta) {
        long t = current.size(2);
        // K[i, u, s] = beta_i^(u-s) below the diagonal, gathered from the powers beta_i^0 .. beta_i^(T-1).
        Tensor steps = torch.arange(new Scalar(t));
        Tensor lag = steps.unsqueeze(1).sub(steps.unsqueeze(0));
        Tensor causal = lag.ge(ZERO);
        Tensor kernel = powers(beta, t).index_select(1, lag.clamp_min(new Scalar(0L)).flatten()).view(beta.size(0), t, t)
                .mul(causal);
        if (beta.size(0) == 1) {
            return current.matmul(kernel.squeeze(0).t());
        }
        // [neurons, batch, T] x [neurons, T, T]: a batch of per-neuron products, back to [batch, neurons, T].
        return current.permute(1, 0, 2).bmm(kernel.transpose(1, 2)).permute(1, 0, 2);
    }

    /** {@link #noResetMembrane} as a causal depthwise convolution. */
    static Tensor byConvolution(Tensor current, Tensor beta) {
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
