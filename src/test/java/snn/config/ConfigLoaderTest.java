package snn.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import snn.core.ConfigException;

class ConfigLoaderTest {

    static final String VALID = """
            {"name": "t", "model": {"kind": "dblock", "d": 4, "hidden": [32]},
             "data": {"dataset": "synthetic", "synthetic": {"t_len": 40}}}""";

    @Test
    void everyShippedConfigValidates() throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("configs"))) {
            List<Path> configs = files.filter(p -> p.toString().endsWith(".json"))
                    .filter(p -> !p.getFileName().toString().startsWith("bench_")).toList();
            assertTrue(configs.size() >= 70, "configs/ holds quickstart, shd_dblock5 and the paper configs");
            for (Path p : configs) {
                ExperimentConfig c = ConfigLoader.load(p, List.of());
                assertTrue(c.name().length() > 0, p.toString());
            }
        }
    }

    @Test
    void shdRecipeHasThePapersHyperparameters() {
        ExperimentConfig c = ConfigLoader.load(Path.of("configs/shd_dblock5.json"), List.of());
        assertEquals(ModelConfig.Kind.DBLOCK, c.model().kind());
        assertEquals(5, c.model().d());
        assertEquals(List.of(128), c.model().hidden());
        assertTrue(c.model().recurrent() && c.model().detachRecurrent());
        assertEquals(500, c.data().tLen());
        assertEquals(2.0, c.data().dtMs());
        assertEquals(100, c.training().epochs());
        assertEquals(128, c.training().batchSize());
        assertEquals(1e-3, c.training().lr());
        assertEquals(List.of(30, 60, 90), c.training().milestones());
    }

    @Test
    void defaultsFillWhatTheFileLeavesOut() {
        ExperimentConfig c = ConfigLoader.parse(VALID, List.of(), "inline");
        assertEquals(42L, c.seed());
        assertEquals(10.0, c.model().hiddenTau());
        assertEquals(20.0, c.model().readoutTau());
        assertEquals(ModelConfig.Readout.SUM, c.model().readout());
        assertEquals(SurrogateConfig.Kind.FAST_SIGMOID, c.model().surrogate().kind());
        assertEquals(10.0, c.model().surrogate().scale());
        assertEquals(40, c.data().tLen());
    }

    @Test
    void overridesApplyBeforeValidation() {
        ExperimentConfig c = ConfigLoader.parse(VALID, List.of("training.epochs=3", "model.hidden=[8,8]",
                "model.readout=max", "name=other"), "inline");
        assertEquals(3, c.training().epochs());
        assertEquals(List.of(8, 8), c.model().hidden());
        assertEquals(ModelConfig.Readout.MAX, c.model().readout());
        assertEquals("other", c.name());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown top-level key      | {\"nmae\": \"x\"}                                  | nmae        | unknown key 'nmae'",
        "unknown nested key         | {\"model\": {\"kind\": \"block\", \"hiden\": [4]}}  | model.hiden | unknown key 'hiden'",
        "bad enum                   | {\"model\": {\"kind\": \"lstm\"}}                   | model.kind  | \"standard\"",
        "string for number          | {\"training\": {\"epochs\": \"many\"}}              | training.epochs | whole number",
        "fraction for integer       | {\"training\": {\"epochs\": 2.5}}                   | training.epochs | ",
        "missing kind               | {}                                                  | model.kind  | required",
        "d larger than t_len        | {\"model\": {\"kind\": \"dblock\", \"d\": 200}}      | model.d     | 1 <= d <= data.t_len (100)",
        "d missing for dblock       | {\"model\": {\"kind\": \"dblock\"}}                 | model.d     | required",
        "recurrent block model      | {\"model\": {\"kind\": \"block\", \"recurrent\": true}} | model.recurrent | no recurrent form",
        "negative lr                | {\"model\": {\"kind\": \"block\"}, \"training\": {\"lr\": -1}} | training.lr | (0, 1)",
        "unknown dataset            | {\"model\": {\"kind\": \"block\"}, \"data\": {\"dataset\": \"cifar\"}} | data.dataset | one of",
        "dataset without root       | {\"model\": {\"kind\": \"block\"}, \"data\": {\"dataset\": \"shd\"}} | data.root | required",
        "non-increasing milestones  | {\"model\": {\"kind\": \"block\"}, \"training\": {\"milestones\": [5, 3]}} | training.milestones[1] | increasing",
        "zero hidden size           | {\"model\": {\"kind\": \"block\", \"hidden\": [0]}}  | model.hidden[0] | >= 1",
        "bad device                 | {\"model\": {\"kind\": \"block\"}, \"runtime\": {\"device\": \"tpu\"}} | runtime.device | cpu",
        "not an object              | [1, 2]                                              | (root)      | JSON object",
        "one class                  | {\"model\": {\"kind\": \"block\"}, \"data\": {\"synthetic\": {\"classes\": 1}}} | data.synthetic.classes | at least 2",
        "no channels                | {\"model\": {\"kind\": \"block\"}, \"data\": {\"synthetic\": {\"channels\": 0}}} | data.synthetic.channels | at least 1",
        "negative jitter            | {\"model\": {\"kind\": \"block\"}, \"data\": {\"synthetic\": {\"jitter\": -1}}} | data.synthetic.jitter | >= 0",
        "dropout above one          | {\"model\": {\"kind\": \"block\"}, \"data\": {\"synthetic\": {\"dropout\": 2}}} | data.synthetic.dropout | probability",
        "negative noise             | {\"model\": {\"kind\": \"block\"}, \"data\": {\"synthetic\": {\"noise_rate\": -0.1}}} | data.synthetic.noise_rate | probability",
        "validation fraction one    | {\"model\": {\"kind\": \"block\"}, \"data\": {\"validation_fraction\": 1.0}} | data.validation_fraction | [0, 1)",
        "zero train limit           | {\"model\": {\"kind\": \"block\"}, \"data\": {\"train_limit\": 0}} | data.train_limit | >= 1",
        "zero bin width             | {\"model\": {\"kind\": \"block\"}, \"data\": {\"dataset\": \"shd\", \"root\": \"x\", \"dt_ms\": 0}} | data.dt_ms | > 0",
        "t_len against synthetic    | {\"model\": {\"kind\": \"block\"}, \"data\": {\"t_len\": 50}}  | data.t_len  | synthetic",
        "gamma zero                 | {\"model\": {\"kind\": \"block\"}, \"training\": {\"gamma\": 0}} | training.gamma | (0, 1]",
        "gamma above one            | {\"model\": {\"kind\": \"block\"}, \"training\": {\"gamma\": 1.5}} | training.gamma | (0, 1]",
        "zero eval batch            | {\"model\": {\"kind\": \"block\"}, \"training\": {\"eval_batch_size\": 0}} | training.eval_batch_size | >= 1",
        "zero max batches           | {\"model\": {\"kind\": \"block\"}, \"training\": {\"max_batches_per_epoch\": 0}} | training.max_batches_per_epoch | >= 1",
        "bad non-finite policy      | {\"model\": {\"kind\": \"block\"}, \"training\": {\"on_non_finite_loss\": \"ignore\"}} | training.on_non_finite_loss | \"stop\"",
        "zero readout tau           | {\"model\": {\"kind\": \"block\", \"readout_tau\": 0}} | model.readout_tau | > 0",
        "zero surrogate scale       | {\"model\": {\"kind\": \"block\", \"surrogate\": {\"scale\": 0}}} | model.surrogate.scale | > 0",
        "unknown surrogate          | {\"model\": {\"kind\": \"block\", \"surrogate\": {\"kind\": \"relu\"}}} | model.surrogate.kind | \"fast_sigmoid\"",
        "single spike on block      | {\"model\": {\"kind\": \"block\", \"single_spike\": true}} | model.single_spike | does not apply",
        "d on standard              | {\"model\": {\"kind\": \"standard\", \"d\": 3}} | model.d | does not apply",
        "zero reset on block        | {\"model\": {\"kind\": \"block\", \"reset\": \"zero\"}} | model.reset | does not apply to model.kind \"block\"",
        "zero reset on dblock       | {\"model\": {\"kind\": \"dblock\", \"d\": 5, \"reset\": \"zero\"}} | model.reset | does not apply to model.kind \"dblock\"",
        "zero reset, single spike   | {\"model\": {\"kind\": \"standard\", \"single_spike\": true, \"reset\": \"zero\"}} | model.reset | single-spike",
        "unknown reset              | {\"model\": {\"kind\": \"standard\", \"reset\": \"hard\"}} | model.reset | \"subtract\", \"zero\"",
        "zero torch threads         | {\"model\": {\"kind\": \"block\"}, \"runtime\": {\"torch_threads\": 0}} | runtime.torch_threads | >= 1",
        "name with a space          | {\"name\": \"my run\", \"model\": {\"kind\": \"block\"}} | name | letters, digits",
        "batch size as text         | {\"model\": {\"kind\": \"block\"}, \"training\": {\"batch_size\": \"big\"}} | training.batch_size | whole number",
        "hidden not a list          | {\"model\": {\"kind\": \"block\", \"hidden\": {\"a\": 1}}} | model.hidden | ",
        "recurrent as text          | {\"model\": {\"kind\": \"standard\", \"recurrent\": \"yes\"}} | model.recurrent | ",
    })
    void badConfigsNameThePathAndTheExpectation(String what, String json, String path, String expectation) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(json, List.of(), "bad.json"));
        assertTrue(e.getMessage().startsWith("invalid config bad.json"), e.getMessage());
        assertTrue(e.errors().stream().anyMatch(err -> err.path().equals(path)),
                what + ": expected an error at " + path + ", got " + e.getMessage());
        if (expectation != null) {
            assertTrue(e.getMessage().contains(expectation.trim()), what + ": " + e.getMessage());
        }
    }

    @Test
    void severalProblemsAreReportedAtOnce() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                {"model": {"kind": "dblock", "hidden_tau": -1},
                 "training": {"epochs": 0, "batch_size": 0}}""", List.of(), "many.json"));
        List<String> paths = e.errors().stream().map(ConfigException.ConfigError::path).toList();
        assertTrue(paths.containsAll(List.of("model.d", "model.hidden_tau", "training.epochs", "training.batch_size")),
                paths.toString());
    }

    @Test
    void missingAndMalformedFilesAreNamed(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("nope.json");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing, List.of()));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such file"));
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"name\": \n");
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(broken, List.of()));
        assertTrue(e.getMessage().contains(broken.toString()) && e.getMessage().contains("line"), e.getMessage());
    }

    @Test
    void unknownKeysWrongTypesAndRangeErrorsAreReportedTogether() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                {"model": {"kind": "dblock", "d": 4, "hiden": [4], "recurrent": "yes"},
                 "training": {"epochs": 0, "lr": "fast"}, "data": {"synthetic": {"t_len": 40, "chanels": 3}}}""",
                List.of(), "many.json"));
        List<String> paths = e.errors().stream().map(ConfigException.ConfigError::path).toList();
        assertEquals(List.of("model.hiden", "model.recurrent", "training.lr", "data.synthetic.chanels",
                "training.epochs"), paths, e.getMessage());
        assertTrue(e.getMessage().startsWith("invalid config many.json (5 errors)"), e.getMessage());
        assertTrue(e.errors().stream().allMatch(err -> err.origin() == null), e.getMessage());
    }

    @Test
    void errorsOfOverridesNameTheOverrideNotTheFile() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(VALID,
                List.of("model.hiden=64", "training.lr=-1"), "configs/quickstart.json"));
        assertEquals(2, e.errors().size(), e.getMessage());
        assertEquals("--set model.hiden=64", e.errors().get(0).origin());
        assertEquals("--set training.lr=-1", e.errors().get(1).origin());
        assertTrue(e.getMessage().startsWith("invalid --set overrides of configs/quickstart.json (2 errors)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("model.hiden (--set model.hiden=64): unknown key 'hiden'"), e.getMessage());
        assertTrue(e.getMessage().contains("training.lr (--set training.lr=-1): expected a learning rate in (0, 1)"),
                e.getMessage());

        // A cross-field rule broken by an override names it too; a problem of the file itself does not.
        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                {"model": {"kind": "dblock", "d": 4}, "data": {"synthetic": {"t_len": 40}}, "training": {"gamma": 2}}""",
                List.of("model.d=200"), "f.json"));
        assertTrue(e.getMessage().startsWith("invalid config f.json and --set overrides (2 errors)"), e.getMessage());
        assertEquals("--set model.d=200", e.errors().stream().filter(err -> err.path().equals("model.d")).findFirst()
                .orElseThrow().origin());
        assertEquals(null, e.errors().stream().filter(err -> err.path().equals("training.gamma")).findFirst()
                .orElseThrow().origin());
    }

    @Test
    void theRecurrentInputIsTheLayersOwnEnumUnderItsJsonNames() throws Exception {
        ExperimentConfig c = ConfigLoader.parse(VALID, List.of("model.recurrent_input=sum"), "inline");
        assertEquals(snn.neurons.DBlockLayer.RecurrentInput.SUM, c.model().recurrentInput());
        assertTrue(ConfigLoader.mapper().writeValueAsString(c).contains("\"recurrent_input\" : \"sum\""));
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(VALID, List.of("model.recurrent_input=avg"), "inline"));
        assertTrue(e.getMessage().contains("model.recurrent_input") && e.getMessage().contains("\"max\", \"sum\""),
                e.getMessage());
    }

    @Test
    void theResetDefaultsToSubtractAndRoundTripsUnderItsJsonNames() throws Exception {
        ExperimentConfig standard = ConfigLoader.parse("{\"model\": {\"kind\": \"standard\"}}", List.of(), "inline");
        assertEquals(snn.neurons.LifLayer.Reset.SUBTRACT, standard.model().reset());
        ExperimentConfig zero = ConfigLoader.parse("{\"model\": {\"kind\": \"standard\"}}",
                List.of("model.reset=zero"), "inline");
        assertEquals(snn.neurons.LifLayer.Reset.ZERO, zero.model().reset());
        String json = ConfigLoader.mapper().writeValueAsString(zero);
        assertTrue(json.contains("\"reset\" : \"zero\""), json);
        assertEquals(zero, ConfigLoader.parse(json, List.of(), "stored"));
        // A stored block config holds the default, which every kind accepts.
        ExperimentConfig block = ConfigLoader.parse(VALID, List.of(), "inline");
        String stored = ConfigLoader.mapper().writeValueAsString(block);
        assertTrue(stored.contains("\"reset\" : \"subtract\""), stored);
        assertEquals(block, ConfigLoader.parse(stored, List.of(), "stored"));
    }

    @Test
    void malformedOverrideIsAnError() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(VALID, List.of("training.epochs"), "inline"));
        assertTrue(e.getMessage().contains("key=value"));
    }

    @Test
    void theCallbacksKeysAreValidatedLikeTheOthers() {
        ExperimentConfig ok = ConfigLoader.parse(VALID, List.of("training.checkpoint_every=5",
                "training.keep_checkpoints=3", "training.early_stopping={\"patience\": 4}",
                "training.schedule={\"kind\": \"cosine\", \"min_lr\": 1e-5}", "training.tensorboard=false"),
                "inline");
        assertEquals(5, ok.training().checkpointEvery());
        assertEquals(3, ok.training().keepCheckpoints());
        assertEquals(new EarlyStoppingConfig(null, 4, 0.0), ok.training().earlyStopping());
        assertEquals(ScheduleConfig.Kind.COSINE, ok.training().schedule().kind());
        assertEquals(ScheduleConfig.MILESTONES, ConfigLoader.parse(VALID, List.of(), "inline").training().schedule(),
                "the papers' milestones by default");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(VALID, List.of(
                "training.checkpoint_every=0", "training.early_stopping={\"metric\": \"test_accuracy\","
                        + " \"patience\": 0, \"min_delta\": -1}",
                "training.schedule={\"kind\": \"warmup\"}", "training.milestones=[3]"), "inline"));
        List<String> paths = e.errors().stream().map(ConfigException.ConfigError::path).toList();
        assertEquals(List.of("training.schedule.kind", "training.checkpoint_every", "training.early_stopping.metric",
                "training.early_stopping.patience", "training.early_stopping.min_delta"), paths, e.getMessage());
        assertTrue(e.getMessage().contains("one of \"milestones\", \"step\", \"cosine\", \"plateau\""),
                e.getMessage());

        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(VALID, List.of(
                "training.schedule={\"kind\": \"step\", \"step_size\": 0}", "training.milestones=[3]",
                "training.keep_checkpoints=2", "training.early_stopping={\"metric\": \"validation_accuracy\"}"),
                "inline"));
        assertTrue(e.getMessage().contains("training.milestones (--set training.milestones=[3]): apply to"
                + " training.schedule.kind \"milestones\" only"), e.getMessage());
        assertTrue(e.getMessage().contains("training.schedule.step_size"), e.getMessage());
        assertTrue(e.getMessage().contains("training.keep_checkpoints (--set training.keep_checkpoints=2): applies to"
                + " the checkpoints of training.checkpoint_every"), e.getMessage());
        assertTrue(e.getMessage().contains("validation_accuracy needs a validation split"), e.getMessage());
    }
}
