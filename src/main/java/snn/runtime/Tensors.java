package snn.runtime;

import java.lang.ref.Reference;
import java.nio.FloatBuffer;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.PointerConsumer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * The one place that makes tensors. A tensor is made on the run's device ({@link TorchRuntime#device()}: the CPU
 * unless the runtime was initialised for another) unless a method says otherwise: the few tensors that must live in
 * CPU memory (the batch buffers that Java fills, the native kernels' scratch, tensors read from files) ask for
 * {@link Device#CPU} by name. Tensors derived from others ({@code zeros_like}, arithmetic) follow their inputs.
 * {@code snn.ArchitectureTest} checks that no other class calls LibTorch's factory functions, so a new tensor cannot
 * land on the wrong device unnoticed.
 *
 * <p>Also: scalars, conversion from and to Java arrays, shapes.
 */
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
     * The values of {@code t}'s maximum over dimension {@code dim} (gradient to the one index {@code max} picks), as a
     * handle of their own. {@code max(dim)} returns a pair whose {@code get0()} is a reference into the pair: it
     * dangles once the pair is collected, which may be as soon as {@code get0()} returns.
     *
     * @param t   a tensor
     * @param dim the dimension reduced
     * @return the maximum values, an owning handle
     */
    public static Tensor maxValues(Tensor t, long dim) {
        T_TensorTensor_T pair = t.max(dim);
        Tensor values = new Tensor(pair.get0());
        Reference.reachabilityFence(pair);
        return values;
    }

    /**
     * The gradient of {@code t} as a handle of its own. {@code grad()} returns a reference into {@code t}'s autograd
     * record, which dangles once {@code t} is freed: keep {@code gradient(t)} where the gradient may outlive
     * {@code t}'s handle.
     *
     * @param t a tensor
     * @return its gradient (undefined when it has none), an owning handle
     */
    public static Tensor gradient(Tensor t) {
        Tensor out = new Tensor(t.grad());
        Reference.reachabilityFence(t);
        return out;
    }

    /**
     * Element {@code i} of {@code v} as a handle of its own. {@code TensorVector.get} returns a reference into the
     * vector, which dangles once the vector is collected (possibly while the reference is still in use).
     *
     * @param v a vector of tensors
     * @param i the index
     * @return the element, an owning handle
     */
    public static Tensor element(TensorVector v, long i) {
        Tensor out = new Tensor(v.get(i));
        Reference.reachabilityFence(v);
        return out;
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

    /** {@return new tensor options for float32 on the run's device} */
    public static TensorOptions float32() {
        return options(torch.ScalarType.Float, TorchRuntime.device());
    }

    /**
     * New tensor options.
     *
     * @param type   the element type, e.g. {@code torch.ScalarType.Int}
     * @param device where the tensor lives
     * @return the options
     */
    public static TensorOptions options(torch.ScalarType type, Device device) {
        return new TensorOptions(device.torch()).dtype(new ScalarTypeOptional(type));
    }

    /**
     * An uninitialised tensor, for memory a kernel or a reader fills completely.
     *
     * @param device where it lives; {@link Device#CPU} for memory written through Java or native code
     * @param type   the element type
     * @param shape  its shape
     * @return the new contiguous tensor
     */
    public static Tensor empty(Device device, torch.ScalarType type, long... shape) {
        return torch.empty(shape, options(type, device), null);
    }

    /**
     * A CPU tensor over memory that the caller allocated, handed back to {@code release} when the tensor's storage is
     * freed (e.g. a pool of buffers that large tensors reuse).
     *
     * @param memory  at least as many bytes as the tensor needs, owned by the tensor from now on
     * @param release called with {@code memory} when LibTorch frees the storage
     * @param type    the element type
     * @param shape   the tensor's shape
     * @return the new contiguous CPU tensor
     */
    public static Tensor overMemory(Pointer memory, PointerConsumer release, torch.ScalarType type, long... shape) {
        return torch.from_blob(memory, shape, release, options(type, Device.CPU), new DeviceOptional());
    }

    /**
     * A float32 tensor of zeros on the run's device.
     *
     * @param shape the tensor's shape
     * @return a new tensor of {@code shape} filled with 0
     */
    public static Tensor zeros(long... shape) {
        return zeros(TorchRuntime.device(), shape);
    }

    /**
     * A float32 tensor of zeros.
     *
     * @param device where it lives
     * @param shape  the tensor's shape
     * @return a new tensor of {@code shape} filled with 0
     */
    public static Tensor zeros(Device device, long... shape) {
        return torch.zeros(shape, options(torch.ScalarType.Float, device));
    }

    /**
     * A float32 tensor filled with one value, on the run's device.
     *
     * @param value the value of every element
     * @param shape the tensor's shape
     * @return a new tensor of {@code shape} filled with {@code value}
     */
    public static Tensor full(double value, long... shape) {
        return torch.full(shape, scalar(value), float32());
    }

    /**
     * A float32 tensor filled with one value.
     *
     * @param device where it lives
     * @param value  the value of every element
     * @param shape  the tensor's shape (none for a scalar tensor)
     * @return a new tensor of {@code shape} filled with {@code value}
     */
    public static Tensor full(Device device, double value, long... shape) {
        return torch.full(shape, scalar(value), options(torch.ScalarType.Float, device));
    }

    /**
     * The sequence 0, 1, ..., n - 1 on the device of {@code like}, e.g. the time steps of a sequence.
     *
     * @param n    how many values
     * @param type their element type (float32 for exponents, int64 for indices)
     * @param like a tensor on the device wanted
     * @return a new tensor {@code [n]}
     */
    public static Tensor arange(long n, torch.ScalarType type, Tensor like) {
        return torch.arange(new Scalar(n), new TensorOptions(like.device()).dtype(new ScalarTypeOptional(type)));
    }

    /**
     * Float32 samples of U(0, 1) on the run's device, drawn from {@code generator} (a CPU generator: the values are
     * drawn on the CPU, then moved) or from LibTorch's default generator of that device when {@code generator} is
     * null.
     *
     * @param generator a seeded CPU generator, or {@code null} for the global one
     * @param shape     the tensor's shape
     * @return the new tensor
     */
    public static Tensor uniform(Generator generator, long... shape) {
        if (generator == null) {
            return torch.rand(shape, float32());
        }
        Tensor cpu = torch.rand(shape, new GeneratorOptional(generator), options(torch.ScalarType.Float, Device.CPU));
        return onRunDevice(cpu);
    }

    /**
     * Random class indices in [0, classes) on the run's device (synthetic labels for benchmarks).
     *
     * @param classes the number of classes
     * @param n       how many
     * @return a new int64 tensor {@code [n]}
     */
    public static Tensor randomLabels(long classes, long n) {
        return torch.randint(classes, new long[] {n}, options(torch.ScalarType.Long, TorchRuntime.device()));
    }

    /**
     * {@code t} on the run's device: {@code t} itself when it is there already, else a copy.
     *
     * @param t a tensor, e.g. a batch filled in CPU memory
     * @return the tensor on the run's device
     */
    public static Tensor onRunDevice(Tensor t) {
        Device device = TorchRuntime.device();
        return Device.of(t) == device ? t : t.to(device.torch(), t.scalar_type());
    }

    /**
     * A float32 CPU tensor holding a copy of a Java array (CPU: Java writes its memory; move it with
     * {@link #onRunDevice} where the run needs it).
     *
     * @param data  the values in row-major order
     * @param shape the tensor's shape, whose product must equal {@code data.length}
     * @return a new contiguous CPU tensor of {@code shape}
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
        Tensor t = empty(Device.CPU, torch.ScalarType.Float, shape);
        new FloatPointer(t.data_ptr_float()).capacity(n).put(data);
        return t;
    }

    /**
     * Class indices as a CPU tensor, e.g. targets for cross-entropy (move it with {@link #onRunDevice}).
     *
     * @param values the class index of each sample
     * @return a new int64 CPU tensor {@code [values.length]} holding a copy of {@code values}
     */
    public static Tensor labels(long[] values) {
        Tensor t = empty(Device.CPU, torch.ScalarType.Long, values.length);
        new LongPointer(t.data_ptr_long()).capacity(values.length).put(values);
        return t;
    }

    /**
     * A copy of a tensor's values in row-major order (detached, moved to the CPU, converted to float32 and made
     * contiguous first).
     *
     * @param t a tensor of any floating or integer type on any device with data, at most {@link Integer#MAX_VALUE}
     *          elements
     * @return its values, {@code t.numel()} floats
     * @throws ArithmeticException when the tensor has more elements than a Java array can hold
     */
    public static float[] toArray(Tensor t) {
        Tensor c = t.detach().to(Device.CPU.torch(), torch.ScalarType.Float).contiguous();
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
}
