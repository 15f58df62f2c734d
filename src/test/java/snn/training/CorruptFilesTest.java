package snn.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.cli.CliRun;
import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.InteropException;
import snn.core.TrainingException;
import snn.data.DatasetSplits;
import snn.data.SyntheticSpikes;
import snn.interop.Checkpoint;
import snn.interop.Checkpoints;
import snn.interop.Mutations;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.runtime.Tensors;

/**
 * Damaged run files are refused, never loaded as wrong values: seeded flips, overwrites and truncations of a real
 * run's {@code model.pt} and {@code training-state.pt} either fail with an snn error naming the file, or (damage
 * where no reader looks, such as alignment padding) load bit-identical values. The CLI refuses them with exit 2.
 */
class CorruptFilesTest {

    static final ExperimentConfig CONFIG = ConfigLoader.parse("""
            {"name": "corrupt", "seed": 11,
             "data": {"synthetic": {"classes": 3, "channels": 10, "t_len": 12, "train_samples": 32,
                      "test_samples": 16}},
             "model": {"kind": "dblock", "d": 3, "hidden": [8], "recurrent": true},
             "training": {"epochs": 2, "batch_size": 16, "lr": 0.01}}""", List.of(), "test");

    /** Mutations of each kind per file: 3 kinds, so 60 damaged copies of each file. */
    static final int PER_KIND = 20;

    @TempDir
    static Path dir;
    static Path run;

    @BeforeAll
    static void trainTinyRun() {
        DatasetSplits data = SyntheticSpikes.splits(CONFIG.data().synthetic(), CONFIG.seed());
        run = dir.resolve("run");
        new Trainer(CONFIG, data, new PrintStream(new ByteArrayOutputStream())).fit(run);
    }

    @Test
    void damagedModelFilesAreRefusedOrLoadTheOriginalValues() throws IOException {
        Path original = run.resolve("model.pt");
        Checkpoint expected = Checkpoints.load(original);
        byte[] bytes = Files.readAllBytes(original);
        Path damaged = dir.resolve("model-fuzz").resolve("model.pt");
        Files.createDirectories(damaged.getParent());
        Mutations.Tally tally = Mutations.fuzz(bytes, 20240917L, PER_KIND, damaged, Checkpoints::load,
                InteropException.class,
                (m, e) -> assertTrue(e.getMessage().startsWith(damaged.toString()), m + ": " + e.getMessage()),
                (m, loaded) -> {
                    assertEquals(expected.config(), loaded.config(), m + ": config");
                    assertBitIdentical(expected.parameters(), loaded.parameters(), m + ": ");
                });
        System.out.println(tally.report("model.pt (" + bytes.length + " bytes)"));
        tally.assertDamageWasSeen();
    }

    @Test
    void damagedTrainingStatesAreRefusedOrLoadTheOriginalState() throws IOException {
        Restored expected = restore(run);
        byte[] bytes = Files.readAllBytes(TrainingState.file(run));
        Path damagedRun = Files.createDirectories(dir.resolve("state-fuzz"));
        Path damaged = TrainingState.file(damagedRun);
        Mutations.Tally tally = Mutations.fuzz(bytes, 20240918L, PER_KIND, damaged, file -> restore(damagedRun),
                TrainingException.class, (m, e) -> {
                    assertTrue(e.getMessage().contains(damaged.toString()), m + ": " + e.getMessage());
                    // Refused by the zip check before LibTorch read anything, not by a LibTorch error.
                    assertInstanceOf(InteropException.class, e.getCause(), m + ": " + e.getMessage());
                }, (m, loaded) -> {
                    assertEquals(expected.progress(), loaded.progress(), m + ": progress");
                    assertBitIdentical(expected.model(), loaded.model(), m + ": model ");
                    assertBitIdentical(expected.best(), loaded.best(), m + ": best ");
                    assertBitIdentical(expected.afterStep(), loaded.afterStep(), m + ": after an Adam step ");
                });
        System.out.println(tally.report("training-state.pt (" + bytes.length + " bytes)"));
        tally.assertDamageWasSeen();
    }

    @Test
    void evalRefusesADamagedCheckpointWithExitTwoNamingTheEntry() throws IOException {
        Path file = dir.resolve("eval-checkpoint").resolve("model.pt");
        Files.createDirectories(file.getParent());
        byte[] bytes = Files.readAllBytes(run.resolve("model.pt"));
        int at = Mutations.dataOffset(bytes, "archive/data/3");
        bytes[at] ^= 0x10;
        Files.write(file, bytes);
        CliRun o = CliRun.run("eval", "--checkpoint", file.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains(file + ": entry archive/data/3 is corrupt (CRC-32 0x"), o.err());
        assertFalse(o.err().contains("\tat "), "no stack trace: " + o.err());
    }

    @Test
    void evalOfARunRefusesADamagedModelWithExitTwo() throws IOException {
        Path copy = copyRun("eval-run");
        Path model = copy.resolve(RunFolder.MODEL);
        byte[] bytes = Files.readAllBytes(model);
        bytes[Mutations.dataOffset(bytes, "archive/data/0")] ^= 0x01;
        Files.write(model, bytes);
        CliRun o = CliRun.run("eval", "--run", copy.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("cannot evaluate the selected model of " + copy + ": " + model
                + ": entry archive/data/0 is corrupt (CRC-32"), o.err());
        assertFalse(o.err().contains("\tat "), "no stack trace: " + o.err());
    }

    @Test
    void evalOfARunRefusesATruncatedModel() throws IOException {
        // As `truncate -s N model.pt` does: the training state is intact, but eval --run evaluates model.pt.
        Path copy = copyRun("eval-truncated");
        Path model = copy.resolve(RunFolder.MODEL);
        try (FileChannel channel = FileChannel.open(model, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() / 2);
        }
        CliRun o = CliRun.run("eval", "--run", copy.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("cannot evaluate the selected model of " + copy + ": " + model), o.err());
        assertFalse(o.out().contains("test accuracy"), o.out());
    }

    @Test
    void evalOfARunEvaluatesAReplacedModelAndSaysSo() throws IOException {
        ExperimentConfig otherConfig = ConfigLoader.parse("""
                {"name": "other", "seed": 11,
                 "data": {"synthetic": {"classes": 3, "channels": 10, "t_len": 12, "train_samples": 32,
                          "test_samples": 16}},
                 "model": {"kind": "dblock", "d": 3, "hidden": [6], "recurrent": false},
                 "training": {"epochs": 1, "batch_size": 16, "lr": 0.01}}""", List.of(), "test");
        Path other = dir.resolve("other");
        new Trainer(otherConfig, SyntheticSpikes.splits(otherConfig.data().synthetic(), CONFIG.seed()),
                new PrintStream(new ByteArrayOutputStream())).fit(other);
        Path copy = copyRun("eval-replaced");
        Files.copy(other.resolve(RunFolder.MODEL), copy.resolve(RunFolder.MODEL), StandardCopyOption.REPLACE_EXISTING);

        CliRun original = CliRun.run("eval", "--run", run.toString());
        CliRun replaced = CliRun.run("eval", "--run", copy.toString());
        CliRun direct = CliRun.run("eval", "--checkpoint", other.resolve(RunFolder.MODEL).toString());
        assertEquals(0, replaced.code(), replaced.err());
        assertTrue(original.out().startsWith("model: " + run.resolve(RunFolder.MODEL) + "\n"), original.out());
        assertTrue(replaced.out().startsWith("model: " + copy.resolve(RunFolder.MODEL) + " (its config differs from"
                + " config.json's, shown as config.json -> model.pt: model.hidden [8] -> [6], model.recurrent true ->"
                + " false, name \"corrupt\" -> \"other\", training.epochs 2 -> 1; evaluated as it is)"),
                replaced.out());
        String result = accuracyLine(replaced.out());
        assertNotEquals(accuracyLine(original.out()), result, "the replaced model is evaluated, not the state's");
        assertEquals(accuracyLine(direct.out()), result);
    }

    private static String accuracyLine(String out) {
        return out.lines().filter(l -> l.startsWith("test accuracy")).findFirst().orElseThrow(() ->
                new AssertionError("no accuracy in " + out));
    }

    @Test
    void resumeRefusesADamagedStateAndLeavesTheRunFolderUnchanged() throws IOException {
        Path copy = copyRun("resume");
        damageFirstTensor(TrainingState.file(copy));
        Map<String, byte[]> before = contents(copy);
        CliRun o = CliRun.run("train", "--resume", copy.toString(), "--set", "training.epochs=3");
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("cannot resume " + copy) && o.err().contains(TrainingState.FILE + ": entry ")
                && o.err().contains("is corrupt (CRC-32"), o.err());
        assertFalse(o.err().contains("\tat "), "no stack trace: " + o.err());
        Map<String, byte[]> after = contents(copy);
        assertEquals(before.keySet(), after.keySet(), "no file added or removed");
        before.forEach((name, b) -> assertArrayEquals(b, after.get(name), name + " unchanged"));
    }

    @Test
    void theUndamagedRunStillResumesAndEvaluates() {
        Path copy = copyRun("intact");
        assertEquals(0, CliRun.run("eval", "--run", copy.toString()).code());
        CliRun o = CliRun.run("train", "--resume", copy.toString(), "--set", "training.epochs=3");
        assertEquals(0, o.code(), o.err());
    }

    /** What {@link TrainingState#load} restores, and the parameters after one Adam step from it. */
    record Restored(TrainingState.Progress progress, Map<String, Tensor> model, Map<String, Tensor> best,
            Map<String, Tensor> afterStep) {
    }

    static Restored restore(Path runDir) {
        Trainer.initRuntime(CONFIG);
        SpikingNetwork net = new SpikingNetwork(CONFIG.model(), 10, 3);
        Adam adam = new Adam(net.parameters(), new AdamOptions(0.01));
        Map<String, Tensor> best = new LinkedHashMap<>();
        TrainingState.Progress progress = TrainingState.load(runDir, net, best, adam);
        Map<String, Tensor> model = copies(net);
        // One step with fixed gradients (all ones): equal results need equal Adam moments and step counts.
        adam.zero_grad();
        Tensor sum = null;
        for (Tensor p : Parameters.named(net).values()) {
            sum = sum == null ? p.sum() : sum.add(p.sum());
        }
        sum.backward();
        adam.step();
        return new Restored(progress, model, best, copies(net));
    }

    static Map<String, Tensor> copies(SpikingNetwork net) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Parameters.named(net).forEach((k, v) -> out.put(k, v.detach().clone()));
        return out;
    }

    static void assertBitIdentical(Map<String, Tensor> expected, Map<String, Tensor> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what + "names");
        expected.forEach((name, t) -> {
            Tensor other = actual.get(name);
            assertEquals(t.scalar_type().intern(), other.scalar_type().intern(), what + name + " dtype");
            assertArrayEquals(Tensors.shape(t), Tensors.shape(other), what + name + " shape");
            assertArrayEquals(bits(t), bits(other), what + name + " values");
        });
    }

    static int[] bits(Tensor t) {
        float[] values = Tensors.toArray(t);
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }

    /** Flips one bit of the first tensor stored in a LibTorch archive (its entry {@code <archive>/data/0}). */
    static void damageFirstTensor(Path stateFile) throws IOException {
        byte[] bytes = Files.readAllBytes(stateFile);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        String firstName = new String(bytes, 30, Short.toUnsignedInt(b.getShort(26)), StandardCharsets.UTF_8);
        assertTrue(firstName.endsWith("/data/0"), firstName);
        bytes[Mutations.dataOffset(bytes, firstName)] ^= 0x01;
        Files.write(stateFile, bytes);
    }

    static Path copyRun(String name) {
        Path copy = dir.resolve(name);
        try (Stream<Path> files = Files.walk(run)) {
            for (Path f : files.toList()) {
                Path target = copy.resolve(run.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        } catch (IOException e) {
            fail("cannot copy the run: " + e);
        }
        return copy;
    }

    static Map<String, byte[]> contents(Path folder) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.put(folder.relativize(f).toString(), Files.readAllBytes(f));
            }
        }
        return out;
    }
}
