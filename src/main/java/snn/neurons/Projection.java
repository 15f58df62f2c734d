package snn.neurons;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

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
     */
    public Projection(int inputs, int outputs, double biasBound) {
        double bound = 1 / Math.sqrt(inputs);
        weight = Tensors.own(register_parameter("weight", Initialisation.uniform(bound, outputs, inputs)));
        bias = Tensors.own(register_parameter("bias",
                biasBound == 0 ? Tensors.zeros(outputs) : Initialisation.uniform(biasBound, outputs)));
    }

    /** {@code [batch, inputs, time] -> [batch, outputs, time]}. */
    public Tensor overTime(Tensor x) {
        return weight.matmul(x).add(bias.unsqueeze(1));
    }

    /** {@code [batch, inputs] -> [batch, outputs]} for one time step. */
    public Tensor step(Tensor x) {
        return torch.addmm(bias, x, weight.t());
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }
}
