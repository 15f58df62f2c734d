package snn.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.bytedeco.pytorch.global.torch;

import snn.config.ConfigLoader;
import snn.io.AtomicFiles;
import snn.runtime.BuildInfo;
import snn.runtime.TorchRuntime;

/**
 * {@code manifest.json}: what a benchmark ran on and how: CPU, cores, memory, threads, BLAS, library versions, JVM,
 * snn's version and git commit ({@link BuildInfo}), the config, and the load average at start and end (other processes skew absolute times; same-run
 * ratios are more robust).
 */
final class Manifest {

    static final String FILE = "manifest.json";

    private final Map<String, Object> fields = new LinkedHashMap<>();
    private final Instant started = Instant.now();

    /** Describes the machine and the run; call after {@link TorchRuntime#init}. */
    Manifest(BenchConfig config, String configSource, List<String> overrides, TorchRuntime.Report runtime) {
        fields.put("name", config.name());
        fields.put("config_file", configSource);
        fields.put("overrides", List.copyOf(overrides));
        fields.put("started", started.toString());
        fields.put("status", "running");
        BuildInfo build = BuildInfo.current();
        fields.put("snn_version", build.version());
        fields.put("git_commit", build.commit());
        fields.put("cpu_model", cpuModel());
        fields.put("cores", Runtime.getRuntime().availableProcessors());
        fields.put("memory_total_mb", memInfoMb("MemTotal"));
        fields.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        fields.put("gpu", "none used: snn bench times LibTorch's CPU backend");
        fields.put("torch_threads", runtime.torchThreads());
        fields.put("blas_threads", runtime.blasThreadsSet() ? runtime.blasThreads() : "library default");
        fields.put("blas", openBlasConfig());
        fields.put("libtorch", runtime.torchVersion());
        fields.put("libraries", Map.of(
                "org.bytedeco:pytorch", mavenVersion("org.bytedeco", "pytorch"),
                "org.bytedeco:javacpp", mavenVersion("org.bytedeco", "javacpp"),
                "org.bytedeco:openblas", mavenVersion("org.bytedeco", "openblas"),
                "org.jfree:jfreechart", mavenVersion("org.jfree", "jfreechart"),
                "org.jfree:org.jfree.svg", mavenVersion("org.jfree", "org.jfree.svg")));
        fields.put("jvm", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + Runtime.version());
        fields.put("torch_parallel_info", torch.get_parallel_info().getString().strip());
        fields.put("load_average_start", loadAverage());
        fields.put("timing", "wall clock (System.nanoTime) per phase of each training step: forward (projections,"
                + " dynamics, loss), backward, optimiser (Adam with learning rate 0, so the network stays as"
                + " initialised, and zero_grad); repeats after warm-up, the methods of a point interleaved"
                + " round-robin (rotating the order) on the same input batch; medians and interquartile ranges over"
                + " the repeats");
        fields.put("memory", PeakMemory.method());
        fields.put("config", config);
    }

    /** Marks the run finished (or failed with {@code error}) and records the end time and load. */
    void finish(String error) {
        Instant end = Instant.now();
        fields.put("status", error == null ? "finished" : "failed: " + error);
        fields.put("finished", end.toString());
        fields.put("duration_s", Duration.between(started, end).toMillis() / 1000.0);
        fields.put("load_average_end", loadAverage());
    }

    void write(Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve(FILE), ConfigLoader.mapper().writeValueAsString(fields) + "\n");
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }

    private static Object memInfoMb(String key) {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith(key + ":"))
                    .map(l -> Long.parseLong(l.substring(key.length() + 1).replace("kB", "").trim()) / 1024)
                    .findFirst().map(Object.class::cast).orElse("unknown");
        } catch (IOException | NumberFormatException e) {
            return "unknown";
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** OpenBLAS's own description (version, target, threading), from the library libtorch uses. */
    @SuppressWarnings("restricted") // a downcall to OpenBLAS, reading the C string it returns
    private static String openBlasConfig() {
        Optional<MethodHandle> getConfig = SymbolLookup.loaderLookup().find("openblas_get_config")
                .or(() -> Linker.nativeLinker().defaultLookup().find("openblas_get_config"))
                .map(a -> Linker.nativeLinker().downcallHandle(a, FunctionDescriptor.of(ValueLayout.ADDRESS)));
        if (getConfig.isEmpty()) {
            return "OpenBLAS " + mavenVersion("org.bytedeco", "openblas") + " (openblas_get_config not found)";
        }
        try {
            MemorySegment text = (MemorySegment) getConfig.get().invokeExact();
            return "OpenBLAS: " + text.reinterpret(1024).getString(0).strip();
        } catch (Throwable e) {
            return "OpenBLAS (openblas_get_config failed: " + e + ")";
        }
    }

    /** A library's version from its jar's Maven metadata. */
    static String mavenVersion(String group, String artifact) {
        String resource = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
        try (InputStream in = Manifest.class.getResourceAsStream(resource)) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
