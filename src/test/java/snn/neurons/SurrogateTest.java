package snn.neurons;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

class SurrogateTest {

    static final float[] U = {-1.5f, -0.3f, -0.2f, -0.05f, 0f, 1e-4f, 0.05f, 0.3f, 2f};

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    @Test
    void forwardIsTheStrictHeavisideStep() {
        for (Surrogate s : List.of(new Surrogate.FastSigmoid(10), new Surrogate.Arctan(2), new Surrogate.Triangle(5))) {
            float[] out = Tensors.toArray(s.spike(Tensors.fromArray(U, U.length)));
            for (int i = 0; i < U.length; i++) {
                assertEquals(U[i] > 0 ? 1f : 0f, out[i], s + " at u=" + U[i]);
            }
        }
    }

    @Test
    void autogradGradientEqualsTheSurrogateFormula() {
        for (Surrogate s : List.of(new Surrogate.FastSigmoid(10), new Surrogate.FastSigmoid(100),
                new Surrogate.Arctan(2), new Surrogate.Triangle(5))) {
            Tensor u = Tensors.fromArray(U, U.length).set_requires_grad(true);
            s.spike(u).sum().backward();
            float[] grad = Tensors.toArray(u.grad());
            for (int i = 0; i < U.length; i++) {
                assertEquals(s.derivative(U[i]), grad[i], 1e-6 * Math.max(1, s.derivative(U[i])),
                        s + " gradient at u=" + U[i]);
            }
        }
    }

    @Test
    void fastSigmoidMatchesThePapersValues() {
        // docs/specification.md 2.4: scale 10 gives 1/9 at u=-0.2, 1 at u=0, 1/16 at u=0.3.
        Surrogate s = new Surrogate.FastSigmoid(10);
        assertArrayEquals(new double[] {1 / 9.0, 1, 1 / 16.0},
                new double[] {s.derivative(-0.2), s.derivative(0), s.derivative(0.3)}, 1e-12);
    }
}
