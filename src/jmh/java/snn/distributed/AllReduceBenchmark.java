package snn.distributed;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

import snn.config.ModelConfig;
import snn.launcher.Launcher;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.neurons.Initialisation;
import snn.runtime.Device;
import snn.runtime.Tensors;
import snn.runtime.ThreadSettings;
import snn.runtime.TorchRuntime;

/**
 * The time of one all-reduce (sum, Gloo, two processes on this machine's loopback interface) against the size of the
 * message, including the gradient sizes of the quickstart, SHD and SSC recipes (a developer benchmark, compiled with
 * the JMH sources by the {@code jmh} Maven profile; not in the jar; docs/distributed.md reports it):
 *
 * <pre>
 * bin/mvn -B -q -DskipTests package &amp;&amp; bin/mvn -B -q -Pjmh test-compile
 * java --enable-native-access=ALL-UNNAMED -cp "target/test-classes:target/classes:target/lib/*" \
 *     snn.distributed.AllReduceBenchmark [repeats]
 * </pre>
 *
 * Started without {@code RANK}, it starts itself twice as ranks 0 and 1 (rank 0 hosting the store on a free port)
 * and waits; rank 0 prints one line per size: the median, 10th and 90th percentile of {@code repeats} all-reduces
 * (default: as many as fit in about a second per size, at least 20) after 5 unmeasured ones, and the bytes per second
 * that the median gives.
 */
public final class AllReduceBenchmark {

    private AllReduceBenchmark() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args optionally the number of timed all-reduces per size
     * @throws Exception when a rank cannot be started or fails
     */
    public static void main(String[] args) throws Exception {
        DistributedEnv env = DistributedEnv.fromEnvironment();
        if (!env.distributed()) {
            System.exit(spawn(args));
        }
        TorchRuntime.init(ThreadSettings.sharedBy(env.localWorldSize()), Device.CPU);
        Integer repeats = args.length > 0 ? Integer.valueOf(args[0]) : null;
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (long n = 1 << 8; n <= 1 << 24; n <<= 2) {
            sizes.put(n + " floats", n);
        }
        sizes.put("quickstart (200 -> 128 rec -> 10)", gradientElements(ModelConfig.dblock(5).hidden(128)
                .recurrent(true).build(), 200, 10));
        sizes.put("SHD d-block (700 -> 128 rec -> 20)", gradientElements(ModelConfig.dblock(5).hidden(128)
                .recurrent(true).build(), 700, 20));
        sizes.put("SSC d-block, 3 layers (700 -> 3 x 128 rec -> 35)", gradientElements(ModelConfig.dblock(40)
                .hidden(128, 128, 128).recurrent(true).build(), 700, 35));
        ProcessGroup group = ProcessGroup.join(env, Duration.ofSeconds(120));
        try {
            if (group.leads()) {
                System.out.println("what | floats | bytes | median ms | p10 ms | p90 ms | MB/s at the median");
            }
            for (Map.Entry<String, Long> size : sizes.entrySet()) {
                measure(group, size.getKey(), size.getValue(), repeats);
            }
        } finally {
            group.close();
        }
    }

    private static void measure(ProcessGroup group, String what, long floats, Integer repeats) {
        try (PointerScope scope = new PointerScope()) {
            Tensor t = Tensors.zeros(floats);
            for (int i = 0; i < 5; i++) {
                group.allReduceSum(t, "the warm-up");
            }
            long start = System.nanoTime();
            group.allReduceSum(t, "a probe");
            double probe = (System.nanoTime() - start) / 1e9;
            // Both ranks must run the same number: rank 0's probe decides.
            int n = repeats != null ? repeats : Math.max(20, (int) Math.min(500, 1.0 / Math.max(probe, 1e-6)));
            n = (int) group.max(new long[] {n}, "the repeat count")[0];
            double[] ms = new double[n];
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                group.allReduceSum(t, "a timed all-reduce");
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            if (group.leads()) {
                double median = ms[n / 2];
                System.out.printf(Locale.ROOT, "%s | %d | %d | %.3f | %.3f | %.3f | %.0f%n", what, floats, floats * 4,
                        median, ms[n / 10], ms[n * 9 / 10], floats * 4 / 1e6 / (median / 1e3));
            }
        }
    }

    /** The number of gradient elements (trainable parameters) of a network. */
    private static long gradientElements(ModelConfig model, int inputs, int classes) {
        SpikingNetwork net = Initialisation.seeded(1, () -> new SpikingNetwork(model, inputs, classes));
        return Parameters.named(net).values().stream().filter(Tensor::requires_grad).mapToLong(Tensor::numel).sum();
    }

    /** Starts this class twice, as ranks 0 and 1 of a run on loopback, and returns the first non-zero status. */
    private static int spawn(String[] args) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        List<Process> ranks = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
            command.addAll(Launcher.jvmFlags(Runtime.version().feature()));
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), AllReduceBenchmark.class.getName()));
            command.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
            pb.environment().putAll(new DistributedEnv(r, 2, r, 2, "127.0.0.1", port, false, 0).variables());
            ranks.add(pb.start());
        }
        int status = 0;
        for (Process p : ranks) {
            int s = p.waitFor();
            status = status != 0 ? status : s;
        }
        return status;
    }
}
