package snn.neurons;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Tensor;

import snn.runtime.Tensors;

/** Assertions on tensor values shared by the tests that compare two ways of computing the same thing. */
public final class TensorAssertions {

    private TensorAssertions() {
    }

    /**
     * Asserts equal shapes, finite values where the expected ones are finite, and no entry further from the
     * expected one than {@code relative} times the largest expected magnitude (so exact equality when every
     * expected value is 0).
     *
     * @param what     what is compared, for the failure message
     * @param expected the reference values
     * @param actual   the values under test
     * @param relative the tolerance as a fraction of the largest expected magnitude
     */
    public static void assertClose(String what, Tensor expected, Tensor actual, double relative) {
        assertArrayEquals(Tensors.shape(expected), Tensors.shape(actual), what + ": shape");
        float[] e = Tensors.toArray(expected);
        float[] a = Tensors.toArray(actual);
        double scale = maxAbs(e);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < e.length; i++) {
            assertTrue(!Float.isFinite(e[i]) || Float.isFinite(a[i]), what + " at flat index " + i + " is " + a[i]
                    + ", expected " + e[i]);
            double d = Math.abs((double) e[i] - a[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= relative * scale, what + " differs by " + worst + " (" + worst / scale
                + " of the largest magnitude " + scale + ") at flat index " + at + ": expected "
                + (at >= 0 ? e[at] : 0) + ", got " + (at >= 0 ? a[at] : 0));
    }

    /**
     * The largest magnitude of some values.
     *
     * @param v the values
     * @return max |v_i|, 0 for no values
     */
    public static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
