package snn.neurons;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Tensors;

/**
 * A linear map {@code W x + b} applied to every time step of a {@code [batch, inputs, time]} tensor, producing
 * {@code [batch, outputs, time]} (parameters {@code weight [outputs, inputs]} and {@code bias [outputs]}).
 */
public final class Projection extends Module {

    private final Tensor weight;
    private final Tensor bias;

    /**
     * Weights drawn from U(-1/sqrt(inputs), 1/sqrt(inputs)) (the papers' init); bias from U(-biasBound, biasBound),
     * 0 giving a zero bias.
     *
     * @param inputs    presynaptic units M (the weight's columns)
     * @param outputs   postsynaptic units N (the weight's rows and the bias length)
     * @param biasBound half-width of the bias's uniform init, &ge; 0; 0 for a zero bias
     */
    public Projection(int inputs, int outputs, double biasBound) {
        double bound = 1 / Math.sqrt(inputs);
        weight = Tensors.own(register_parameter("weight", Initialisation.uniform(bound, outputs, inputs)));
        bias = Tensors.own(register_parameter("bias",
                biasBound == 0 ? Tensors.zeros(outputs) : Initialisation.uniform(biasBound, outputs)));
    }

    /**
     * Projects every time step at once: W x_t + b for each t.
     *
     * @param x float32 input {@code [batch, inputs, time]}
     * @return the currents {@code [batch, outputs, time]}
     */
    public Tensor overTime(Tensor x) {
        return weight.matmul(x).add(bias.unsqueeze(1));
    }

    /**
     * Projects a single time step: W x + b.
     *
     * @param x float32 input {@code [batch, inputs]}
     * @return the currents {@code [batch, outputs]}
     */
    public Tensor step(Tensor x) {
        return torch.addmm(bias, x, weight.t());
    }

    /** {@return the weight parameter W {@code [outputs, inputs]} (the registered tensor, not a copy)} */
    public Tensor weight() {
        return weight;
    }

    /** {@return the bias parameter b {@code [outputs]} (the registered tensor, not a copy)} */
    public Tensor bias() {
        return bias;
    }
}
