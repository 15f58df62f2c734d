package snn.neurons;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static snn.neurons.TensorAssertions.assertClose;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * The forms of the no-reset membrane (eq. 3.1.2): Toeplitz matrix product, the same in chunks, and causal
 * convolution.
 */
class DynamicsTest {

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    /** The membrane and the gradients of a weighted sum of it in the current and in beta. */
    private record Pass(Tensor membrane, Tensor currentGrad, Tensor betaGrad) {
    }

    /** One form of the membrane: 0 = convolution, -1 = one matrix product, k &gt; 0 = chunks of k steps. */
    private static Pass run(long form, Tensor current, Tensor beta, Tensor weights) {
        Tensor c = current.detach().clone().set_requires_grad(true);
        Tensor b = beta.detach().clone().set_requires_grad(true);
        Tensor v = form == 0 ? Dynamics.byConvolution(c, b)
                : form < 0 ? Dynamics.byMatrixProduct(c, b) : Dynamics.byChunks(c, b, form);
        v.mul(weights).sum().backward();
        return new Pass(v.detach(), Tensors.gradient(c), Tensors.gradient(b));
    }

    @Test
    void matrixProductAndChunksEqualConvolutionInValuesAndGradients() {
        try (PointerScope scope = new PointerScope()) {
            for (int neurons : new int[] {7, 1}) {
                // 1 and 2 steps, a chunk that does not divide T, and chunks of chunks (70 steps in chunks of 2).
                for (int steps : new int[] {1, 2, 37, 70}) {
                    torch.manual_seed(neurons * 100 + steps);
                    Tensor current = torch.randn(new long[] {3, 7, steps}, Tensors.float32());
                    Tensor weights = torch.randn(new long[] {3, 7, steps}, Tensors.float32());
                    // Decays spread over [0, 1], both ends included: beta = 0 and beta = 1 must not produce NaN.
                    Tensor beta = torch.linspace(Tensors.scalar(0), Tensors.scalar(1), neurons, Tensors.float32());
                    Pass conv = run(0, current, beta, weights);
                    for (long form : new long[] {-1, 2, 5, 32}) {
                        Pass other = run(form, current, beta, weights);
                        String what = (form < 0 ? "one product" : "chunks of " + form) + ", " + neurons
                                + " decays, " + steps + " steps";
                        assertClose("membrane, " + what, conv.membrane(), other.membrane(), 1e-5);
                        assertClose("dL/dI, " + what, conv.currentGrad(), other.currentGrad(), 1e-5);
                        assertClose("dL/dbeta, " + what, conv.betaGrad(), other.betaGrad(), 1e-4);
                    }
                }
            }
        }
    }

    @Test
    void membraneFollowsTheRecurrenceOnAKnownInput() {
        try (PointerScope scope = new PointerScope()) {
            // V_t = beta V_{t-1} + I_t with beta = 0.5 on I = [1, 0, 2, 0]: [1, 0.5, 2.25, 1.125].
            Tensor current = Tensors.fromArray(new float[] {1, 0, 2, 0}, 1, 1, 4);
            Tensor beta = Tensors.fromArray(new float[] {0.5f}, 1);
            float[] expected = {1f, 0.5f, 2.25f, 1.125f};
            assertArrayEquals(expected, Tensors.toArray(Dynamics.byMatrixProduct(current, beta)), 1e-6f);
            assertArrayEquals(expected, Tensors.toArray(Dynamics.byChunks(current, beta, 3)), 1e-6f);
            assertArrayEquals(expected, Tensors.toArray(Dynamics.byConvolution(current, beta)), 1e-6f);
            assertArrayEquals(expected, Tensors.toArray(Dynamics.noResetMembrane(current, beta)), 1e-6f);
        }
    }

    @Test
    void longSequencesFollowTheRecurrence() {
        int steps = 1 << 13;
        // 8192 steps: chunks of chunks of chunks (8192 -> 256 chunk ends -> 8), never an 8192 x 8192 matrix.
        assertTrue(steps > Dynamics.LONGEST_SINGLE_PRODUCT * Dynamics.CHUNK);
        try (PointerScope scope = new PointerScope()) {
            float[] impulse = new float[steps];
            impulse[0] = 1;
            impulse[5000] = 1;
            Tensor beta = Tensors.fromArray(new float[] {0.999f}, 1);
            float[] v = Tensors.toArray(Dynamics.noResetMembrane(Tensors.fromArray(impulse, 1, 1, steps), beta));
            for (int t : new int[] {0, 1, 31, 32, 33, 1000, 4999, 5000, 5001, steps - 1}) {
                double b = 0.999f;
                double expected = Math.pow(b, t) + (t >= 5000 ? Math.pow(b, t - 5000) : 0);
                assertEquals(expected, v[t], 1e-5 * expected, "step " + t);
            }
        }
    }
}
