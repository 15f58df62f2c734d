package snn.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Facts about this machine and build for run manifests: CPU, cores, JVM, library versions, code version. */
public final class MachineInfo {

    private MachineInfo() {
    }

    /**
     * Describes this machine, JVM and build, and the runtime settings when {@link TorchRuntime#init} ran.
     *
     * @return a map ready for JSON, in a fixed order: {@code cpu}, {@code cores}, {@code os}, {@code jvm}, library
     *         versions, {@code snn_version} and {@code git_commit} (of this build: {@link BuildInfo}), then {@code device}, {@code torch_threads} and {@code blas_threads}
     */
    public static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("jvm", System.getProperty("java.vm.name") + " " + Runtime.version());
        m.put("pytorch_presets", implementationVersion(org.bytedeco.pytorch.global.torch.class));
        m.put("javacpp", implementationVersion(org.bytedeco.javacpp.Loader.class));
        BuildInfo build = BuildInfo.current();
        m.put("snn_version", build.version());
        m.put("git_commit", build.commit());
        TorchRuntime.current().ifPresent(r -> {
            m.put("device", r.device().toString());
            m.put("torch_threads", r.torchThreads());
            m.put("blas_threads", r.blasThreadsSet() ? r.blasThreads() : "library default");
        });
        return m;
    }

    /** {@return the CPU model name from /proc/cpuinfo, or "unknown"} */
    public static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return "unknown";
    }

    /**
     * {@return the {@code Implementation-Version} of the jar that holds {@code c} (a library's version, e.g.
     * "2.10.0-1.5.13" for the PyTorch presets' {@code torch} class), or "unknown"}
     *
     * @param c a class of the library
     */
    public static String implementationVersion(Class<?> c) {
        String v = c.getPackage().getImplementationVersion();
        return v != null ? v : "unknown";
    }
}
