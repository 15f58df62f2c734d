package snn.neurons;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Tensors;

/**
 * The standard leaky integrate-and-fire layer, simulated step by step (docs/specification.md section 2): the baseline
 * the block and d-block models are measured against.
 *
 * <p>U_0 = I_0, U_t = beta V_{t-1} + I_t (+ W_rec sg(s_{t-1}) + b_rec when recurrent, t &ge; 1), spike when
 * U_t - 1 &gt; 0. What V_t is depends on the {@link Mode} and, for multi-spike layers, the {@link Reset}.
 *
 * <p>The {@link NeuronKernels} given at construction may compute the layer instead of these LibTorch ops (the fused
 * native kernels: docs/native-kernels.md); the results are the same. {@link #run} runs the dynamics on a
 * precomputed current.
 */
public final class LifLayer extends NeuronLayer<DynamicsSpec.Lif> {

    /** How spikes and the carried membrane are formed (table 2.2). */
    public enum Mode {
        /** s_t = H(U_t - 1), V_t = U_t - s_t (subtractive reset, gradient through the reset); reports U_t. */
        MULTI_SPIKE,
        /** s_t = H(U_t - 1)(1 - m_{t-1}), V_t = U_t (1 - m_{t-1}), m_t = max(m_{t-1}, s_t); reports V_t. */
        SINGLE_SPIKE,
        /** V_t = U_t: a pure leaky integrator with no spikes (readouts); reports U_t. */
        INTEGRATOR
    }

    /**
     * What a {@link Mode#MULTI_SPIKE} neuron's membrane becomes in the step it spikes (docs/specification.md section
     * 2.2). The other modes never reset: they take {@link #SUBTRACT}, the default, and refuse {@link #ZERO}.
     */
    public enum Reset {
        /** V_t = U_t - s_t: the threshold is subtracted (the papers' standard SNN; the default). */
        SUBTRACT,
        /** V_t = U_t (1 - s_t): the membrane is set to 0 (NIR's LIF with v_reset = 0). */
        ZERO
    }

    private static final Scalar ONE = Tensors.constant(1.0);

    /**
     * A LIF layer computed with LibTorch ops ({@link NeuronKernels#TORCH}), with input weights drawn from
     * U(-1/sqrt(inputs), 1/sqrt(inputs)) and a zero bias.
     *
     * @param inputs    presynaptic units
     * @param neurons   neurons in the layer, n
     * @param mode      how spikes and the carried membrane are formed
     * @param recurrent adds W_rec sg(s_{t-1}) + b_rec (n x n, PyTorch's default init for weight and bias); not
     *                  allowed for {@link Mode#INTEGRATOR}
     * @param beta      the membrane decay: initial value, per neuron or shared, learnable or fixed
     * @param surrogate the spike function's pseudo-derivative (unused by an integrator)
     * @throws IllegalArgumentException when {@code recurrent} is asked of an {@link Mode#INTEGRATOR} layer
     */
    public LifLayer(int inputs, int neurons, Mode mode, boolean recurrent, Beta beta, Surrogate surrogate) {
        this(inputs, neurons, mode, recurrent, beta, surrogate, NeuronKernels.TORCH);
    }

    /**
     * As above, with the layer (input projection and dynamics) computed by {@code kernels} where they can.
     *
     * @param inputs    presynaptic units
     * @param neurons   neurons in the layer, n
     * @param mode      how spikes and the carried membrane are formed
     * @param recurrent adds W_rec sg(s_{t-1}) + b_rec; not allowed for {@link Mode#INTEGRATOR}
     * @param beta      the membrane decay
     * @param surrogate the spike function's pseudo-derivative
     * @param kernels   who computes the layer
     * @throws IllegalArgumentException when {@code recurrent} is asked of an {@link Mode#INTEGRATOR} layer
     */
    public LifLayer(int inputs, int neurons, Mode mode, boolean recurrent, Beta beta, Surrogate surrogate,
            NeuronKernels kernels) {
        this(inputs, neurons, mode, Reset.SUBTRACT, recurrent, beta, surrogate, kernels);
    }

    /**
     * As above, with the reset of a multi-spike layer chosen.
     *
     * @param inputs    presynaptic units
     * @param neurons   neurons in the layer, n
     * @param mode      how spikes and the carried membrane are formed
     * @param reset     the multi-spike reset; {@link Reset#SUBTRACT} for the other modes
     * @param recurrent adds W_rec sg(s_{t-1}) + b_rec; not allowed for {@link Mode#INTEGRATOR}
     * @param beta      the membrane decay
     * @param surrogate the spike function's pseudo-derivative
     * @param kernels   who computes the layer
     * @throws IllegalArgumentException when {@code recurrent} is asked of an {@link Mode#INTEGRATOR} layer, or
     *                                  {@link Reset#ZERO} of a layer that is not {@link Mode#MULTI_SPIKE}
     */
    public LifLayer(int inputs, int neurons, Mode mode, Reset reset, boolean recurrent, Beta beta,
            Surrogate surrogate, NeuronKernels kernels) {
        super(inputs, neurons, new DynamicsSpec.Lif(mode, reset, recurrent, surrogate), 1 / Math.sqrt(neurons),
                beta, kernels);
    }

    /** The LibTorch ops: one step at a time. */
    @Override
    LayerOutput dynamics(Tensor current, Tensor b) {
        Mode mode = spec().mode();
        Surrogate surrogate = spec().surrogate();
        Projection recurrent = recurrentProjection();
        TensorVector steps = current.unbind(2);
        int t = (int) steps.size();
        TensorVector spikes = new TensorVector();
        TensorVector membranes = new TensorVector();
        Tensor v = null;
        Tensor s = null;
        Tensor mask = mode == Mode.SINGLE_SPIKE ? torch.zeros_like(Tensors.element(steps, 0)) : null;
        for (int i = 0; i < t; i++) {
            Tensor u = i == 0 ? Tensors.element(steps, 0) : v.mul(b).add(Tensors.element(steps, i));
            if (recurrent != null && i > 0) {
                u = u.add(recurrent.step(s.detach()));
            }
            switch (mode) {
                case MULTI_SPIKE -> {
                    s = surrogate.spike(u.sub(ONE));
                    // Either reset keeps the spike's surrogate gradient: U_t - s_t, or U_t (1 - s_t) = U_t - U_t s_t.
                    v = spec().reset() == Reset.ZERO ? u.sub(u.mul(s)) : u.sub(s);
                    membranes.push_back(u);
                }
                case SINGLE_SPIKE -> {
                    Tensor open = torch.ones_like(mask).sub(mask);
                    s = surrogate.spike(u.sub(ONE)).mul(open);
                    v = u.mul(open);
                    mask = torch.maximum(mask, s);
                    membranes.push_back(v);
                }
                case INTEGRATOR -> {
                    v = u;
                    membranes.push_back(u);
                }
            }
            if (s != null) {
                spikes.push_back(s);
            }
        }
        Tensor membrane = torch.stack(membranes, 2);
        return new LayerOutput(mode == Mode.INTEGRATOR ? null : torch.stack(spikes, 2), membrane);
    }

    /** {@return how spikes and the carried membrane are formed} */
    public Mode mode() {
        return spec().mode();
    }

    /** {@return what the membrane becomes in a spike's step} */
    public Reset reset() {
        return spec().reset();
    }
}
