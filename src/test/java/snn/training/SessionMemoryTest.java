package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.launcher.Launcher;
import snn.models.Parameters;

/**
 * A {@link TrainingSession} frees what a milestone replaces (the old Adam with its moments, the old snapshot of the
 * selected model) itself: over 40 milestone reloads, resident memory stays flat in a JVM where JavaCPP's garbage
 * collector hook is turned off ({@code org.bytedeco.javacpp.nopointergc}), so nothing could be freed by the GC. The
 * same operations without the session's closes grow by more than the test's bound, showing the measurement sees a
 * leak of this size.
 */
class SessionMemoryTest {

    static final ExperimentConfig CONFIG = ConfigLoader.parse("""
            {"name": "mem", "data": {"synthetic": {"classes": 10, "channels": 200, "t_len": 20}},
             "model": {"kind": "dblock", "d": 4, "hidden": [512], "recurrent": true},
             "training": {"lr": 0.001}}""", List.of(), "test");

    static final int RELOADS = 40;

    /** Runs {@link #main} in a JVM without JavaCPP's GC hook; returns its growth in bytes after the warm-up. */
    static long growth(String mode) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(Launcher.jvmFlags(Runtime.version().feature()));
        cmd.addAll(List.of("-Dorg.bytedeco.javacpp.nopointergc=true", "-cp", System.getProperty("java.class.path"),
                SessionMemoryTest.class.getName(), mode));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the probe did not finish");
        assertEquals(0, p.exitValue(), out);
        String last = out.strip().lines().reduce((a, b) -> b).orElseThrow();
        System.out.println("session memory (" + mode + "): " + last);
        return Long.parseLong(last.replaceAll(".*growth ([0-9-]+) bytes.*", "$1"));
    }

    @Test
    void milestoneReloadsLeaveNativeMemoryFlat() throws Exception {
        long session = growth("session");
        long leaky = growth("without-closing");
        // Each reload replaces about 4.4 MB of native memory (Adam's two moments and a snapshot of ~370,000
        // parameters): about 160 MB over the reloads after the warm-up when nothing frees it.
        assertTrue(leaky > 100_000_000, "the probe should see the leak of unclosed objects: " + leaky);
        assertTrue(session < 30_000_000, "resident memory grew by " + session / 1_000_000 + " MB over " + RELOADS
                + " milestone reloads");
    }

    /**
     * The probe: {@value #RELOADS} milestone reloads (an Adam step to fill the moments, a new snapshot, a reload of
     * the snapshot and a fresh Adam), through the session or (mode {@code without-closing}) with the same calls but
     * nothing closed. Prints the RSS growth from the end of the first tenth to the end.
     *
     * @param args the mode
     */
    public static void main(String[] args) {
        boolean closing = args[0].equals("session");
        Trainer.initRuntime(CONFIG, 1);
        try (TrainingSession s = TrainingSession.create(CONFIG, 200, 10)) {
            long afterWarmUp = 0;
            Adam leakyAdam = null;
            for (int i = 1; i <= RELOADS; i++) {
                Adam adam = closing ? s.optimizer() : leakyAdam != null ? leakyAdam : s.optimizer();
                try (PointerScope scope = new PointerScope()) {
                    adam.zero_grad();
                    Tensor sum = null;
                    for (Tensor p : Parameters.named(s.network()).values()) {
                        sum = sum == null ? p.sum() : sum.add(p.sum());
                    }
                    sum.backward();
                    adam.step();
                }
                if (closing) {
                    s.keepAsBest(i, i);
                    s.reloadBest();
                    s.freshOptimizer(0.001);
                } else {
                    Map<String, Tensor> copy = new java.util.LinkedHashMap<>();
                    Parameters.named(s.network()).forEach((k, v) -> copy.put(k, v.detach().clone()));
                    Parameters.load(s.network(), copy);
                    leakyAdam = new Adam(s.network().parameters(), new AdamOptions(0.001));
                }
                if (i == RELOADS / 10) {
                    NativeMemoryTest.trimMalloc();
                    afterWarmUp = NativeMemoryTest.residentBytes();
                }
            }
            NativeMemoryTest.trimMalloc();
            long end = NativeMemoryTest.residentBytes();
            System.out.println("RSS after warm-up " + afterWarmUp + ", at the end " + end + ": growth "
                    + (end - afterWarmUp) + " bytes");
        }
    }
}
