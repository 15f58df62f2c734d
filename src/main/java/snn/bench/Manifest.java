package snn.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import snn.config.ConfigLoader;
import snn.io.AtomicFiles;
import snn.runtime.MachineInfo;
import snn.runtime.TorchRuntime;

/**
 * {@code manifest.json}: what a benchmark ran on and how: the machine, libraries, threads and build as
 * {@link MachineInfo} describes them (the same description as a training run's manifest), the timing method, the
 * config, and the load average at start and end (other processes skew absolute times; same-run ratios are more
 * robust).
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
        fields.put("gpu", "none used: snn bench times LibTorch's CPU backend");
        fields.put("libtorch", runtime.torchVersion());
        fields.put("libraries_figures", Map.of(
                "org.jfree:jfreechart", MachineInfo.mavenVersion("org.jfree", "jfreechart"),
                "org.jfree:org.jfree.svg", MachineInfo.mavenVersion("org.jfree", "org.jfree.svg")));
        fields.put("machine", MachineInfo.describe());
        fields.put("load_average_start", MachineInfo.loadAverage());
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
        fields.put("load_average_end", MachineInfo.loadAverage());
    }

    void write(Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve(FILE), ConfigLoader.mapper().writeValueAsString(fields) + "\n");
    }
}
