package snn.cli;

import static snn.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {



    @Test
    void badConfigFailsBeforeAnyWorkWithOneClearMessage(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("bad.json");
        Files.writeString(cfg, "{\"model\": {\"kind\": \"dblock\", \"d\": 0}, \"trainig\": {}}");
        CliRun o = run("train", "--config", cfg.toString(), "--out", dir.resolve("run").toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains(cfg.toString()) && o.err().contains("trainig"), o.err());
        assertFalse(o.err().contains("\tat "), "no stack trace: " + o.err());
        assertFalse(Files.exists(dir.resolve("run")), "nothing written for a bad config");
    }

    @Test
    void configShorthandRunsTraining(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("tiny.json");
        Files.writeString(cfg, """
                {"name": "tiny", "results_dir": "%s",
                 "data": {"synthetic": {"classes": 2, "channels": 10, "t_len": 12, "train_samples": 32,
                          "test_samples": 16}},
                 "model": {"kind": "block", "hidden": [8]},
                 "training": {"epochs": 1, "batch_size": 16}}""".formatted(dir.toString().replace("\\", "/")));
        CliRun o = run("--config", cfg.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(Files.exists(dir.resolve("tiny/summary.json")));
        String first = Files.readString(dir.resolve("tiny/metrics.csv"));
        CliRun again = run("--config", cfg.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(Files.exists(dir.resolve("tiny-2/summary.json")), "the second run takes a folder of its own");
        assertEquals(first, Files.readString(dir.resolve("tiny/metrics.csv")), "the first run is not overwritten");
        CliRun forced = run("--config", cfg.toString(), "--force");
        assertEquals(0, forced.code(), forced.err());
        assertFalse(Files.exists(dir.resolve("tiny-3")), "--force writes into <results_dir>/<name>");
        CliRun out = run("--config", cfg.toString(), "--out", dir.resolve("tiny").toString());
        assertEquals(2, out.code(), "an explicit folder holding a run needs --force");
        assertTrue(out.err().contains("--force"), out.err());
    }

    @Test
    void everyPaperConfigDryRuns() throws Exception {
        try (var files = Files.list(Path.of("configs/paper"))) {
            for (Path cfg : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                StringWriter out = new StringWriter();
                int code = Main.run(new String[] {"train", "--config", cfg.toString(), "--dry-run"},
                        new PrintWriter(out, true), new PrintWriter(out, true));
                assertEquals(0, code, cfg + ": " + out);
                String report = out.toString();
                assertTrue(report.contains("steps per epoch") && report.contains("readout")
                        && report.contains("estimated memory"), cfg + ": " + report);
            }
        }
    }

    @Test
    void fashionMnistTrainsEndToEndThroughTheCli(@TempDir Path dir) throws Exception {
        Path fashion = Path.of(CliTest.class.getResource("/fixtures/fashion-mnist").toURI()); // the bundled subset
        CliRun o = run("train", "--config", "configs/paper/block_fmnist_block.json", "--out", dir.toString(),
                "--set", "data.root=" + fashion.toAbsolutePath(), "--set", "data.train_limit=1024",
                "--set", "data.test_limit=512", "--set", "model.hidden=[64]", "--set", "training.epochs=3",
                "--set", "training.milestones=[]");
        assertEquals(0, o.code(), o.err());
        double accuracy = snn.config.ConfigLoader.mapper().readTree(dir.resolve("summary.json").toFile())
                .get("test_accuracy").asDouble();
        assertTrue(accuracy > 0.3, "10 classes: chance is 0.1, got " + accuracy);
        var files = snn.config.ConfigLoader.mapper().readTree(dir.resolve("manifest.json").toFile()).get("dataset_files");
        assertTrue(files.get("train-images-idx3-ubyte.gz").asText().startsWith("sha256:"), files.toString());
    }

    @Test
    void missingDatasetFilesSayWhereToGetThem(@TempDir Path dir) {
        CliRun o = run("train", "--config", "configs/shd_dblock5.json", "--out", dir.resolve("run").toString(),
                "--set", "data.root=" + dir.resolve("nothing-here"));
        assertEquals(2, o.code());
        assertTrue(o.err().contains("snn data download"), o.err());
        assertFalse(o.err().contains("\tat "), o.err());
    }

    @Test
    void unknownOptionIsAUsageError() {
        CliRun o = run("train", "--config", "configs/quickstart.json", "--epochs", "3");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--epochs"), o.err());
    }
}
