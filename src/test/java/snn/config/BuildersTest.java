package snn.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import snn.core.ConfigException;

/** Configs built in code equal the same configs read from JSON, and are validated the same way. */
class BuildersTest {

    @Test
    void builtConfigEqualsTheJsonOne() {
        ExperimentConfig built = ExperimentConfig.builder()
                .name("api").seed(7)
                .data(DataConfig.synthetic(SyntheticConfig.builder().classes(4).channels(30).tLen(50).samples(100, 20).build()))
                .model(ModelConfig.dblock(5).hidden(64, 32).recurrent(true).readout(ModelConfig.Readout.MAX).build())
                .training(TrainingConfig.builder().epochs(3).batchSize(16).lr(2e-3).milestones(0.5, 2).build())
                .build();
        ExperimentConfig parsed = ConfigLoader.parse("""
                {"name": "api", "seed": 7,
                 "data": {"dataset": "synthetic", "synthetic": {"classes": 4, "channels": 30, "t_len": 50,
                          "train_samples": 100, "test_samples": 20}},
                 "model": {"kind": "dblock", "d": 5, "hidden": [64, 32], "recurrent": true, "readout": "max"},
                 "training": {"epochs": 3, "batch_size": 16, "lr": 0.002, "milestones": [2], "gamma": 0.5}}""",
                List.of(), "inline");
        assertEquals(parsed, built);
    }

    @Test
    void builderValidatesLikeTheLoader() {
        ConfigException e = assertThrows(ConfigException.class, () -> ExperimentConfig.builder()
                .model(ModelConfig.dblock(500).hidden(8).build()).build());
        assertTrue(e.getMessage().contains("model.d") && e.getMessage().contains("built in code"), e.getMessage());
    }
}
