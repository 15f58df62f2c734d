package snn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.core.ConfigException;
import snn.core.ConfigException.ConfigError;
import snn.config.ModelConfig;

class BenchConfigLoaderTest {

    private static BenchConfig parse(String json, String... overrides) {
        return BenchConfigLoader.parse(json, List.of(overrides), "bench.json");
    }

    private static List<ConfigError> errors(String json, String... overrides) {
        return assertThrows(ConfigException.class, () -> parse(json, overrides)).errors();
    }

    private static void assertError(List<ConfigError> errors, String path, String fragment) {
        assertTrue(errors.stream().anyMatch(e -> e.path().equals(path) && e.message().contains(fragment)),
                "expected an error at " + path + " containing '" + fragment + "', got " + errors);
    }

    @Test
    void leftOutValuesTakeThePapersDefaults() {
        BenchConfig c = parse("{\"sweeps\": [{}]}");
        assertEquals(10, c.repeats());
        assertEquals(1, c.warmup());
        BenchConfig.Sweep s = c.sweeps().get(0);
        assertEquals(1000, s.nIn());
        assertEquals(List.of(ModelConfig.Kind.STANDARD, ModelConfig.Kind.BLOCK, ModelConfig.Kind.DBLOCK), s.methods());
        assertEquals(BenchConfig.Scope.HIDDEN, s.scope());
        assertTrue(s.standardSingleSpike());
        assertEquals(List.of(ModelConfig.Kernels.AUTO), s.kernels());
        assertEquals(null, s.inputRate(), "the papers' Poisson protocol");
        assertEquals(BenchConfig.Baseline.DEFAULT, c.baseline());
    }

    @Test
    void targetSpikesAreCountsByMethodName() {
        BenchConfig c = parse("{\"sweeps\": [{\"target_spikes\": {\"block\": 249, \"standard\": 207.5}}]}");
        assertEquals(java.util.Map.of(ModelConfig.Kind.BLOCK, 249.0, ModelConfig.Kind.STANDARD, 207.5),
                c.sweeps().get(0).targets());
        assertEquals(java.util.Map.of(), parse("{\"sweeps\": [{}]}").sweeps().get(0).targets());
        List<ConfigError> errors = errors("{\"sweeps\": [{\"target_spikes\": {\"lif\": 10, \"block\": 0,"
                + " \"dblock\": -3}}]}");
        assertError(errors, "sweeps[0].target_spikes.lif", "expected a method name");
        assertError(errors, "sweeps[0].target_spikes.block", "expected spikes per sample per hidden layer > 0");
        assertError(errors, "sweeps[0].target_spikes.dblock", "got -3");
    }

    @Test
    void inputRatesAreProbabilitiesAndTheBaselineIsAWholeNetworkChoice() {
        BenchConfig c = parse("{\"baseline\": {\"method\": \"dblock\", \"d\": 5, \"kernels\": \"native\"},"
                + " \"sweeps\": [{\"input_rate\": [0.015, 1]}]}");
        assertEquals(new BenchConfig.Baseline(ModelConfig.Kind.DBLOCK, 5, ModelConfig.Kernels.NATIVE), c.baseline());
        assertEquals(List.of(0.015, 1.0), c.sweeps().get(0).inputRate());
        List<ConfigError> errors = errors("{\"baseline\": {\"method\": \"dblock\"}, \"sweeps\": [{\"input_rate\":"
                + " [0.5, 0, 1.5]}, {\"input_rate\": []}]}");
        assertError(errors, "baseline.d", "needs its number of blocks");
        assertError(errors, "sweeps[0].input_rate[1]", "expected a spike probability in (0, 1], e.g. 0.015");
        assertError(errors, "sweeps[0].input_rate[2]", "got 1.5");
        assertError(errors, "sweeps[1].input_rate", "non-empty list");
        assertError(errors("{\"baseline\": {\"kernels\": \"torch\", \"d\": 3}, \"sweeps\": [{}]}"), "baseline.d",
                "for a dblock baseline only");
        assertError(errors("{\"baseline\": {\"kernels\": \"gpu\"}, \"sweeps\": [{}]}"), "baseline.kernels",
                "expected one of");
    }

    @Test
    void unknownKeyIsNamedWithItsPathAndTheKnownKeys() {
        List<ConfigError> errors = errors("{\"sweeps\": [{\"hiden\": [100]}]}");
        assertError(errors, "sweeps[0].hiden", "unknown key 'hiden'");
        assertError(errors, "sweeps[0].hiden", "t_len");
    }

    @Test
    void unknownMethodListsTheChoices() {
        assertError(errors("{\"sweeps\": [{\"methods\": [\"standard\", \"fast\"]}]}"), "sweeps[0].methods[1]",
                "expected one of \"standard\", \"block\", \"dblock\"");
    }

    @Test
    void aNumberWhereAListBelongsAsksForAList() {
        assertError(errors("{\"sweeps\": [{\"hidden\": 100}]}"), "sweeps[0].hidden", "a JSON list");
    }

    @Test
    void everyRangeProblemIsReportedAtOnceWithTheFileName() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("{\"repeats\": 0, \"sweeps\": [{"
                + "\"methods\": [\"block\"], \"t_len\": [8, 0], \"batch\": []}]}"));
        assertTrue(e.getMessage().startsWith("invalid config bench.json (4 errors)"), e.getMessage());
        assertError(e.errors(), "repeats", "expected >= 1, got 0");
        assertError(e.errors(), "sweeps[0].methods", "expected \"standard\" among the methods");
        assertError(e.errors(), "sweeps[0].t_len[1]", "got 0");
        assertError(e.errors(), "sweeps[0].batch", "non-empty list");
    }

    @Test
    void dBeyondEveryTimeLengthIsRejected() {
        assertError(errors("{\"sweeps\": [{\"t_len\": [8, 16], \"d\": [20, 40]}]}"), "sweeps[0].d",
                "every d exceeds the longest t_len (16)");
    }

    @Test
    void onlyTheCpuIsSupported() {
        assertError(errors("{\"runtime\": {\"device\": \"cuda\"}, \"sweeps\": [{}]}"), "runtime.device",
                "expected \"cpu\"");
    }

    @Test
    void atLeastOneSweepIsNeeded() {
        assertError(errors("{\"name\": \"x\"}"), "sweeps", "at least one sweep");
    }

    @Test
    void overridesReachOneSweepOrAll() {
        String json = "{\"sweeps\": [{\"batch\": [8]}, {\"batch\": [32]}]}";
        BenchConfig all = parse(json, "sweeps.*.batch=[16]", "repeats=3");
        assertEquals(List.of(16), all.sweeps().get(0).batch());
        assertEquals(List.of(16), all.sweeps().get(1).batch());
        assertEquals(3, all.repeats());
        BenchConfig one = parse(json, "sweeps.1.t_len=[16]");
        assertEquals(List.of(128), one.sweeps().get(0).tLen());
        assertEquals(List.of(16), one.sweeps().get(1).tLen());
        List<ConfigError> bad = errors(json, "sweeps.2.batch=[1]");
        assertError(bad, "sweeps", "not an index of a list of 2");
        assertEquals("--set sweeps.2.batch=[1]", bad.get(0).origin());
    }

    @Test
    void missingFileIsAConfigError(@TempDir Path dir) {
        ConfigException e = assertThrows(ConfigException.class,
                () -> BenchConfigLoader.load(dir.resolve("none.json"), List.of()));
        assertError(e.errors(), "(file)", "no such file");
    }

    @Test
    void shippedConfigsAreValid() throws Exception {
        try (var files = Files.list(Path.of("configs"))) {
            List<Path> benches = files.filter(p -> p.getFileName().toString().matches("bench_.*\\.json")).toList();
            assertTrue(benches.size() >= 2, "expected configs/bench_quick.json and bench_shd_point.json, got "
                    + benches);
            for (Path p : benches) {
                assertTrue(Grid.expand(BenchConfigLoader.load(p, List.of())).size() >= 1, p.toString());
            }
        }
    }
}
