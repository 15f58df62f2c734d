package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.TrainingException;
import snn.data.DatasetSplits;
import snn.data.SpikeDataset;
import snn.data.SyntheticSpikes;
import snn.nativekernels.KernelLibrary;
import snn.nativekernels.NativeKernels;
import snn.nativekernels.NativeRequirement;
import snn.runtime.Device;

/**
 * A NaN loss never trains on silently: it stops the run with a pointer to the last good state, or is skipped. On
 * both kernel paths: a NaN input makes the spikes and so the loss NaN (the native kernels report a NaN spike for a
 * non-finite membrane where LibTorch's surrogate trick gives one, docs/native-kernels.md).
 */
class NonFiniteLossTest {

    /** Sample {@code poisoned} carries a NaN from epoch {@code fromEpoch} on (detected by its seed). */
    record Poisoned(SpikeDataset inner, int poisoned) implements SpikeDataset {
        @Override public int size() { return inner.size(); }
        @Override public int channels() { return inner.channels(); }
        @Override public int timeSteps() { return inner.timeSteps(); }
        @Override public int classes() { return inner.classes(); }
        @Override public int label(int i) { return inner.label(i); }
        @Override public void writeSample(int i, MemorySegment dst) {
            inner.writeSample(i, dst);
            if (i == poisoned) {
                dst.setAtIndex(ValueLayout.JAVA_FLOAT, 0, Float.NaN);
            }
        }
    }

    /** A block network on the given kernels ("torch" or "native", which the build provides wherever gcc exists). */
    static ExperimentConfig config(String policy, String kernels) {
        ExperimentConfig c = ConfigLoader.parse("""
                {"name": "nan", "data": {"synthetic": {"classes": 3, "channels": 16, "t_len": 20,
                 "train_samples": 64, "test_samples": 16}},
                 "model": {"kind": "block", "hidden": [8], "kernels": "%s"},
                 "training": {"epochs": 2, "batch_size": 16, "on_non_finite_loss": "%s"}}""".formatted(kernels,
                policy), List.of(), "test");
        if (kernels.equals("native")) {
            NativeRequirement.library(); // the build compiles the native kernels wherever gcc exists
        }
        assertEquals(kernels.equals("native"), NativeKernels.choose(c.model().kernels(), Device.CPU).isNative(),
                "kernels " + kernels + ": " + KernelLibrary.status());
        return c;
    }

    static DatasetSplits poisoned(ExperimentConfig c) {
        DatasetSplits clean = SyntheticSpikes.splits(c.data().synthetic(), c.seed());
        return new DatasetSplits(new Poisoned(clean.train(), 5), null, clean.test());
    }

    @ParameterizedTest
    @ValueSource(strings = {"torch", "native"})
    void stopNamesEpochBatchAndWhatToDo(String kernels, @TempDir Path dir) {
        ExperimentConfig c = config("stop", kernels);
        TrainingException e = assertThrows(TrainingException.class,
                () -> new Trainer(c, poisoned(c), new PrintStream(new ByteArrayOutputStream())).fit(dir));
        assertTrue(e.getMessage().contains("epoch 1, batch") && e.getMessage().contains("NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("on_non_finite_loss"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("summary.json")), "no summary for a failed run");
    }

    @ParameterizedTest
    @ValueSource(strings = {"torch", "native"})
    void skipLeavesThePoisonedBatchOutAndCountsIt(String kernels, @TempDir Path dir) throws Exception {
        ExperimentConfig c = config("skip", kernels);
        TrainingResult r = new Trainer(c, poisoned(c), new PrintStream(new ByteArrayOutputStream())).fit(dir);
        for (EpochMetrics m : r.history()) {
            assertEquals(1, m.skippedBatches(), "one of 4 batches holds the poisoned sample");
            assertTrue(Double.isFinite(m.trainLoss()));
        }
        List<String> metrics = Files.readAllLines(dir.resolve("metrics.csv"));
        int column = List.of(metrics.get(0).split(",")).indexOf("skipped_batches");
        assertEquals("1", metrics.get(1).split(",", -1)[column], "metrics.csv's skipped_batches");
    }
}
