package snn.nativekernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.global.torch;

import snn.config.ModelConfig;
import snn.config.SurrogateConfig;
import snn.models.NetworkOutput;
import snn.models.SpikingNetwork;
import snn.neurons.Beta;
import snn.neurons.BlockLayer;
import snn.neurons.DBlockLayer;
import snn.neurons.LayerOutput;
import snn.neurons.LifLayer;
import snn.neurons.NeuronKernels;
import snn.neurons.Surrogate;
import snn.runtime.Device;
import snn.runtime.Tensors;
import snn.runtime.ThreadSettings;
import snn.runtime.TorchRuntime;

/**
 * Wall-clock measurements of the native kernels against the LibTorch ops at one shape (default: SHD, batch 128,
 * 700 -&gt; 128 -&gt; 20, 500 steps), printed as a table (docs/native-kernels.md records the figures):
 *
 * <ul>
 * <li>{@code step}: whole training steps (forward, cross-entropy, backward, Adam) of the standard recurrent SNN
 * (multi-spike) and of the d-block and block networks, with either kernel path;</li>
 * <li>{@code dynamics}: forward + backward of one hidden layer's dynamics alone, on a fixed current
 * {@code [batch, hidden, steps]} with a fixed upstream gradient on the spikes: through the layer (autograd glue
 * included), and the bare kernel calls on preallocated buffers;</li>
 * <li>{@code floor}: one pass over a {@code [batch, hidden, steps]} float tensor (read it, write a copy into a
 * preallocated tensor), the memory-traffic floor for the dynamics;</li>
 * <li>{@code projection}: the input projection W x + b dense (LibTorch matmul) against event-driven (native).</li>
 * </ul>
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp ... snn.nativekernels.KernelBenchmark \
 *     [--only step,dynamics,floor,projection] [--repeats 5] [--warmup 2] [--threads 2] [--batch 128] \
 *     [--inputs 700] [--hidden 128] [--classes 20] [--steps 500] [--d 5] [--rate 0.015] [--torch-step true] \
 *     [--kinds dblock,standard,block] [--kernels native,torch]
 * </pre>
 */
public final class KernelBenchmark {

    private int repeats = 5;
    private int warmup = 2;
    private int threads = Runtime.getRuntime().availableProcessors();
    private int batch = 128;
    private int inputs = 700;
    private int hidden = 128;
    private int classes = 20;
    private int steps = 500;
    private int d = 5;
    private double rate = 0.015;
    private boolean torchSteps = true;
    private String kinds = "dblock,standard,block";
    private String kernelChoices = "native,torch";
    private final Set<String> only = new LinkedHashSet<>(List.of("floor", "dynamics", "projection", "step"));

    private KernelBenchmark() {
    }

    /**
     * Runs the measurements and prints the table on standard output; the options are listed in the class comment.
     * Parts that need the native library are skipped when it is not loaded.
     *
     * @param args {@code --name value} pairs in any order; a repeated option takes its last value
     * @throws IllegalArgumentException when an option is unknown, lacks its value, or has a malformed number
     */
    public static void main(String[] args) {
        KernelBenchmark b = new KernelBenchmark();
        b.parse(args);
        b.run();
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i += 2) {
            String key = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + key);
            }
            String v = args[i + 1];
            switch (key) {
                case "--repeats" -> repeats = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--batch" -> batch = Integer.parseInt(v);
                case "--inputs" -> inputs = Integer.parseInt(v);
                case "--hidden" -> hidden = Integer.parseInt(v);
                case "--classes" -> classes = Integer.parseInt(v);
                case "--steps" -> steps = Integer.parseInt(v);
                case "--d" -> d = Integer.parseInt(v);
                case "--rate" -> rate = Double.parseDouble(v);
                case "--torch-step" -> torchSteps = Boolean.parseBoolean(v);
                case "--kinds" -> kinds = v;
                case "--kernels" -> kernelChoices = v;
                case "--only" -> {
                    only.clear();
                    only.addAll(Arrays.asList(v.split(",")));
                }
                default -> throw new IllegalArgumentException("unknown option " + key);
            }
        }
    }

    private void run() {
        TorchRuntime.Report report = TorchRuntime.init(new ThreadSettings(threads, 1), Device.CPU);
        System.out.println("# " + report);
        System.out.println("# native kernels: " + KernelLibrary.status());
        System.out.printf(Locale.ROOT, "# shape: batch %d, %d -> %d -> %d, %d steps, d = %d, input rate %.3f;"
                + " %d warm-up + %d timed repeats, median (min) ms%n", batch, inputs, hidden, classes, steps, d, rate,
                warmup, repeats);
        System.out.printf(Locale.ROOT, "# load average at start: %s%n", loadAverage());
        KernelLibrary library = KernelLibrary.get().orElse(null);
        NeuronKernels nativeKernels = NativeKernels.load().orElse(null);
        if (only.contains("floor")) {
            floor(library);
        }
        if (only.contains("dynamics") && nativeKernels != null) {
            dynamics(nativeKernels, library);
        }
        if (only.contains("projection") && library != null) {
            projection(library);
        }
        if (only.contains("step")) {
            trainingSteps(nativeKernels != null);
        }
        System.out.printf(Locale.ROOT, "# load average at end: %s%n", loadAverage());
    }

    // ----- floor --------------------------------------------------------------------------------------------

    private void floor(KernelLibrary library) {
        Tensor src = torch.rand(new long[] {batch, hidden, steps}, Tensors.float32());
        Tensor dst = torch.empty(new long[] {batch, hidden, steps}, Tensors.float32(), null);
        dst.copy_(src);
        if (library != null) {
            report("floor: one pass (native memcpy, read + write)", time(() -> {
                library.copyPass(src, dst);
                return null;
            }));
        }
        report("floor: one pass (torch copy_)", time(() -> {
            dst.copy_(src);
            return null;
        }));
        report("floor: torch mul(1) into a new tensor", time(() -> src.mul(new org.bytedeco.pytorch.Scalar(1.0))));
    }

    // ----- dynamics -----------------------------------------------------------------------------------------

    private void dynamics(NeuronKernels nativeKernels, KernelLibrary library) {
        Surrogate surrogate = new Surrogate.FastSigmoid(10);
        Beta beta = new Beta(Math.exp(-0.1), true, true);
        Tensor current = torch.randn(new long[] {batch, hidden, steps}, Tensors.float32())
                .mul(new org.bytedeco.pytorch.Scalar(0.4)).add(new org.bytedeco.pytorch.Scalar(0.12));
        current.set_requires_grad(true);
        Tensor upstream = torch.randn(new long[] {batch, hidden, steps}, Tensors.float32());
        bareKernels(library, current, upstream);
        for (boolean nat : new boolean[] {true, false}) {
            NeuronKernels k = nat ? nativeKernels : NeuronKernels.TORCH;
            String tag = nat ? "native" : "torch";
            DBlockLayer dblock = new DBlockLayer(hidden, hidden, d, true, true, DBlockLayer.RecurrentInput.MAX, true,
                    beta, surrogate, k);
            dynamicsCase("dynamics F+B: d-block d=" + d + " recurrent, " + tag, () -> dblock.run(current), current,
                    upstream);
            BlockLayer block = new BlockLayer(hidden, hidden, true, beta, surrogate, k);
            if (nat || steps <= 500) {
                dynamicsCase("dynamics F+B: block, " + tag, () -> block.run(current), current, upstream);
            }
            LifLayer lif = new LifLayer(hidden, hidden, LifLayer.Mode.MULTI_SPIKE, true, beta, surrogate, k);
            if (nat || torchSteps) {
                dynamicsCase("dynamics F+B: standard multi-spike recurrent, " + tag, () -> lif.run(current),
                        current, upstream);
            }
        }
    }

    /** The d-block kernels alone (forward then backward, no autograd) on preallocated buffers. */
    private void bareKernels(KernelLibrary library, Tensor current, Tensor upstream) {
        long[] shape = {batch, hidden, steps};
        Tensor cur = current.detach();
        Tensor beta = torch.full(new long[] {hidden}, new org.bytedeco.pytorch.Scalar(Math.exp(-0.1)),
                Tensors.float32());
        Tensor wRec = torch.randn(new long[] {hidden, hidden}, Tensors.float32())
                .mul(new org.bytedeco.pytorch.Scalar(1 / Math.sqrt(hidden)));
        Tensor bRec = Tensors.zeros(hidden);
        Tensor spk = torch.empty(shape, Tensors.float32(), null);
        Tensor mem = torch.empty(shape, Tensors.float32(), null);
        long blocks = steps % d == 0 ? d : d + 1;
        Tensor first = torch.empty(new long[] {batch, blocks, hidden}, NativeCall.int32(), null);
        Tensor gCur = torch.empty(shape, Tensors.float32(), null);
        Tensor gBeta = Tensors.zeros(hidden);
        Tensor gW = Tensors.zeros(hidden, hidden);
        Tensor gB = Tensors.zeros(hidden);
        try (org.bytedeco.javacpp.BytePointer memory = new org.bytedeco.javacpp.BytePointer(
                KernelAbi.DBLOCK_ARGS.byteSize())) {
            KernelArgs args = new KernelArgs(KernelAbi.DBLOCK_ARGS,
                    java.lang.foreign.MemorySegment.ofAddress(memory.address()));
            args.set("layer.surrogate", KernelAbi.SURR_FAST_SIGMOID).set("layer.scale", 10f)
                    .set("layer.spiking", true).set("detach", true).set("reduction", KernelAbi.REDUCE_MAX)
                    .set("layer.threads", KernelLibrary.threads()).set("layer.batch", (long) batch)
                    .set("layer.neurons", (long) hidden).set("layer.steps", (long) steps).set("blocks", (long) d)
                    .set("layer.in.cur", cur).set("layer.beta", beta).set("layer.w_rec", wRec)
                    .set("layer.b_rec", bRec).set("layer.spk", spk).set("layer.mem", mem).set("layer.first", first);
            Object[] used = {cur, beta, wRec, bRec, spk, mem, first, upstream, gCur, gBeta, gW, gB};
            List<double[]> samples = new ArrayList<>();
            for (int i = 0; i < warmup + repeats; i++) {
                long t0 = System.nanoTime();
                library.forward(KernelAbi.Family.DBLOCK, args, used);
                long t1 = System.nanoTime();
                args.set("layer.g_spk", upstream).set("layer.grad.cur", gCur).set("layer.grad.beta", gBeta)
                        .set("layer.grad.w_rec", gW).set("layer.grad.b_rec", gB);
                library.backward(KernelAbi.Family.DBLOCK, args, used);
                args.set("layer.g_spk", (Tensor) null).set("layer.grad.cur", (Tensor) null)
                        .set("layer.grad.beta", (Tensor) null).set("layer.grad.w_rec", (Tensor) null)
                        .set("layer.grad.b_rec", (Tensor) null);
                long t2 = System.nanoTime();
                if (i >= warmup) {
                    samples.add(new double[] {(t1 - t0) / 1e6, (t2 - t1) / 1e6, (t2 - t0) / 1e6});
                }
            }
            reportParts("kernels alone F+B: d-block d=" + d + " recurrent, native", samples, "forward", "backward",
                    "total");
        }
    }

    private void dynamicsCase(String name, Supplier<LayerOutput> forward, Tensor current, Tensor upstream) {
        List<double[]> samples = new ArrayList<>();
        for (int i = 0; i < warmup + repeats; i++) {
            try (PointerScope scope = new PointerScope()) {
                long t0 = System.nanoTime();
                LayerOutput out = forward.get();
                long t1 = System.nanoTime();
                out.spikes().backward(upstream, new BoolOptional(), false, new TensorArrayRefOptional());
                long t2 = System.nanoTime();
                current.mutable_grad().reset(); // no accumulation across repeats
                if (i >= warmup) {
                    samples.add(new double[] {(t1 - t0) / 1e6, (t2 - t1) / 1e6, (t2 - t0) / 1e6});
                }
            }
        }
        reportParts(name, samples, "forward", "backward", "total");
    }

    // ----- input projection ---------------------------------------------------------------------------------

    private void projection(KernelLibrary library) {
        Tensor x = torch.rand(new long[] {batch, inputs, steps}, Tensors.float32())
                .lt(new org.bytedeco.pytorch.Scalar(rate)).to(torch.ScalarType.Float);
        Tensor w = torch.randn(new long[] {hidden, inputs}, Tensors.float32());
        Tensor bias = torch.randn(new long[] {hidden}, Tensors.float32());
        Tensor out = torch.empty(new long[] {batch, hidden, steps}, Tensors.float32(), null);
        report("projection: dense W x + b (torch matmul)", time(() -> w.matmul(x).add(bias.unsqueeze(1))));
        report("projection: event-driven (native, into a preallocated output)", time(() -> {
            library.sparseProjection(x, w, bias, out);
            return null;
        }));
        Tensor dense = w.matmul(x).add(bias.unsqueeze(1));
        double err = dense.sub(out).abs().max().item_float();
        System.out.printf(Locale.ROOT, "#   event-driven vs dense: max |difference| %.2e%n", err);
    }

    // ----- whole training steps -----------------------------------------------------------------------------

    private void trainingSteps(boolean nativeAvailable) {
        Tensor x = torch.rand(new long[] {batch, inputs, steps}, Tensors.float32())
                .lt(new org.bytedeco.pytorch.Scalar(rate)).to(torch.ScalarType.Float);
        long[] labelValues = new long[batch];
        for (int i = 0; i < batch; i++) {
            labelValues[i] = i % classes;
        }
        Tensor labels = Tensors.labels(labelValues);
        List<String> wanted = Arrays.asList(kinds.split(","));
        for (String choice : kernelChoices.split(",")) {
            ModelConfig.Kernels k = ModelConfig.Kernels.valueOf(choice.toUpperCase(Locale.ROOT));
            if (k == ModelConfig.Kernels.NATIVE && !nativeAvailable) {
                continue;
            }
            String tag = choice;
            if (wanted.contains("dblock")) {
                step("step: d-block d=" + d + " recurrent, " + tag, config(ModelConfig.Kind.DBLOCK, d, k), x,
                        labels);
            }
            if (wanted.contains("standard") && (k == ModelConfig.Kernels.NATIVE || torchSteps)) {
                step("step: standard multi-spike recurrent, " + tag, config(ModelConfig.Kind.STANDARD, null, k), x,
                        labels);
            }
            if (wanted.contains("block")) {
                step("step: block, " + tag, config(ModelConfig.Kind.BLOCK, null, k), x, labels);
            }
        }
    }

    private ModelConfig config(ModelConfig.Kind kind, Integer blocks, ModelConfig.Kernels kernels) {
        return new ModelConfig(kind, List.of(hidden), kind != ModelConfig.Kind.BLOCK, false, blocks, true,
                DBlockLayer.RecurrentInput.MAX, ModelConfig.Readout.SUM, 10.0, 20.0, true, true,
                SurrogateConfig.DEFAULT, kernels);
    }

    private void step(String name, ModelConfig config, Tensor x, Tensor labels) {
        SpikingNetwork net = new SpikingNetwork(config, inputs, classes);
        Adam adam = new Adam(net.parameters(), new AdamOptions(1e-3));
        List<double[]> samples = new ArrayList<>();
        for (int i = 0; i < warmup + repeats; i++) {
            try (PointerScope scope = new PointerScope()) {
                long t0 = System.nanoTime();
                NetworkOutput out = net.forward(x);
                Tensor loss = torch.cross_entropy_loss(out.logits(), labels);
                long t1 = System.nanoTime();
                loss.backward();
                long t2 = System.nanoTime();
                adam.step();
                adam.zero_grad();
                long t3 = System.nanoTime();
                if (i >= warmup) {
                    samples.add(new double[] {(t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t3 - t0) / 1e6});
                }
            }
        }
        reportParts(name, samples, "forward", "backward", "adam", "total");
    }

    // ----- timing and output --------------------------------------------------------------------------------

    private double[] time(Supplier<Object> body) {
        double[] out = new double[repeats];
        for (int i = 0; i < warmup + repeats; i++) {
            try (PointerScope scope = new PointerScope()) {
                long t0 = System.nanoTime();
                body.get();
                long t1 = System.nanoTime();
                if (i >= warmup) {
                    out[i - warmup] = (t1 - t0) / 1e6;
                }
            }
        }
        return out;
    }

    private static void report(String name, double[] ms) {
        System.out.printf(Locale.ROOT, "%-62s %10s%n", name, stat(ms));
    }

    private static void reportParts(String name, List<double[]> samples, String... parts) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-62s", name));
        for (int p = 0; p < parts.length; p++) {
            double[] v = new double[samples.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = samples.get(i)[p];
            }
            line.append(String.format(Locale.ROOT, "  %s %s", parts[p], stat(v)));
        }
        System.out.println(line);
    }

    private static String stat(double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        double median = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        return String.format(Locale.ROOT, "%.1f (%.1f)", median, s[0]);
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
