package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.SyntheticSpikes;
import snn.nativekernels.NativeKernels;
import snn.nativekernels.NativeRequirement;
import snn.runtime.Device;

/** Two trainings in one JVM (the library used from other code) do not interfere: each ends as it does alone. */
class ConcurrentTrainingTest {

    static ExperimentConfig config(String name, long seed, String model) {
        return ConfigLoader.parse("""
                {"name": "%s", "seed": %d, "data": {"synthetic": {"classes": 3, "channels": 24, "t_len": 30,
                 "train_samples": 128, "test_samples": 48}},
                 "model": %s, "training": {"epochs": 3, "batch_size": 32, "milestones": [2]}}"""
                .formatted(name, seed, model), List.of(), "test");
    }

    static TrainingResult train(ExperimentConfig c, Path dir) {
        return new Trainer(c, SyntheticSpikes.splits(c.data().synthetic(), c.seed()),
                new PrintStream(new ByteArrayOutputStream())).fit(dir);
    }

    /**
     * Both trainings run on the native kernels (the default where the library loads, which the build ensures wherever
     * gcc exists): neither the kernels nor their state are shared between threads (docs/native-kernels.md, "Threads").
     */
    @Test
    void parallelTrainingsMatchTheirSequentialRuns(@TempDir Path dir) throws Exception {
        ExperimentConfig a = config("a", 1, "{\"kind\": \"dblock\", \"d\": 3, \"hidden\": [24], \"recurrent\": true}");
        ExperimentConfig b = config("b", 2, "{\"kind\": \"block\", \"hidden\": [32]}");
        NativeRequirement.library();
        assertTrue(NativeKernels.choose(a.model().kernels(), Device.CPU).isNative(), "on the native kernels");
        TrainingResult aliceAlone = train(a, dir.resolve("a-alone"));
        TrainingResult bobAlone = train(b, dir.resolve("b-alone"));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<TrainingResult> alice = pool.submit(() -> train(a, dir.resolve("a-parallel")));
            Future<TrainingResult> bob = pool.submit(() -> train(b, dir.resolve("b-parallel")));
            assertSame(aliceAlone, alice.get());
            assertSame(bobAlone, bob.get());
        } finally {
            pool.shutdownNow();
        }
    }

    static void assertSame(TrainingResult expected, TrainingResult actual) {
        for (int i = 0; i < expected.history().size(); i++) {
            assertEquals(expected.history().get(i).trainLoss(), actual.history().get(i).trainLoss(), 0.0,
                    "training loss of epoch " + (i + 1));
        }
        assertEquals(expected.test().accuracy(), actual.test().accuracy(), 0.0);
        assertEquals(expected.test().loss(), actual.test().loss(), 1e-6);
    }
}
