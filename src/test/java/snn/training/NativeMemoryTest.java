package snn.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.SyntheticSpikes;

/**
 * 2,000 training steps keep resident memory flat on both kernel paths: every step's native tensors are freed by its
 * PointerScope, and the native kernels' state of each step (hooks, saved buffers) is released once its graph is gone.
 */
class NativeMemoryTest {

    /** glibc's malloc_trim(0): returns cached free pages to the system, so RSS shows memory in use. */
    static void trimMalloc() {
        try {
            java.lang.invoke.MethodHandle trim = java.lang.foreign.Linker.nativeLinker().downcallHandle(
                    java.lang.foreign.Linker.nativeLinker().defaultLookup().find("malloc_trim").orElseThrow(),
                    java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT,
                            java.lang.foreign.ValueLayout.JAVA_LONG));
            int ignored = (int) trim.invokeExact(0L);
        } catch (Throwable e) {
            throw new IllegalStateException("malloc_trim failed", e);
        }
    }

    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "torch"})
    void residentMemoryStaysFlatOverTwoThousandSteps(String kernels, @TempDir Path dir) throws Exception {
        ExperimentConfig c = ConfigLoader.parse("""
                {"name": "mem", "data": {"synthetic": {"classes": 4, "channels": 32, "t_len": 40,
                 "train_samples": 1600, "test_samples": 16}},
                 "model": {"kind": "dblock", "d": 4, "hidden": [32], "recurrent": true, "kernels": "%s"},
                 "training": {"epochs": 10, "batch_size": 8}}""".formatted(kernels), List.of(), "test");
        List<long[]> samples = new CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                trimMalloc();
                samples.add(new long[] {System.nanoTime() - start, residentBytes()});
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new Trainer(c, SyntheticSpikes.splits(c.data().synthetic(), 1), new PrintStream(log, true,
                java.nio.charset.StandardCharsets.UTF_8)).fit(dir);
        sampler.interrupt();
        sampler.join();
        long total = System.nanoTime() - start;
        // Warm-up: the first half of the run (allocator pools, JIT-compiled code, caches). The level it settles at is
        // the highest RSS shortly before half-time; the second half may not grow more than 50 MB above it. Without
        // per-step scopes, memory grew by about 1 MB per step: 1,000 MB here.
        long afterWarmUp = samples.stream().filter(s -> s[0] >= total * 2 / 5 && s[0] < total / 2)
                .mapToLong(s -> s[1]).max().orElseThrow();
        long peakLater = samples.stream().filter(s -> s[0] >= total / 2).mapToLong(s -> s[1]).max().orElseThrow();
        long growth = peakLater - afterWarmUp;
        System.out.printf("native memory (%s kernels): %d steps, RSS after warm-up %.1f MB, peak after %.1f MB,"
                + " growth %.1f MB%n", kernels, 2000, afterWarmUp / 1e6, peakLater / 1e6, growth / 1e6);
        String expected = kernels.equals("native") ? "kernels: native kernels" : "kernels: LibTorch ops";
        assertTrue(log.toString(java.nio.charset.StandardCharsets.UTF_8).contains(expected), "ran on " + kernels);
        assertTrue(growth < 50_000_000, "resident memory grew by " + growth / 1_000_000 + " MB over the run");
    }
}
