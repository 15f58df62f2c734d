package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.cli.CliRun;
import snn.config.ExperimentConfig;
import snn.data.SyntheticSpikes;
import snn.core.TrainingException;

class RunFolderTest {

    @Test
    void aFolderAFailedStartLeftEmptyIsGivenBackAndOneWithFilesStays(@TempDir Path results) throws Exception {
        RunFolder empty = RunFolder.claim(results, "run");
        assertTrue(empty.releaseIfEmpty());
        assertFalse(Files.exists(empty.dir()));
        assertEquals(results.resolve("run"), RunFolder.claim(results, "run").dir(), "the name is free again");
        RunFolder used = RunFolder.claim(results, "used");
        Files.writeString(used.file(RunFolder.CONFIG), "{}");
        assertFalse(used.releaseIfEmpty());
        assertTrue(Files.isRegularFile(used.file(RunFolder.CONFIG)));
    }

    @Test
    void aNewRunNeverTakesAFolderThatHoldsARun(@TempDir Path results) throws Exception {
        Files.createDirectories(results.resolve("quick"));
        Files.writeString(results.resolve("quick/config.json"), "{}");
        assertEquals(results.resolve("quick-2"), RunFolder.claim(results, "quick").dir());
        Files.writeString(results.resolve("quick-2/metrics.csv"), "x");
        assertEquals(results.resolve("quick-3"), RunFolder.claim(results, "quick").dir());
        // quick-3 is still empty, but it was claimed: a run that starts now cannot know it is abandoned.
        assertEquals(results.resolve("quick-4"), RunFolder.claim(results, "quick").dir());
        assertEquals(results.resolve("fresh"), RunFolder.claim(results, "fresh").dir());
        assertTrue(Files.isDirectory(results.resolve("fresh")));
        assertEquals("{}", Files.readString(results.resolve("quick/config.json")), "the earlier run is untouched");
    }

    @Test
    void runsStartedAtOnceGetFoldersOfTheirOwn(@TempDir Path results) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Path>> claims = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                claims.add(pool.submit(() -> RunFolder.claim(results, "run").dir()));
            }
            Set<Path> dirs = new HashSet<>();
            for (Future<Path> f : claims) {
                dirs.add(f.get());
            }
            assertEquals(16, dirs.size(), dirs.toString());
            try (Stream<Path> made = Files.list(results)) {
                assertEquals(16, made.count());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anExplicitFolderHoldingFilesNeedsForce(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("metrics.csv"), "x");
        TrainingException e = assertThrows(TrainingException.class, () -> RunFolder.overwrite(dir, false));
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        assertEquals(dir, RunFolder.overwrite(dir, true).dir());
    }

    @Test
    void readingCommandsRefuseAFolderThatIsNotARun(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("notes.txt"), "x");
        TrainingException e = assertThrows(TrainingException.class, () -> RunFolder.open(dir));
        assertEquals("not a run folder: " + dir + " (no config.json)", e.getMessage());
        e = assertThrows(TrainingException.class, () -> RunFolder.open(dir.resolve("nope")));
        assertEquals("not a run folder: " + dir.resolve("nope") + " (no such folder)", e.getMessage());
        for (String[] args : new String[][] {{"train", "--resume", dir.toString()}, {"eval", "--run", dir.toString()},
                {"plot", "curves", "--run", dir.toString()}, {"compare", dir.toString(), dir.toString()}}) {
            CliRun r = CliRun.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals("snn: not a run folder: " + dir + " (no config.json)", r.err().strip(), String.join(" ", args));
        }
    }

    @Test
    void resultFilesFollowTheUmask(@TempDir Path dir) throws Exception {
        Path reference = dir.resolve("reference");
        try (OutputStream out = Files.newOutputStream(reference)) {
            out.write(1); // created as any program creates a file: 0666 minus the umask
        }
        Set<PosixFilePermission> expected = Files.getPosixFilePermissions(reference);
        ExperimentConfig c = TrainerTest.config("block", "");
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        new Trainer(c, SyntheticSpikes.splits(c.data().synthetic(), c.seed()), quiet)
                .withListener(snn.plots.TrainingFigures.curvesWhenFinished(quiet)).fit(dir.resolve("run"));
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir.resolve("run"))) {
            files = s.filter(Files::isRegularFile).toList();
        }
        assertTrue(files.size() >= 7, files.toString());
        for (Path f : files) {
            assertEquals(expected, Files.getPosixFilePermissions(f), f.toString());
        }
        assertFalse(files.stream().anyMatch(f -> f.getFileName().toString().endsWith(".tmp")), files.toString());
    }

    @Test
    void theCliNumbersANewRunAndSaysWhereItWrites(@TempDir Path results) throws Exception {
        Files.createDirectories(results.resolve("tiny"));
        Files.writeString(results.resolve("tiny/config.json"), "{}");
        CliRun run = CliRun.run("train", "--config", "configs/quickstart.json", "--set", "name=tiny",
                "--set", "results_dir=" + results, "--set", "training.epochs=1",
                "--set", "data.synthetic.train_samples=64", "--set", "data.synthetic.test_samples=32");
        String out = run.out();
        assertEquals(0, run.code(), out + run.err());
        assertTrue(out.startsWith("run folder: " + results.resolve("tiny-2") + " (" + results.resolve("tiny")
                + " holds an earlier run)"), out);
        assertTrue(Files.isRegularFile(results.resolve("tiny-2/summary.json")));
        assertEquals("{}", Files.readString(results.resolve("tiny/config.json")));
    }
}
