package snn.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Facts about this machine and build for run manifests: CPU, cores, JVM, library versions, code version. */
public final class MachineInfo {

    private MachineInfo() {
    }

    /**
     * Describes this machine, JVM and build, and the runtime settings when {@link TorchRuntime#init} ran.
     *
     * @return a map ready for JSON, in a fixed order: {@code cpu}, {@code cores}, {@code os}, {@code jvm}, library
     *         versions, {@code git_commit}, then {@code device}, {@code torch_threads} and {@code blas_threads}
     */
    public static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("jvm", System.getProperty("java.vm.name") + " " + Runtime.version());
        m.put("pytorch_presets", version(org.bytedeco.pytorch.global.torch.class));
        m.put("javacpp", version(org.bytedeco.javacpp.Loader.class));
        m.put("snn_version", version(MachineInfo.class));
        m.put("git_commit", gitCommit());
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

    private static String version(Class<?> c) {
        String v = c.getPackage().getImplementationVersion();
        return v != null ? v : "unknown";
    }

    /**
     * {@return {@code git rev-parse HEAD} of the working directory (plus "-dirty" with local changes), or "unknown"}
     */
    public static String gitCommit() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            String head = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "unknown";
            }
            Process s = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no").start();
            String changes = new String(s.getInputStream().readAllBytes()).trim();
            s.waitFor(5, TimeUnit.SECONDS);
            return changes.isEmpty() ? head : head + "-dirty";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
