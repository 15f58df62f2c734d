package snn.neurons;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Tensors;

/**
 * The d-block layer (docs/specification.md section 4): time is cut into d blocks of L = floor(T/d) steps, plus a final
 * block of the remaining r = T - dL steps when r &gt; 0. Each block is a block layer started from rest (at most one
 * spike per neuron per block). With recurrence, block k+1 receives c = W_rec a_k + b_rec on its first step, where
 * a_k is the max (default) or the sum over block k's spikes, detached or not.
 *
 * <p>Since the membrane is linear in the current, V~_block = conv(I_block) + beta^u c: the convolutions of all
 * blocks run in one batched op and only the cheap injection and spike selection run block by block.
 *
 * <p>The {@link NeuronKernels} given at construction may compute the layer instead of these LibTorch ops (the fused
 * native kernels: docs/native-kernels.md); the results are the same.
 */
public final class DBlockLayer extends NeuronLayer<DynamicsSpec.DBlock> {

    /** How the previous block's spikes are reduced before the recurrent projection. */
    public enum RecurrentInput {
        /** a_k = max over the block's steps (did the neuron spike?); the gradient is split among tied maxima. */
        MAX,
        /** a_k = sum over the block's steps: the same 0/1 value as {@link #MAX}, a gradient of 1 on every step. */
        SUM
    }

    private static final Scalar ONE = Tensors.constant(1.0);

    /**
     * A d-block layer computed with LibTorch ops ({@link NeuronKernels#TORCH}), with input weights drawn from
     * U(-1/sqrt(inputs), 1/sqrt(inputs)) and a zero bias.
     *
     * @param inputs          presynaptic units
     * @param neurons         neurons in the layer, n
     * @param blocks          d, the number of regular blocks (1 &le; d &le; T)
     * @param recurrent       whether block k+1 receives W_rec a_k + b_rec (weights U(&plusmn;1/sqrt(n)), bias 0)
     * @param detachRecurrent stop the gradient through a_k ("detach spike reset"; W_rec is still learned)
     * @param recurrentInput  how a_k is formed from block k's spikes (ignored without recurrence)
     * @param spiking         false for the readout: reports the per-block no-reset membrane only
     * @param beta            the membrane decay, shared by all blocks
     * @param surrogate       the spike function's pseudo-derivative (unused when not spiking)
     * @throws IllegalArgumentException when {@code blocks} &lt; 1, or when a non-spiking layer is asked to be
     *                                  recurrent
     */
    public DBlockLayer(int inputs, int neurons, int blocks, boolean recurrent, boolean detachRecurrent,
            RecurrentInput recurrentInput, boolean spiking, Beta beta, Surrogate surrogate) {
        this(inputs, neurons, blocks, recurrent, detachRecurrent, recurrentInput, spiking, beta, surrogate,
                NeuronKernels.TORCH);
    }

    /**
     * As above, with the layer (input projection and dynamics) computed by {@code kernels} where they can.
     *
     * @param inputs          presynaptic units
     * @param neurons         neurons in the layer, n
     * @param blocks          d, the number of regular blocks (1 &le; d &le; T)
     * @param recurrent       whether block k+1 receives W_rec a_k + b_rec
     * @param detachRecurrent stop the gradient through a_k
     * @param recurrentInput  how a_k is formed from block k's spikes
     * @param spiking         false for the readout
     * @param beta            the membrane decay
     * @param surrogate       the spike function's pseudo-derivative
     * @param kernels         who computes the layer
     * @throws IllegalArgumentException when {@code blocks} &lt; 1, or when a non-spiking layer is asked to be
     *                                  recurrent
     */
    public DBlockLayer(int inputs, int neurons, int blocks, boolean recurrent, boolean detachRecurrent,
            RecurrentInput recurrentInput, boolean spiking, Beta beta, Surrogate surrogate, NeuronKernels kernels) {
        super(inputs, neurons,
                new DynamicsSpec.DBlock(blocks, spiking, recurrent, detachRecurrent, recurrentInput, surrogate), 0,
                beta, kernels);
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException when there are fewer than d time steps
     */
    @Override
    void checkSteps(long t) {
        if (t < spec().blocks()) {
            throw new IllegalArgumentException("d = " + spec().blocks() + " blocks need at least as many time steps,"
                    + " got " + t);
        }
    }

    /** The LibTorch ops: all blocks' convolutions batched, then block by block for the recurrence. */
    @Override
    LayerOutput dynamics(Tensor current, Tensor b) {
        int blocks = spec().blocks();
        Surrogate surrogate = spec().surrogate();
        Projection recurrent = recurrentProjection();
        long batch = current.size(0);
        long n = current.size(1);
        long t = current.size(2);
        long len = t / blocks;
        long rest = t - blocks * len;

        // All regular blocks side by side as a batch of [batch * d, n, L] sequences, each starting from rest.
        Tensor regular = current.narrow(2, 0, blocks * len).reshape(batch, n, blocks, len).permute(0, 2, 1, 3)
                .reshape(batch * blocks, n, len);
        Tensor regularMembrane = Dynamics.noResetMembrane(regular, b).reshape(batch, blocks, n, len)
                .permute(0, 2, 1, 3);
        Tensor restMembrane = rest > 0 ? Dynamics.noResetMembrane(current.narrow(2, blocks * len, rest), b) : null;

        if (!spiking()) {
            return new LayerOutput(null, joinTime(regularMembrane.reshape(batch, n, blocks * len), restMembrane));
        }
        if (recurrent == null) {
            Tensor spikes = Dynamics.firstSpikes(surrogate.spike(regularMembrane.sub(ONE)))
                    .reshape(batch, n, blocks * len);
            Tensor restSpikes = restMembrane == null ? null
                    : Dynamics.firstSpikes(surrogate.spike(restMembrane.sub(ONE)));
            return new LayerOutput(joinTime(spikes, restSpikes),
                    joinTime(regularMembrane.reshape(batch, n, blocks * len), restMembrane));
        }

        TensorVector membranes = regularMembrane.unbind(2);
        if (restMembrane != null) {
            membranes.push_back(restMembrane);
        }
        Tensor regularPowers = Dynamics.powers(b, len);
        Tensor restPowers = rest > 0 ? Dynamics.powers(b, rest) : null;
        TensorVector spikeBlocks = new TensorVector();
        TensorVector membraneBlocks = new TensorVector();
        Tensor injected = null;
        for (int k = 0; k < membranes.size(); k++) {
            Tensor v = Tensors.element(membranes, k);
            if (injected != null) {
                // c enters the block's first step without a beta factor, so it decays as beta^u inside the block.
                v = v.add(injected.unsqueeze(2).mul(k < blocks ? regularPowers : restPowers));
            }
            Tensor s = Dynamics.firstSpikes(surrogate.spike(v.sub(ONE)));
            spikeBlocks.push_back(s);
            membraneBlocks.push_back(v);
            Tensor fired = spec().reduction() == RecurrentInput.MAX ? s.amax(new long[] {2}, false) : s.sum(2);
            injected = recurrent.step(spec().detach() ? fired.detach() : fired);
        }
        return new LayerOutput(torch.cat(spikeBlocks, 2), torch.cat(membraneBlocks, 2));
    }

    private static Tensor joinTime(Tensor regular, Tensor rest) {
        if (rest == null) {
            return regular;
        }
        TensorVector parts = new TensorVector(regular, rest);
        return torch.cat(parts, 2);
    }

    /** {@return d, the number of regular blocks (one more block follows when d does not divide the steps)} */
    public int blocks() {
        return spec().blocks();
    }
}
