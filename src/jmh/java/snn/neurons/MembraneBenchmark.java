package snn.neurons;

import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * The block model's no-reset membrane on the LibTorch path, forward and backward (to the current and to a learned
 * per-neuron or shared beta), in its three forms: {@code matrix} (one Toeplitz product, what
 * {@link Dynamics#noResetMembrane} uses up to 128 steps), {@code chunks} (Toeplitz products over chunks of
 * {@link Dynamics#CHUNK} steps, what it uses beyond) and {@code convolution} (the depthwise convolution they
 * replace). Run with
 * {@code bin/mvn -Pjmh -Dsnn.build.dir=/tmp/build-jmh test-compile exec:exec@jmh
 * -Djmh.args='MembraneBenchmark -f 1 -wi 2 -i 3'}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// The fork inherits this JVM's options: the pom's ${snn.jvm.flags}, right for the JDK that runs it.
@Fork(value = 1, jvmArgsAppend = "-Xss4m")
@State(Scope.Thread)
public class MembraneBenchmark {

    /** {@code matrix}, {@code chunks} or {@code convolution}. */
    @Param({"matrix", "chunks", "convolution"})
    public String form;

    /**
     * batch x neurons x steps x decays: the Fashion-MNIST MLP (per-neuron and shared beta), the SHD block layer, the
     * blocks of a d = 10 d-block layer at T = 500 (batch x d sequences of 50 steps), and the quick grid's block point
     * at hidden 200, T = 512.
     */
    @Param({"128x1000x100x1000", "128x1000x100x1", "128x128x500x128", "1280x128x50x128", "32x200x512x200"})
    public String shape;

    private Tensor current;
    private Tensor beta;
    private Tensor weights;

    @Setup
    public void build() {
        TorchRuntime.ensureInitialised();
        long[] s = java.util.Arrays.stream(shape.split("x")).mapToLong(Long::parseLong).toArray();
        torch.manual_seed(42);
        current = Tensors.own(torch.randn(new long[] {s[0], s[1], s[2]}, Tensors.float32()).set_requires_grad(true));
        beta = Tensors.own(torch.rand(new long[] {s[3]}, Tensors.float32()).mul(new Scalar(0.2))
                .add(new Scalar(0.8)).set_requires_grad(true));
        weights = Tensors.own(torch.randn(new long[] {s[0], s[1], s[2]}, Tensors.float32()));
    }

    /** V~ for all steps, then the gradient of a weighted sum of it to the current and beta. */
    @Benchmark
    public float forwardBackward() {
        try (PointerScope ignored = new PointerScope()) {
            Tensor v = switch (form) {
                case "matrix" -> Dynamics.byMatrixProduct(current, beta);
                case "chunks" -> Dynamics.byChunks(current, beta, Dynamics.CHUNK);
                case "convolution" -> Dynamics.byConvolution(current, beta);
                default -> throw new IllegalArgumentException("form " + form);
            };
            Tensor loss = v.mul(weights).sum();
            loss.backward();
            current.grad().zero_();
            beta.grad().zero_();
            return loss.item_float();
        }
    }
}
