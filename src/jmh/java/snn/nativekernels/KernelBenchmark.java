package snn.nativekernels;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.config.ModelConfig;
import snn.models.NetworkOutput;
import snn.models.SpikingNetwork;
import snn.runtime.Device;
import snn.runtime.Tensors;
import snn.runtime.ThreadSettings;
import snn.runtime.TorchRuntime;

/**
 * Wall-clock measurements of the native kernels at one of the papers' shapes, printed as tables
 * (docs/native-kernels.md records the figures):
 *
 * <ul>
 * <li>{@code kernels}: each dynamics kernel alone, forward then backward, on a dense current {@code [batch, hidden,
 * steps]} and a fixed upstream gradient, on every instruction set this CPU runs, interleaved with the floor: a copy
 * pass over one such array ({@code snn_copy_pass}), whose bandwidth gives each kernel's floor, the bytes its math
 * must read and write (arrays of that size, listed per kernel) divided by that bandwidth;</li>
 * <li>{@code projection}: the input projection W x + b, dense (LibTorch matmul) and event-driven (native);</li>
 * <li>{@code steps}: whole training steps (forward, cross-entropy, backward, Adam) of the networks the targets
 * compare, interleaved round by round, with their ratios;</li>
 * <li>{@code parts}: where a native training step's time goes: each layer's forward kernel (input projection
 * included), backward kernels and output hooks, the rest of the forward and backward passes (LibTorch ops and
 * autograd) and Adam.</li>
 * </ul>
 *
 * <p>Shapes: {@code --shape shd} (batch 128, 700 -&gt; 128 recurrent -&gt; 20, 500 steps, d = 5, input rate 1.5 %:
 * d-block and standard recurrent multi-spike networks) or {@code --shape fashion} (batch 128, 784 -&gt; 1000 -&gt;
 * 10, 100 steps, rate 1 %: block and standard single-spike networks); the options below override a shape's values.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp ... snn.nativekernels.KernelBenchmark [--shape shd|fashion] \
 *     [--only kernels,projection,steps,parts] [--repeats 7] [--warmup 2] [--threads 2] [--isa all|avx512|avx2|portable] \
 *     [--batch 128] [--inputs 700] [--hidden 128] [--classes 20] [--steps 500] [--d 5] [--rate 0.015] \
 *     [--torch-steps true] [--kernel NAME]
 * </pre>
 */
public final class KernelBenchmark {

    private String shape = "shd";
    private int repeats = 7;
    private int warmup = 2;
    private int threads = Runtime.getRuntime().availableProcessors();
    private String isaChoice = "all";
    private boolean torchSteps = true;
    /** Only the dynamics kernels whose name contains this (all when empty): one kernel to profile. */
    private String kernelName = "";
    private final Map<String, String> overrides = new LinkedHashMap<>();
    private final Set<String> only = new LinkedHashSet<>(List.of("kernels", "projection", "steps", "parts"));
    private int batch;
    private int inputs;
    private int hidden;
    private int classes;
    private int steps;
    private int d;
    private double rate;

    private KernelBenchmark() {
    }

    /**
     * Runs the measurements and prints the tables on standard output; the options are listed in the class comment.
     * Parts that need the native library are skipped when it is not loaded.
     *
     * @param args {@code --name value} pairs in any order; a repeated option takes its last value
     * @throws IllegalArgumentException when an option is unknown, lacks its value, or has a malformed value
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
                case "--shape" -> shape = v;
                case "--repeats" -> repeats = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--isa" -> isaChoice = v;
                case "--torch-steps" -> torchSteps = Boolean.parseBoolean(v);
                case "--kernel" -> kernelName = v;
                case "--batch", "--inputs", "--hidden", "--classes", "--steps", "--d", "--rate" ->
                        overrides.put(key.substring(2), v);
                case "--only" -> {
                    only.clear();
                    for (String part : v.split(",")) {
                        // the names of the earlier options: step, floor and dynamics
                        only.add(switch (part) {
                            case "step" -> "steps";
                            case "floor", "dynamics" -> "kernels";
                            default -> part;
                        });
                    }
                }
                case "--kinds", "--kernels" -> System.out.println("# " + key + " is no longer used: the networks"
                        + " are those of the shape");
                default -> throw new IllegalArgumentException("unknown option " + key);
            }
        }
        switch (shape) {
            case "shd" -> set(128, 700, 128, 20, 500, 5, 0.015);
            case "fashion" -> set(128, 784, 1000, 10, 100, 1, 0.01);
            default -> throw new IllegalArgumentException("--shape: expected shd or fashion, got " + shape);
        }
        batch = Integer.parseInt(overrides.getOrDefault("batch", Integer.toString(batch)));
        inputs = Integer.parseInt(overrides.getOrDefault("inputs", Integer.toString(inputs)));
        hidden = Integer.parseInt(overrides.getOrDefault("hidden", Integer.toString(hidden)));
        classes = Integer.parseInt(overrides.getOrDefault("classes", Integer.toString(classes)));
        steps = Integer.parseInt(overrides.getOrDefault("steps", Integer.toString(steps)));
        d = Integer.parseInt(overrides.getOrDefault("d", Integer.toString(d)));
        rate = Double.parseDouble(overrides.getOrDefault("rate", Double.toString(rate)));
    }

    private void set(int b, int in, int h, int c, int t, int blocks, double r) {
        batch = b;
        inputs = in;
        hidden = h;
        classes = c;
        steps = t;
        d = blocks;
        rate = r;
    }

    private void run() {
        TorchRuntime.Report report = TorchRuntime.init(new ThreadSettings(threads, 1), Device.CPU);
        System.out.println("# " + report);
        System.out.println("# native kernels: " + KernelLibrary.status());
        System.out.printf(Locale.ROOT, "# shape %s: batch %d, %d -> %d -> %d, %d steps, d = %d, input rate %.3f;"
                + " %d warm-up + %d timed rounds, median [min] ms%n", shape, batch, inputs, hidden, classes, steps, d,
                rate, warmup, repeats);
        System.out.printf(Locale.ROOT, "# load average at start: %s%n", loadAverage());
        KernelLibrary library = KernelLibrary.get().orElse(null);
        if (only.contains("kernels") && library != null) {
            for (Isa isa : isas(library)) {
                try (KernelLibrary.IsaScope scope = library.onIsa(isa)) {
                    kernels(library, isa);
                }
            }
        }
        if (only.contains("projection") && library != null) {
            projection(library);
        }
        if (only.contains("steps")) {
            trainingSteps(library != null);
        }
        if (only.contains("parts") && library != null) {
            parts();
        }
        System.out.printf(Locale.ROOT, "# load average at end: %s%n", loadAverage());
    }

    private List<Isa> isas(KernelLibrary library) {
        if (isaChoice.equals("all")) {
            List<Isa> all = new ArrayList<>();
            for (Isa isa : Isa.values()) {
                if (library.supports(isa)) {
                    all.add(isa);
                } else {
                    System.out.println("# " + isa.label() + ": not run, this CPU lacks it");
                }
            }
            return all;
        }
        return List.of(Isa.valueOf(isaChoice.toUpperCase(Locale.ROOT)));
    }

    // ----- kernels and their floors -------------------------------------------------------------------------

    /**
     * One dynamics kernel as the benchmark runs it.
     *
     * @param name   for the table
     * @param family which kernels
     * @param arrays how many {@code [batch, hidden, steps]} float arrays its math must read and write, forward and
     *               backward together (its floor is that many half copy passes)
     * @param setup  fills the family's own fields and the optional buffers
     */
    private record Kernel(String name, KernelAbi.Family family, int arrays, Consumer<KernelArgs> setup) {
    }

    private void kernels(KernelLibrary library, Isa isa) {
        try (PointerScope scope = new PointerScope()) {
            long[] shape3 = {batch, hidden, steps};
            Tensor cur = torch.randn(shape3, Tensors.float32()).mul(new Scalar(0.4)).add(new Scalar(0.12));
            Tensor upstream = torch.randn(shape3, Tensors.float32());
            Tensor copy = torch.empty(shape3, Tensors.float32(), null);
            Tensor spk = torch.empty(shape3, Tensors.float32(), null);
            Tensor mem = torch.empty(shape3, Tensors.float32(), null);
            Tensor pre = torch.empty(shape3, Tensors.float32(), null);
            Tensor gCur = torch.empty(shape3, Tensors.float32(), null);
            Tensor first = torch.empty(new long[] {batch, d + 1, hidden}, Tensors.options(torch.ScalarType.Int, Device.CPU), null);
            Tensor beta = torch.full(new long[] {hidden}, new Scalar(Math.exp(-0.1)), Tensors.float32());
            Tensor wRec = torch.randn(new long[] {hidden, hidden}, Tensors.float32())
                    .mul(new Scalar(1 / Math.sqrt(hidden)));
            Tensor bRec = Tensors.zeros(hidden);
            Tensor gBeta = Tensors.zeros(hidden);
            Tensor gW = Tensors.zeros(hidden, hidden);
            Tensor gB = Tensors.zeros(hidden);
            Object[] used = {cur, upstream, spk, mem, pre, gCur, first, beta, wRec, bRec, gBeta, gW, gB};
            // forward + backward arrays: LIF multi I -> U, s; U, g_s -> g_I. Single: I -> V, s, U; U, g_s -> g_I.
            // Integrator: I -> U; U, g_U -> g_I. Block and d-block: I -> V, s; V, g_s -> g_I.
            // The recurrence follows the shape's networks: the d-block paper's SHD networks are recurrent, the block
            // paper's Fashion-MNIST MLPs are not.
            boolean rec = shape.equals("shd");
            List<Kernel> all = List.of(
                    new Kernel("d-block d=" + d + (rec ? " recurrent" : ""), KernelAbi.Family.DBLOCK, 6,
                            a -> {
                                a.set(KernelAbi.DBLOCK_BLOCKS, (long) d).set(KernelAbi.DBLOCK_DETACH, true);
                                if (rec) {
                                    a.set(KernelAbi.W_REC, wRec).set(KernelAbi.B_REC, bRec).set(KernelAbi.FIRST, first);
                                }
                            }),
                    new Kernel("block", KernelAbi.Family.DBLOCK, 6, a -> a.set(KernelAbi.DBLOCK_BLOCKS, 1L)),
                    new Kernel("LIF multi-spike" + (rec ? " recurrent" : ""), KernelAbi.Family.LIF, 6,
                            a -> {
                                a.set(KernelAbi.LIF_MODE, KernelAbi.LIF_MULTI);
                                if (rec) {
                                    a.set(KernelAbi.W_REC, wRec).set(KernelAbi.B_REC, bRec);
                                }
                            }),
                    new Kernel("LIF single-spike", KernelAbi.Family.LIF, 7,
                            a -> a.set(KernelAbi.LIF_MODE, KernelAbi.LIF_SINGLE).set(KernelAbi.LIF_PRE, pre)
                                    .set(KernelAbi.FIRST, first)),
                    new Kernel("LIF integrator (readout)", KernelAbi.Family.LIF, 5,
                            a -> a.set(KernelAbi.LIF_MODE, KernelAbi.LIF_INTEGRATOR).set(KernelAbi.SPIKING, false)
                                    .set(KernelAbi.SPK, (Tensor) null)));
            List<Kernel> kernels = all.stream().filter(k -> k.name().contains(kernelName)).toList();
            if (kernels.isEmpty()) {
                throw new IllegalArgumentException("--kernel: no dynamics kernel's name contains '" + kernelName
                        + "'; the kernels are " + all.stream().map(Kernel::name).toList());
            }
            List<BytePointer> memory = new ArrayList<>();
            List<KernelArgs> args = new ArrayList<>();
            for (Kernel k : kernels) {
                BytePointer m = new BytePointer(k.family().layout.byteSize());
                memory.add(m);
                KernelArgs a = new KernelArgs(k.family().layout, MemorySegment.ofAddress(m.address()));
                a.set(KernelAbi.SURROGATE, KernelAbi.SURR_FAST_SIGMOID).set(KernelAbi.SCALE, 10f)
                        .set(KernelAbi.SPIKING, true).set(KernelAbi.THREADS, KernelLibrary.threads())
                        .set(KernelAbi.ISA, isa.code).set(KernelAbi.BATCH, (long) batch)
                        .set(KernelAbi.NEURONS, (long) hidden).set(KernelAbi.STEPS, (long) steps)
                        .set(KernelAbi.IN_CUR, cur).set(KernelAbi.BETA, beta).set(KernelAbi.SPK, spk)
                        .set(KernelAbi.MEM, mem);
                k.setup().accept(a);
                args.add(a);
            }
            double[] copies = new double[repeats];
            double[][] forward = new double[kernels.size()][repeats];
            double[][] backward = new double[kernels.size()][repeats];
            for (int r = 0; r < warmup + repeats; r++) {
                long t0 = System.nanoTime();
                library.copyPass(cur, copy);
                long t1 = System.nanoTime();
                if (r >= warmup) {
                    copies[r - warmup] = (t1 - t0) / 1e6;
                }
                for (int k = 0; k < kernels.size(); k++) {
                    KernelArgs a = args.get(k);
                    KernelAbi.Family f = kernels.get(k).family();
                    boolean integrator = kernels.get(k).name().contains("integrator");
                    long f0 = System.nanoTime();
                    library.forward(f, a, used);
                    long f1 = System.nanoTime();
                    a.set(integrator ? KernelAbi.G_MEM : KernelAbi.G_SPK, upstream).set(KernelAbi.GRAD_CUR, gCur)
                            .set(KernelAbi.GRAD_BETA, gBeta).set(KernelAbi.GRAD_W_REC, gW)
                            .set(KernelAbi.GRAD_B_REC, gB);
                    library.backward(f, a, used);
                    long f2 = System.nanoTime();
                    a.set(KernelAbi.G_MEM, (Tensor) null).set(KernelAbi.G_SPK, (Tensor) null);
                    if (r >= warmup) {
                        forward[k][r - warmup] = (f1 - f0) / 1e6;
                        backward[k][r - warmup] = (f2 - f1) / 1e6;
                    }
                }
            }
            double copyMs = median(copies);
            double bytes = 2.0 * 4 * batch * hidden * steps;
            System.out.printf(Locale.ROOT, "%n## dynamics kernels on %s: forward + backward against the floor"
                    + " (copy pass over one [%d, %d, %d] array: %.2f [%.2f] ms, %.1f GB/s)%n", isa.label(), batch,
                    hidden, steps, copyMs, min(copies), bytes / copyMs / 1e6);
            System.out.printf(Locale.ROOT, "%-28s %16s %16s %16s %7s %9s %9s%n", "kernel", "forward", "backward",
                    "F+B", "arrays", "floor", "x floor");
            for (int k = 0; k < kernels.size(); k++) {
                double[] total = new double[repeats];
                double[] ratios = new double[repeats];
                for (int r = 0; r < repeats; r++) {
                    total[r] = forward[k][r] + backward[k][r];
                    // the floor of the same round: the interleaved copy pass, so that load changes cancel out
                    ratios[r] = total[r] / (kernels.get(k).arrays() / 2.0 * copies[r]);
                }
                double floor = kernels.get(k).arrays() / 2.0 * copyMs;
                System.out.printf(Locale.ROOT, "%-28s %16s %16s %16s %7d %9.2f %9.2f%n", kernels.get(k).name(),
                        stat(forward[k]), stat(backward[k]), stat(total), kernels.get(k).arrays(), floor,
                        median(ratios));
            }
            for (BytePointer m : memory) {
                m.deallocate();
            }
        }
    }

    // ----- input projection ---------------------------------------------------------------------------------

    private void projection(KernelLibrary library) {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = torch.rand(new long[] {batch, inputs, steps}, Tensors.float32()).lt(new Scalar(rate))
                    .to(torch.ScalarType.Float);
            Tensor w = torch.randn(new long[] {hidden, inputs}, Tensors.float32());
            Tensor bias = torch.randn(new long[] {hidden}, Tensors.float32());
            Tensor out = torch.empty(new long[] {batch, hidden, steps}, Tensors.float32(), null);
            double[] dense = new double[repeats];
            double[] events = new double[repeats];
            for (int r = 0; r < warmup + repeats; r++) {
                try (PointerScope step = new PointerScope()) {
                    long t0 = System.nanoTime();
                    w.matmul(x).add(bias.unsqueeze(1));
                    long t1 = System.nanoTime();
                    library.project(x, w, bias, out);
                    long t2 = System.nanoTime();
                    if (r >= warmup) {
                        dense[r - warmup] = (t1 - t0) / 1e6;
                        events[r - warmup] = (t2 - t1) / 1e6;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%n## input projection W x + b, [%d, %d, %d] input at rate %.3f%n", batch,
                    inputs, steps, rate);
            System.out.printf(Locale.ROOT, "%-44s %16s%n", "dense (LibTorch matmul)", stat(dense));
            System.out.printf(Locale.ROOT, "%-44s %16s%n", "event-driven (native, preallocated output)",
                    stat(events));
            double err = w.matmul(x).add(bias.unsqueeze(1)).sub(out).abs().max().item_float();
            System.out.printf(Locale.ROOT, "#   event-driven vs dense: max |difference| %.2e%n", err);
        }
    }

    // ----- whole training steps -----------------------------------------------------------------------------

    /** A network whose training step is timed. */
    private record Net(String name, SpikingNetwork network, Adam adam) {
    }

    private void trainingSteps(boolean nativeAvailable) {
        Tensor x = input();
        Tensor labels = labels();
        List<Net> nets = new ArrayList<>();
        if (nativeAvailable) {
            nets.add(fastNet(ModelConfig.Kernels.NATIVE));
            nets.add(standardNet(ModelConfig.Kernels.NATIVE));
        }
        if (torchSteps) {
            nets.add(standardNet(ModelConfig.Kernels.TORCH));
            nets.add(fastNet(ModelConfig.Kernels.TORCH));
        }
        double[][][] samples = new double[nets.size()][4][repeats];
        for (int r = 0; r < warmup + repeats; r++) {
            for (int k = 0; k < nets.size(); k++) {
                double[] t = step(nets.get(k), x, labels);
                if (r >= warmup) {
                    for (int p = 0; p < 4; p++) {
                        samples[k][p][r - warmup] = t[p];
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%n## training steps (forward, cross-entropy, backward, Adam), interleaved"
                + " round by round%n");
        System.out.printf(Locale.ROOT, "%-42s %16s %16s %16s %16s%n", "network", "forward", "backward", "adam",
                "step");
        for (int k = 0; k < nets.size(); k++) {
            System.out.printf(Locale.ROOT, "%-42s %16s %16s %16s %16s%n", nets.get(k).name(), stat(samples[k][0]),
                    stat(samples[k][1]), stat(samples[k][2]), stat(samples[k][3]));
        }
        // ratios of the same round, medians over the rounds
        for (int a = 0; a < nets.size(); a++) {
            for (int b = 0; b < nets.size(); b++) {
                if (a != b && nets.get(a).name().endsWith("torch") && nets.get(b).name().endsWith("native")) {
                    double[] ratio = new double[repeats];
                    for (int r = 0; r < repeats; r++) {
                        ratio[r] = samples[a][3][r] / samples[b][3][r];
                    }
                    System.out.printf(Locale.ROOT, "step ratio %-36s / %-36s %7.2f (min %.2f, max %.2f)%n",
                            nets.get(a).name(), nets.get(b).name(), median(ratio), min(ratio), max(ratio));
                }
            }
        }
        if (nets.size() >= 2 && nativeAvailable) {
            double[] ratio = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                ratio[r] = samples[1][3][r] / samples[0][3][r];
            }
            System.out.printf(Locale.ROOT, "step ratio %-36s / %-36s %7.2f (min %.2f, max %.2f)%n", nets.get(1).name(),
                    nets.get(0).name(), median(ratio), min(ratio), max(ratio));
        }
    }

    /**
     * The native networks' steps, one network at a time, split into parts by the {@link KernelEvent}s of a flight
     * recording (the production code only commits the events; nothing is recorded unless a recording enables them).
     */
    private void parts() {
        Tensor x = input();
        Tensor labels = labels();
        List<Net> nets = List.of(fastNet(ModelConfig.Kernels.NATIVE), standardNet(ModelConfig.Kernels.NATIVE));
        for (Net net : nets) {
            Map<String, double[]> parts = new LinkedHashMap<>();
            for (int r = 0; r < warmup + repeats; r++) {
                double[][] timed = new double[1][];
                Map<String, Long> ledger = recorded(() -> timed[0] = step(net, x, labels));
                double[] t = timed[0];
                if (r < warmup) {
                    continue;
                }
                int i = r - warmup;
                double forwardKernels = 0;
                double hooks = 0;
                for (Map.Entry<String, Long> e : ledger.entrySet()) {
                    double ms = e.getValue() / 1e6;
                    parts.computeIfAbsent(e.getKey(), k -> new double[repeats])[i] = ms;
                    forwardKernels += e.getKey().endsWith("forward kernel") ? ms : 0;
                    hooks += e.getKey().endsWith("backward hook") ? ms : 0;
                }
                parts.computeIfAbsent("forward, besides the kernels (LibTorch ops, loss, glue)",
                        k -> new double[repeats])[i] = t[0] - forwardKernels;
                parts.computeIfAbsent("backward, besides the output hooks (autograd, LibTorch ops)",
                        k -> new double[repeats])[i] = t[1] - hooks;
                parts.computeIfAbsent("Adam", k -> new double[repeats])[i] = t[2];
                parts.computeIfAbsent("whole step", k -> new double[repeats])[i] = t[3];
            }
            System.out.printf(Locale.ROOT, "%n## where the step goes: %s (median [min] ms per step)%n", net.name());
            for (Map.Entry<String, double[]> e : parts.entrySet()) {
                if (max(e.getValue()) > 0) {
                    System.out.printf(Locale.ROOT, "%-62s %16s%n", e.getKey(), stat(e.getValue()));
                }
            }
        }
    }

    /** Runs {@code body} under a flight recording of the kernel events; returns ns per layer and part. */
    private static Map<String, Long> recorded(Runnable body) {
        Map<String, Long> out = new java.util.TreeMap<>();
        try (jdk.jfr.Recording recording = new jdk.jfr.Recording()) {
            recording.enable(KernelEvent.NAME).withoutThreshold();
            recording.start();
            body.run();
            recording.stop();
            java.nio.file.Path file = java.nio.file.Files.createTempFile("snn-kernels", ".jfr");
            try {
                recording.dump(file);
                for (jdk.jfr.consumer.RecordedEvent e : jdk.jfr.consumer.RecordingFile.readAllEvents(file)) {
                    out.merge(e.getString("family") + " N=" + e.getLong("neurons") + " " + e.getString("part"),
                            e.getDuration().toNanos(), Long::sum);
                }
            } finally {
                java.nio.file.Files.deleteIfExists(file);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    /** A batch of Poisson input spikes at the shape's rate. */
    private Tensor input() {
        return torch.rand(new long[] {batch, inputs, steps}, Tensors.float32()).lt(new Scalar(rate))
                .to(torch.ScalarType.Float);
    }

    /** The classes in turn, one label per sample. */
    private Tensor labels() {
        long[] labelValues = new long[batch];
        for (int i = 0; i < batch; i++) {
            labelValues[i] = i % classes;
        }
        return Tensors.labels(labelValues);
    }

    /** SHD: the d-block paper's recurrent d-block network; Fashion-MNIST: the block paper's block MLP. */
    private Net fastNet(ModelConfig.Kernels kernels) {
        boolean shd = shape.equals("shd");
        return net(shd ? "d-block d=" + d + " recurrent" : "block", kernels,
                config(shd ? ModelConfig.Kind.DBLOCK : ModelConfig.Kind.BLOCK, shd, false, kernels));
    }

    /** The standard network the fast one is compared with: recurrent multi-spike (SHD), single-spike MLP (Fashion). */
    private Net standardNet(ModelConfig.Kernels kernels) {
        boolean shd = shape.equals("shd");
        return net(shd ? "standard multi-spike recurrent" : "standard single-spike", kernels,
                config(ModelConfig.Kind.STANDARD, shd, !shd, kernels));
    }

    private Net net(String name, ModelConfig.Kernels kernels, ModelConfig config) {
        SpikingNetwork network = new SpikingNetwork(config, inputs, classes);
        return new Net(name + ", " + kernels.name().toLowerCase(Locale.ROOT), network,
                new Adam(network.parameters(), new AdamOptions(1e-3)));
    }

    private ModelConfig config(ModelConfig.Kind kind, boolean recurrent, boolean singleSpike,
            ModelConfig.Kernels kernels) {
        ModelConfig.Builder b = switch (kind) {
            case STANDARD -> ModelConfig.standard().singleSpike(singleSpike);
            case BLOCK -> ModelConfig.block();
            case DBLOCK -> ModelConfig.dblock(d);
        };
        return b.hidden(hidden).recurrent(recurrent && kind != ModelConfig.Kind.BLOCK).kernels(kernels).build();
    }

    /** One training step: forward, backward, Adam and the whole step, in ms. */
    private static double[] step(Net net, Tensor x, Tensor labels) {
        try (PointerScope scope = new PointerScope()) {
            long t0 = System.nanoTime();
            NetworkOutput out = net.network().forward(x);
            Tensor loss = torch.cross_entropy_loss(out.logits(), labels);
            loss.item_float();
            long t1 = System.nanoTime();
            loss.backward();
            long t2 = System.nanoTime();
            net.adam().step();
            net.adam().zero_grad();
            long t3 = System.nanoTime();
            return new double[] {(t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t3 - t0) / 1e6};
        }
    }

    // ----- statistics and output ----------------------------------------------------------------------------

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    private static String stat(double[] ms) {
        return String.format(Locale.ROOT, "%.2f [%.2f]", median(ms), min(ms));
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
