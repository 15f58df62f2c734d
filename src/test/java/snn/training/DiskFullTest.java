package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.core.SnnException;
import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.SyntheticSpikes;
import snn.core.TrainingException;

/** A full disk or an unusable run folder gives a clear error and leaves no partial file behind. */
class DiskFullTest {

    static final ExperimentConfig CONFIG = ConfigLoader.parse("""
            {"name": "full", "data": {"synthetic": {"classes": 3, "channels": 64, "t_len": 20,
             "train_samples": 64, "test_samples": 16}},
             "model": {"kind": "block", "hidden": [256]},
             "training": {"epochs": 2, "batch_size": 32}}""", List.of(), "test");

    static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    @Test
    void fullDiskStopsWithTheFileNamedAndNoPartialFiles(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("disk");
        Files.createDirectories(disk);
        // A 96 KiB file system: the JSON files fit, the ~300 KB model checkpoint does not. Needs root (CI runs as root).
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", disk.toString()) == 0,
                "mounting a small tmpfs needs root");
        try {
            Path runDir = disk.resolve("run");
            RuntimeException e = assertThrows(RuntimeException.class, () -> new Trainer(CONFIG,
                    SyntheticSpikes.splits(CONFIG.data().synthetic(), 1), new PrintStream(new ByteArrayOutputStream()))
                    .fit(runDir));
            assertTrue(e instanceof SnnException, "a clear error, not an internal one: " + e);
            assertTrue(e.getMessage().contains(runDir.toString()) && e.getMessage().toLowerCase().contains("space"),
                    e.getMessage());
            try (Stream<Path> files = Files.list(runDir)) {
                for (Path f : files.toList()) {
                    assertTrue(!f.getFileName().toString().endsWith(".tmp"), "temporary file left: " + f);
                    if (f.toString().endsWith(".json")) {
                        ConfigLoader.mapper().readTree(f.toFile()); // complete, parseable JSON
                    }
                }
            }
        } finally {
            assertEquals(0, run("umount", disk.toString()));
        }
    }

    @Test
    void runFolderThatIsAFileIsNamed(@TempDir Path dir) throws Exception {
        Path notADir = dir.resolve("results");
        Files.writeString(notADir, "a file where the run folder should go");
        TrainingException e = assertThrows(TrainingException.class, () -> new Trainer(CONFIG,
                SyntheticSpikes.splits(CONFIG.data().synthetic(), 1), new PrintStream(new ByteArrayOutputStream()))
                .fit(notADir.resolve("run")));
        assertTrue(e.getMessage().contains(notADir.resolve("run").toString()), e.getMessage());
    }
}
