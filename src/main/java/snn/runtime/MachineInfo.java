package snn.runtime;

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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.bytedeco.pytorch.global.torch;

/**
 * The one description of this machine, JVM, libraries and build, for every manifest (training runs, benchmarks):
 * what a figure measured here depends on.
 */
public final class MachineInfo {

    private MachineInfo() {
    }

    /**
     * Describes this machine, JVM, libraries and build, and the runtime settings when {@link TorchRuntime#init} ran.
     *
     * @return a map ready for JSON, in a fixed order: {@code cpu}, {@code cores}, {@code memory_total_mb}, {@code os},
     *         {@code jvm}, {@code libraries} (Maven versions of LibTorch's presets, JavaCPP, OpenBLAS), {@code blas}
     *         (OpenBLAS's own description), {@code snn_version} and {@code git_commit} (of this build:
     *         {@link BuildInfo}), then, once initialised, {@code device}, {@code torch_threads},
     *         {@code blas_threads} and {@code torch_parallel_info}, and last {@code load_average} (other processes
     *         skew absolute times)
     */
    public static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memory_total_mb", memInfoMb("MemTotal"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("jvm", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + Runtime.version());
        m.put("libraries", Map.of(
                "org.bytedeco:pytorch", mavenVersion("org.bytedeco", "pytorch"),
                "org.bytedeco:javacpp", mavenVersion("org.bytedeco", "javacpp"),
                "org.bytedeco:openblas", mavenVersion("org.bytedeco", "openblas")));
        BuildInfo build = BuildInfo.current();
        m.put("snn_version", build.version());
        m.put("git_commit", build.commit());
        TorchRuntime.current().ifPresent(r -> {
            m.put("blas", openBlasConfig());
            m.put("device", r.device().toString());
            m.put("torch_threads", r.torchThreads());
            m.put("blas_threads", r.blasThreadsSet() ? r.blasThreads() : "library default");
            m.put("torch_parallel_info", torch.get_parallel_info().getString().strip());
        });
        m.put("load_average", loadAverage());
        return m;
    }

    /** {@return the CPU model name from /proc/cpuinfo, or the architecture's name elsewhere} */
    public static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst()
                    .orElse(System.getProperty("os.arch"));
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }

    /** {@return the 1, 5 and 15 minute load averages and the running/total tasks (/proc/loadavg), or "unknown"} */
    public static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * A library's version from its jar's Maven metadata.
     *
     * @param group    the Maven group, e.g. {@code org.bytedeco}
     * @param artifact the Maven artifact, e.g. {@code pytorch}
     * @return its version, e.g. {@code 2.10.0-1.5.13}, or "unknown" when the jar carries no such metadata
     */
    public static String mavenVersion(String group, String artifact) {
        String resource = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
        try (InputStream in = MachineInfo.class.getResourceAsStream(resource)) {
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

    private static Object memInfoMb(String key) {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith(key + ":"))
                    .map(l -> Long.parseLong(l.substring(key.length() + 1).replace("kB", "").trim()) / 1024)
                    .findFirst().map(Object.class::cast).orElse("unknown");
        } catch (IOException | NumberFormatException e) {
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
}
