package snn.neurons;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Tensors;

/**
 * The closed-form pieces of the block model (docs/specification.md section 3), as autograd-differentiable LibTorch
 * ops on {@code [batch, neurons, time]} tensors.
 */
final class Dynamics {

    private static final Scalar ZERO = Tensors.constant(0.0);
    private static final Scalar ONE = Tensors.constant(1.0);

    private Dynamics() {
    }

    /**
     * Above this many kernel-matrix entries (neurons x steps^2 of the matrices {@link #byMatrixProduct} builds) the
     * membrane is computed by convolution instead: 2^25 floats = 128 MiB, held once for the forward pass and once
     * for its gradient.
     */
    static final long MATRIX_ENTRIES_LIMIT = 1L << 25;

    /** Sequences up to this many steps take one Toeplitz product; longer ones go in chunks of {@link #CHUNK}. */
    static final long LONGEST_SINGLE_PRODUCT = 128;

    /** The chunk length of {@link #byChunks} for long sequences (fastest of 16, 32 and 64 at T = 256-512). */
    static final long CHUNK = 32;

    /**
     * The no-reset membrane V~_t = sum_{k=0..t} beta^k I_{t-k} (eq. 3.1.2) for every step at once: a causal,
     * depthwise convolution of the current with the kernel [beta^(T-1), ..., beta, 1].
     *
     * <p>Up to {@link #LONGEST_SINGLE_PRODUCT} steps it is a product with each neuron's lower-triangular Toeplitz
     * matrix K[t, s] = beta^(t-s): the same sums as the convolution, as a batched matrix product, which CPUs run far
     * faster than a depthwise convolution whose kernel is as long as its input. Longer sequences go in chunks
     * ({@link #byChunks}), which also avoids the T^2 work. The convolution remains for matrices beyond
     * {@link #MATRIX_ENTRIES_LIMIT} entries.
     *
     * @param current {@code [batch, neurons, T]}
     * @param beta    clamped decay, {@code [neurons]} or {@code [1]}
     * @return the no-reset membrane V~ {@code [batch, neurons, T]}, differentiable in {@code current} and
     *         {@code beta}
     */
    public static Tensor noResetMembrane(Tensor current, Tensor beta) {
        long t = current.size(2);
        boolean single = t <= LONGEST_SINGLE_PRODUCT;
        long side = single ? t : CHUNK;
        if (beta.size(0) * side * side > MATRIX_ENTRIES_LIMIT) {
            return byConvolution(current, beta);
        }
        return single ? byMatrixProduct(current, beta) : byChunks(current, beta, CHUNK);
    }

    /** {@link #noResetMembrane} as V~[b, i, :] = K_i I[b, i, :], one product per neuron (or one shared). */
    static Tensor byMatrixProduct(Tensor current, Tensor beta) {
        long t = current.size(2);
        // K[i, u, s] = beta_i^(u-s) below the diagonal, gathered from the powers beta_i^0 .. beta_i^(T-1).
        Tensor steps = Tensors.arange(t, torch.ScalarType.Long, current);
        Tensor lag = steps.unsqueeze(1).sub(steps.unsqueeze(0));
        Tensor causal = lag.ge(ZERO);
        Tensor index = lag.clamp_min(new Scalar(0L)).flatten().unsqueeze(0).expand(beta.size(0), t * t);
        Tensor kernel = powers(beta, t).gather(1, index).view(beta.size(0), t, t).mul(causal);
        if (beta.size(0) == 1) {
            return current.matmul(kernel.squeeze(0).t());
        }
        // [neurons, batch, T] x [neurons, T, T]: a batch of per-neuron products, back to [batch, neurons, T].
        return current.permute(1, 0, 2).bmm(kernel.transpose(1, 2)).permute(1, 0, 2);
    }

    /**
     * {@link #noResetMembrane} in chunks of {@code chunk} steps: every chunk's membrane from rest by
     * {@link #byMatrixProduct} (all chunks in one product), then what the earlier steps add. A chunk's end E_k obeys
     * E_k = W_k + beta^chunk E_(k-1) (W_k: its end from rest), itself a no-reset membrane over the chunks, and step
     * u of chunk k receives beta^(u+1) E_(k-1). This does T x chunk multiply-adds per neuron instead of T x T.
     */
    static Tensor byChunks(Tensor current, Tensor beta, long chunk) {
        long b = current.size(0);
        long n = current.size(1);
        long t = current.size(2);
        long chunks = (t + chunk - 1) / chunk;
        long padded = chunks * chunk;
        Tensor x = padded == t ? current : torch.constant_pad_nd(current, 0, padded - t);
        Tensor fromRest = byMatrixProduct(x.reshape(b, n, chunks, chunk).permute(0, 2, 1, 3)
                .reshape(b * chunks, n, chunk), beta).reshape(b, chunks, n, chunk).permute(0, 2, 1, 3);
        Tensor ends = noResetMembrane(fromRest.select(3, chunk - 1).contiguous(), beta.pow(Tensors.scalar(chunk)));
        // E_(k-1) for every chunk k (nothing before the first), times beta^(u+1) for its steps u = 0 .. chunk-1.
        Tensor before = torch.constant_pad_nd(ends.narrow(2, 0, chunks - 1), 1, 0);
        Tensor decay = powers(beta, chunk + 1).narrow(1, 1, chunk);
        Tensor membrane = fromRest.add(before.unsqueeze(3).mul(decay.unsqueeze(1)));
        return membrane.reshape(b, n, padded).narrow(2, 0, t);
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
        Tensor exponents = Tensors.arange(length, torch.ScalarType.Float, beta);
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
