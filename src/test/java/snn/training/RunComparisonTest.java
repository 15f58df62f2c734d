package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.SyntheticSpikes;
import snn.core.TrainingException;

class RunComparisonTest {

    static ExperimentConfig config(String model) {
        return ConfigLoader.parse("""
                {"name": "c", "seed": 2, "data": {"synthetic": {"classes": 3, "channels": 20, "t_len": 30,
                 "train_samples": 96, "test_samples": 48, "noise_rate": 0.1}},
                 "model": %s, "training": {"epochs": 3, "batch_size": 32}}""".formatted(model), List.of(), "test");
    }

    @Test
    void comparesRunsAgainstTheBaselineAndEvaluatesTheSelectedModel(@TempDir Path dir) {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        ExperimentConfig standard = config("{\"kind\": \"standard\", \"hidden\": [16]}");
        ExperimentConfig block = config("{\"kind\": \"block\", \"hidden\": [16]}");
        TrainingResult a = new Trainer(standard, SyntheticSpikes.splits(standard.data().synthetic(), 2), quiet)
                .fit(dir.resolve("standard"));
        TrainingResult b = new Trainer(block, SyntheticSpikes.splits(block.data().synthetic(), 2), quiet)
                .fit(dir.resolve("block"));
        List<RunComparison.Row> rows = RunComparison.compare(List.of(dir.resolve("standard"), dir.resolve("block")), 0);
        assertEquals(1.0, rows.get(0).batchSpeedup(), 1e-12);
        assertTrue(a.test().totalSpikesPerSample() > 0, "the baseline must spike for a reduction to exist");
        assertEquals(0.0, rows.get(0).spikeReduction(), 1e-12);
        RunComparison.Row r = rows.get(1);
        assertEquals(b.test().accuracy(), r.testAccuracy(), 1e-12);
        assertEquals(rows.get(0).batchMs() / r.batchMs(), r.batchSpeedup(), 1e-12);
        assertEquals(1 - b.test().totalSpikesPerSample() / a.test().totalSpikesPerSample(), r.spikeReduction(), 1e-9);
        String table = RunComparison.table(rows, 0);
        assertTrue(table.contains("block"));
        assertTrue(table.contains("baseline: standard (speed-ups and the spike reduction are relative to it)"), table);
        for (String column : List.of("test acc", "ms/batch", "s/epoch", "spikes/sample", "speedup/batch",
                "speedup/epoch", "spikes -%")) {
            assertTrue(table.lines().findFirst().orElseThrow().contains(column), column + " is a column");
            assertTrue(table.contains("\n  " + column + " "), column + " is explained: " + table);
        }

        // Evaluating the run folder again gives the selected model's recorded result.
        Evaluation again = RunEvaluation.evaluate(dir.resolve("block"), block,
                SyntheticSpikes.splits(block.data().synthetic(), 2).test());
        assertEquals(b.test().accuracy(), again.accuracy(), 0.0);
        assertEquals(b.test().loss(), again.loss(), 1e-6);
        Evaluation fromCheckpoint = RunEvaluation.evaluateCheckpoint(dir.resolve("block").resolve(RunFolder.MODEL),
                block, SyntheticSpikes.splits(block.data().synthetic(), 2).test());
        assertEquals(b.test().accuracy(), fromCheckpoint.accuracy(), 0.0);
    }

    @Test
    void anUnfinishedRunIsNamed(@TempDir Path dir) {
        TrainingException e = assertThrows(TrainingException.class,
                () -> RunComparison.compare(List.of(dir.resolve("x"), dir.resolve("y")), 0));
        assertTrue(e.getMessage().contains(dir.resolve("x").toString()), e.getMessage());
    }
}
