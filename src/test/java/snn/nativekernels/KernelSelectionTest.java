package snn.nativekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.config.ModelConfig;
import snn.data.SyntheticSpikes;
import snn.neurons.NeuronKernels;
import snn.runtime.Device;
import snn.training.Trainer;

/** {@code model.kernels = auto}, the default: the native kernels where the library is loaded, else LibTorch ops. */
class KernelSelectionTest {

    static final String TINY = """
            {"name": "tiny", "seed": 5,
             "data": {"synthetic": {"classes": 3, "channels": 16, "t_len": 20, "train_samples": 64, "test_samples": 32}},
             "model": {"kind": "dblock", "d": 2, "hidden": [12], "recurrent": true},
             "training": {"epochs": 1, "batch_size": 32}}""";

    @Test
    void autoIsTheDefaultAndPicksTheNativeKernelsWhenTheLibraryIsLoaded(@TempDir Path dir) throws Exception {
        ExperimentConfig config = ConfigLoader.parse(TINY, List.of(), "tiny");
        assertEquals(ModelConfig.Kernels.AUTO, config.model().kernels());
        NativeRequirement.library(); // the build compiles the native kernels wherever gcc exists

        NativeKernels.Selection auto = NativeKernels.choose(ModelConfig.Kernels.AUTO, Device.CPU);
        assertTrue(auto.isNative());
        assertTrue(auto.describe().startsWith("native kernels (model.kernels = auto; loaded from "), auto.describe());
        NativeKernels.Selection torch = NativeKernels.choose(ModelConfig.Kernels.TORCH, Device.CPU);
        assertEquals(NeuronKernels.TORCH, torch.kernels());
        assertEquals("LibTorch ops (model.kernels = torch; as configured)", torch.describe());
        NativeKernels.Selection gpu = NativeKernels.choose(ModelConfig.Kernels.AUTO, Device.CUDA);
        assertFalse(gpu.isNative());
        assertTrue(gpu.reason().contains("CPU tensors only"), gpu.reason());

        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new Trainer(config, SyntheticSpikes.splits(config.data().synthetic(), 5),
                new PrintStream(log, true, StandardCharsets.UTF_8)).fit(dir.resolve("run"));
        List<String> lines = log.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(lines.get(1).startsWith("kernels: native kernels (model.kernels = auto; loaded from "),
                lines.toString());
        JsonNode manifest = ConfigLoader.mapper().readTree(dir.resolve("run/manifest.json").toFile());
        assertEquals("native", manifest.get("kernels").asText());
    }

    @Test
    void autoFallsBackToLibTorchWithOneMessageWhenTheLibraryIsMissing(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("tiny.json");
        Files.writeString(config, TINY);
        Path log = dir.resolve("log.txt");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Dsnn.native.lib=" + dir.resolve("missing.so"),
                "-cp", System.getProperty("java.class.path"), "snn.cli.Main", "train", "--config", config.toString(),
                "--out", dir.resolve("run").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "training did not finish");
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), out);
        List<String> mentions = out.lines().filter(l -> l.contains("native kernel")).toList();
        assertEquals(List.of("kernels: LibTorch ops (model.kernels = auto; native kernels unavailable: native kernel"
                + " library libsnnkernels.so not found (set -Dsnn.native.lib=FILE, or build with a C compiler so that"
                + " it lands in native/ next to the jar))"), mentions, out);
        assertTrue(out.indexOf(mentions.get(0)) < out.indexOf("epoch 1/1"), "said before training starts: " + out);
        JsonNode manifest = ConfigLoader.mapper().readTree(dir.resolve("run/manifest.json").toFile());
        assertEquals("torch", manifest.get("kernels").asText());
    }
}
