package snn.neurons;

import java.lang.ref.Reference;
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
     *
     * @param ref a tensor, possibly a reference into native memory that may move
     * @return a new tensor handle of its own, sharing {@code ref}'s storage and autograd identity
     */
    public static Tensor own(Tensor ref) {
        return new Tensor(ref);
    }

    /**
     * A scalar for a {@code static final} field. Native objects made inside a {@code PointerScope} are freed when the
     * scope closes; a constant may first be used inside one, so it keeps an extra reference and lives for good.
     *
     * @param v the value
     * @return a scalar holding {@code v} that is never freed
     */
    public static Scalar constant(double v) {
        return new Scalar(v).retainReference();
    }

    /**
     * A libtorch scalar for immediate use (freed with the enclosing {@code PointerScope}, if any).
     *
     * @param v the value
     * @return a scalar holding {@code v}
     */
    public static Scalar scalar(double v) {
        return new Scalar(v);
    }

    /** {@return new tensor options for float32 (on the default device, the CPU)} */
    public static TensorOptions float32() {
        return new TensorOptions().dtype(new org.bytedeco.pytorch.ScalarTypeOptional(torch.ScalarType.Float));
    }

    /**
     * A float32 CPU tensor holding a copy of a Java array.
     *
     * @param data  the values in row-major order
     * @param shape the tensor's shape, whose product must equal {@code data.length}
     * @return a new contiguous tensor of {@code shape}
     * @throws IllegalArgumentException when the shape does not hold exactly {@code data.length} values
     */
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

    /**
     * A float32 tensor of zeros.
     *
     * @param shape the tensor's shape
     * @return a new CPU tensor of {@code shape} filled with 0
     */
    public static Tensor zeros(long... shape) {
        return torch.zeros(shape, float32());
    }

    /**
     * A float32 tensor filled with one value.
     *
     * @param value the value of every element
     * @param shape the tensor's shape
     * @return a new CPU tensor of {@code shape} filled with {@code value}
     */
    public static Tensor full(double value, long... shape) {
        return torch.full(shape, scalar(value), float32());
    }

    /**
     * A copy of a tensor's values in row-major order (detached, converted to float32 and made contiguous first).
     *
     * @param t a CPU tensor of any floating or integer type, at most {@link Integer#MAX_VALUE} elements
     * @return its values, {@code t.numel()} floats
     * @throws ArithmeticException when the tensor has more elements than a Java array can hold
     */
    public static float[] toArray(Tensor t) {
        Tensor c = t.detach().to(torch.ScalarType.Float).contiguous();
        long n = c.numel();
        float[] out = new float[Math.toIntExact(n)];
        FloatBuffer buf = new FloatPointer(c.data_ptr_float()).capacity(n).asBuffer();
        buf.get(out);
        // c may be a fresh copy: keep it (and so its memory) alive until its values are read.
        Reference.reachabilityFence(c);
        return out;
    }

    /**
     * The shape of a tensor.
     *
     * @param t a tensor
     * @return its sizes, one per dimension (empty for a scalar tensor)
     */
    public static long[] shape(Tensor t) {
        return t.sizes().vec().get();
    }

    /**
     * Class indices as a tensor, e.g. targets for cross-entropy.
     *
     * @param values the class index of each sample
     * @return a new int64 CPU tensor {@code [values.length]} holding a copy of {@code values}
     */
    public static Tensor labels(long[] values) {
        Tensor t = torch.empty(new long[] {values.length},
                new TensorOptions().dtype(new org.bytedeco.pytorch.ScalarTypeOptional(torch.ScalarType.Long)), null);
        new org.bytedeco.javacpp.LongPointer(t.data_ptr_long()).capacity(values.length).put(values);
        return t;
    }
}
