package snn.neurons;

import java.nio.FloatBuffer;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** Small tensor helpers shared by the whole library: scalars, construction from Java arrays, read-back. */
public final class Tensors {

    private Tensors() {
    }

    /**
     * A new handle sharing {@code ref}'s storage. {@code Module.register_parameter} returns a reference into the
     * module's parameter table, which moves when the table grows: keep {@code own(register_parameter(...))}.
     */
    public static Tensor own(Tensor ref) {
        return new Tensor(ref);
    }

    /**
     * A scalar for a {@code static final} field. Native objects made inside a {@code PointerScope} are freed when the
     * scope closes; a constant may first be used inside one, so it keeps an extra reference and lives for good.
     */
    public static Scalar constant(double v) {
        return new Scalar(v).retainReference();
    }

    /** A libtorch scalar. */
    public static Scalar scalar(double v) {
        return new Scalar(v);
    }

    /** float32 CPU options. */
    public static TensorOptions float32() {
        return new TensorOptions().dtype(new org.bytedeco.pytorch.ScalarTypeOptional(torch.ScalarType.Float));
    }

    /** A float32 CPU tensor of {@code shape} holding a copy of {@code data} (row-major). */
    public static Tensor fromArray(float[] data, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " needs " + n
                    + " values, got " + data.length);
        }
        Tensor t = torch.empty(shape, float32(), null);
        new FloatPointer(t.data_ptr_float()).capacity(n).put(data);
        return t;
    }

    /** A float32 tensor of zeros. */
    public static Tensor zeros(long... shape) {
        return torch.zeros(shape, float32());
    }

    /** A float32 tensor filled with {@code value}. */
    public static Tensor full(double value, long... shape) {
        return torch.full(shape, scalar(value), float32());
    }

    /** A copy of a float32 tensor's values (made contiguous, moved to the CPU) in row-major order. */
    public static float[] toArray(Tensor t) {
        Tensor c = t.detach().to(torch.ScalarType.Float).contiguous();
        long n = c.numel();
        float[] out = new float[Math.toIntExact(n)];
        FloatBuffer buf = new FloatPointer(c.data_ptr_float()).capacity(n).asBuffer();
        buf.get(out);
        return out;
    }

    /** The shape of {@code t}. */
    public static long[] shape(Tensor t) {
        return t.sizes().vec().get();
    }

    /** {@code t} as a long (int64) tensor of class indices. */
    public static Tensor labels(long[] values) {
        Tensor t = torch.empty(new long[] {values.length},
                new TensorOptions().dtype(new org.bytedeco.pytorch.ScalarTypeOptional(torch.ScalarType.Long)), null);
        new org.bytedeco.javacpp.LongPointer(t.data_ptr_long()).capacity(values.length).put(values);
        return t;
    }
}
