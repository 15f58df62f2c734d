package snn.bench;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

import snn.config.ModelConfig;
import snn.models.SpikingNetwork;
import snn.neurons.LayerOutput;
import snn.runtime.Device;
import snn.runtime.ThreadSettings;
import snn.runtime.TorchRuntime;

/**
 * Forward and backward of one hidden layer (input projection and dynamics, the model code training uses) at fixed
 * shapes, for comparing kernel work before and after a change. Run with
 * {@code bin/mvn -Pjmh -Dsnn.build.dir=/tmp/build-jmh test-compile exec:exec@jmh}; choose parameters with e.g.
 * {@code -Djmh.args='-p method=block -p kernels=torch,native'} (docs/benchmarks.md).
 *
 * <p>Loss = sum of the layer's spikes, as in the papers' benchmark. {@link #backward} times
 * {@code loss.backward()} alone: the forward pass runs in a per-invocation set-up.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// The fork inherits this JVM's options: the pom's ${snn.jvm.flags}, right for the JDK that runs it.
@Fork(value = 1, jvmArgsAppend = "-Xss4m")
@State(Scope.Thread)
public class LayerBenchmark {

    /** {@code standard} (multi-spike LIF), {@code block} or {@code dblock}. */
    @Param({"standard", "block", "dblock"})
    public String method;

    /** batch x inputs x neurons x time steps: the papers' n=100, T=2^7 point and the SHD shape. */
    @Param({"32x1000x100x128", "128x700x128x500"})
    public String shape;

    /** Blocks of the d-block layer. */
    @Param({"5"})
    public int d;

    @Param({"false"})
    public boolean recurrent;

    /** {@code torch} or {@code native}. */
    @Param({"torch"})
    public String kernels;

    /** libtorch intra-op threads; 0 = the library default (all cores). */
    @Param({"0"})
    public int threads;

    private SpikingNetwork network;
    private Tensor input;
    private PointerScope invocationScope;
    private Tensor loss;

    @Setup(Level.Trial)
    public void build() {
        ThreadSettings defaults = ThreadSettings.defaults();
        TorchRuntime.init(threads > 0 ? new ThreadSettings(threads, defaults.blasThreads()) : defaults, Device.CPU);
        int[] s = java.util.Arrays.stream(shape.split("x")).mapToInt(Integer::parseInt).toArray();
        ModelConfig.Kind kind = ModelConfig.Kind.valueOf(method.toUpperCase(Locale.ROOT));
        BenchPoint point = new BenchPoint(s[0], s[1], s[2], 1, s[3], recurrent, true, true, null, false,
                BenchConfig.Scope.HIDDEN, 0, java.util.Map.of());
        Variant variant = new Variant(kind, kind == ModelConfig.Kind.DBLOCK ? d : null,
                ModelConfig.Kernels.valueOf(kernels.toUpperCase(Locale.ROOT)));
        torch.manual_seed(42);
        network = new SpikingNetwork(variant.model(point), point.nIn(), 2);
        if (!network.kernels().name().equals(kernels)) {
            throw new IllegalStateException("kernels " + kernels + " requested, network runs "
                    + network.kernels().name());
        }
        input = PoissonInput.spikes(point.batch(), point.nIn(), point.tLen());
    }

    private Tensor lossOfForward() {
        List<LayerOutput> out = network.forwardHidden(input);
        return out.get(out.size() - 1).spikes().sum();
    }

    /** Input projection and neuron dynamics. */
    @Benchmark
    public float forward() {
        try (PointerScope ignored = new PointerScope()) {
            return lossOfForward().item_float();
        }
    }

    @Setup(Level.Invocation)
    public void forwardBeforeBackward(org.openjdk.jmh.infra.BenchmarkParams params) {
        if (params.getBenchmark().endsWith(".backward")) {
            invocationScope = new PointerScope();
            network.zero_grad(true);
            loss = lossOfForward();
        }
    }

    /** {@code loss.backward()} through the dynamics and the projection (forward done in the set-up). */
    @Benchmark
    public void backward(Blackhole bh) {
        loss.backward();
        bh.consume(loss);
    }

    @TearDown(Level.Invocation)
    public void releaseInvocation() {
        if (invocationScope != null) {
            invocationScope.close();
            invocationScope = null;
            loss = null;
        }
    }
}
