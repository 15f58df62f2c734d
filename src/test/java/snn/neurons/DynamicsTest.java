package snn.neurons;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.runtime.TorchRuntime;

/** The two forms of the no-reset membrane (eq. 3.1.2): Toeplitz matrix product and causal convolution. */
class DynamicsTest {

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    /** The membrane and the gradients of a weighted sum of it in the current and in beta. */
    private record Pass(float[] membrane, float[] currentGrad, float[] betaGrad) {
    }

    private static Pass run(boolean matrix, Tensor current, Tensor beta, Tensor weights) {
        Tensor c = current.detach().clone().set_requires_grad(true);
        Tensor b = beta.detach().clone().set_requires_grad(true);
        Tensor v = matrix ? Dynamics.byMatrixProduct(c, b) : Dynamics.byConvolution(c, b);
        v.mul(weights).sum().backward();
        return new Pass(Tensors.toArray(v), Tensors.toArray(c.grad()), Tensors.toArray(b.grad()));
    }

    private static void assertClose(float[] expected, float[] actual, double relative, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 0;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Float.isFinite(actual[i]), what + "[" + i + "] is " + actual[i]);
            assertEquals(expected[i], actual[i], relative * scale, what + "[" + i + "]");
        }
    }

    @Test
    void matrixProductEqualsConvolutionInValuesAndGradients() {
        try (PointerScope scope = new PointerScope()) {
            for (int neurons : new int[] {7, 1}) {
                for (int steps : new int[] {1, 2, 37}) {
                    torch.manual_seed(neurons * 100 + steps);
                    Tensor current = torch.randn(new long[] {3, 7, steps}, Tensors.float32());
                    Tensor weights = torch.randn(new long[] {3, 7, steps}, Tensors.float32());
                    // Decays spread over [0, 1], both ends included: beta = 0 and beta = 1 must not produce NaN.
                    Tensor beta = torch.linspace(Tensors.scalar(0), Tensors.scalar(1), neurons, Tensors.float32());
                    Pass conv = run(false, current, beta, weights);
                    Pass matrix = run(true, current, beta, weights);
                    String shape = neurons + " decays, " + steps + " steps";
                    assertClose(conv.membrane(), matrix.membrane(), 1e-5, "membrane, " + shape);
                    assertClose(conv.currentGrad(), matrix.currentGrad(), 1e-5, "dL/dI, " + shape);
                    assertClose(conv.betaGrad(), matrix.betaGrad(), 1e-4, "dL/dbeta, " + shape);
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
            assertArrayEquals(expected, Tensors.toArray(Dynamics.byConvolution(current, beta)), 1e-6f);
            assertArrayEquals(expected, Tensors.toArray(Dynamics.noResetMembrane(current, beta)), 1e-6f);
        }
    }

    @Test
    void longSequencesBeyondTheMatrixLimitStillFollowTheRecurrence() {
        int steps = 1 << 13;
        // 1 neuron x 8192^2 steps = 2^26 matrix entries: beyond the limit, so computed by the convolution.
        assertTrue((long) steps * steps > Dynamics.MATRIX_ENTRIES_LIMIT);
        try (PointerScope scope = new PointerScope()) {
            float[] impulse = new float[steps];
            impulse[0] = 1;
            float[] v = Tensors.toArray(Dynamics.noResetMembrane(Tensors.fromArray(impulse, 1, 1, steps),
                    Tensors.fromArray(new float[] {0.5f}, 1)));
            assertEquals(1f, v[0], 1e-6f);
            assertEquals(0.25f, v[2], 1e-6f);
            assertEquals(0f, v[steps - 1], 1e-6f);
        }
    }
}
