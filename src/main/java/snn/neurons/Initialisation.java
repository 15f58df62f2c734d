package snn.neurons;

import java.util.function.Supplier;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Tensors;

/**
 * Where initial parameter values come from. By default, LibTorch's global generator (seeded with
 * {@code torch.manual_seed}); inside {@link #seeded}, a private generator of the calling thread, so that networks
 * built concurrently in one JVM (two trainings side by side) each get exactly the weights their seed gives.
 */
public final class Initialisation {

    private static final ThreadLocal<Generator> GENERATOR = new ThreadLocal<>();

    private Initialisation() {
    }

    /**
     * Runs {@code build} with the parameters it initialises drawn from a generator of this thread seeded with
     * {@code seed}; the thread's previous generator (or the global one) is restored afterwards, also on exceptions.
     * Calls may nest.
     *
     * @param <T>   what {@code build} returns, typically a network
     * @param seed  the seed of the private CPU generator
     * @param build builds the object, on the calling thread
     * @return what {@code build} returned
     */
    public static <T> T seeded(long seed, Supplier<T> build) {
        Generator previous = GENERATOR.get();
        GENERATOR.set(torch.make_generator_cpu(seed));
        try {
            return build.get();
        } finally {
            GENERATOR.set(previous);
        }
    }

    /** A float32 tensor of {@code shape} drawn from U(-bound, bound). */
    static Tensor uniform(double bound, long... shape) {
        Tensor u = Tensors.uniform(GENERATOR.get(), shape);
        return u.mul(new Scalar(2 * bound)).sub(new Scalar(bound));
    }
}
