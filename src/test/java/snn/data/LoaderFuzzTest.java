package snn.data;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import snn.core.SnnException;

/**
 * Fuzzing every loader: real-format fixture files with random bytes flipped or cut at random points must either
 * load (the damage was harmless) or fail with one clear {@link SnnException} naming the file; never another exception,
 * an error, or a JVM crash.
 */
class LoaderFuzzTest {

    static final int MUTATIONS = 40;

    @TempDir
    static Path scratch;

    /** One loader's fixture folder and the file in it that gets damaged. */
    record Target(String dataset, String file, Setup setup) {
    }

    @FunctionalInterface
    interface Setup {
        void write(Path root) throws IOException;
    }

    static void copy(String fixture, Path root) throws IOException {
        Path from = Fixtures.resource(fixture);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, root.resolve(f.getFileName()));
            }
        }
    }

    static void nmnistBins(Path root) throws IOException {
        byte[] events = new byte[0];
        for (int i = 0; i < 40; i++) {
            byte[] e = Fixtures.nmnistEvent(i % 34, (i * 7) % 34, i % 2, 1000 * i);
            byte[] joined = new byte[events.length + e.length];
            System.arraycopy(events, 0, joined, 0, events.length);
            System.arraycopy(e, 0, joined, events.length, e.length);
            events = joined;
        }
        Fixtures.write(root.resolve("Train/3/a.bin"), events);
        Fixtures.write(root.resolve("Train/5/b.bin"), events);
        Fixtures.write(root.resolve("Test/0/c.bin"), events);
    }

    static List<Target> targets() {
        return List.of(
                new Target("shd", "shd_train.h5", root -> copy("hdf5/shd", root)),
                new Target("ssc", "ssc_test.h5", root -> copy("hdf5/ssc", root)),
                new Target("nmnist", "train.h5", root -> copy("hdf5/nmnist", root)),
                new Target("nmnist", "Train/3/a.bin", LoaderFuzzTest::nmnistBins),
                new Target("fashion-mnist", "train-images-idx3-ubyte.gz", root -> IdxDatasetsTest.writeDataset(root, true)),
                new Target("mnist", "train-labels-idx1-ubyte", root -> IdxDatasetsTest.writeDataset(root, false)),
                new Target("fashion-mnist", "t10k-images-idx3-ubyte", root -> IdxDatasetsTest.writeDataset(root, false)));
    }

    @TestFactory
    Stream<DynamicTest> damagedFilesFailClearly() {
        return targets().stream().map(t -> DynamicTest.dynamicTest(t.dataset() + " " + t.file(), () -> fuzz(t)));
    }

    static void fuzz(Target t) throws IOException {
        SplittableRandom random = new SplittableRandom(t.file().hashCode());
        List<String> outcomes = new ArrayList<>();
        for (int m = 0; m < MUTATIONS; m++) {
            Path root = Files.createTempDirectory(scratch, "fuzz");
            t.setup().write(root);
            Path file = root.resolve(t.file());
            byte[] bytes = Files.readAllBytes(file);
            String mutation;
            if (m % 2 == 0) {
                int flips = 1 + random.nextInt(8);
                for (int i = 0; i < flips; i++) {
                    bytes[random.nextInt(bytes.length)] ^= (byte) (1 + random.nextInt(255));
                }
                mutation = flips + " bytes flipped";
            } else {
                int keep = random.nextInt(bytes.length);
                bytes = java.util.Arrays.copyOf(bytes, keep);
                mutation = "cut at byte " + keep;
            }
            Files.write(file, bytes);
            try {
                DatasetSplits splits = Datasets.open(Fixtures.config(t.dataset(), root), 1);
                for (SpikeDataset split : new SpikeDataset[] {splits.train(), splits.test()}) {
                    for (int i = 0; i < split.size(); i++) {
                        Fixtures.dense(split, i);
                        split.label(i);
                    }
                }
                outcomes.add("loaded");
            } catch (RuntimeException e) {
                if (!(e instanceof SnnException)) {
                    fail(t.file() + ", " + mutation + ": expected a clear dataset error, got " + e, e);
                }
                assertTrue(e.getMessage() != null && e.getMessage().contains(t.file().replaceAll(".*/", "")
                        .replace(".gz", "")) || e.getMessage().contains(root.toString()),
                        t.file() + ", " + mutation + ": the error should name the file: " + e.getMessage());
                outcomes.add("error");
            } catch (Error e) {
                fail(t.file() + ", " + mutation + ": " + e, e);
            }
        }
        assertTrue(outcomes.contains("error"), "the damage must be detected at least once: " + outcomes);
    }
}
