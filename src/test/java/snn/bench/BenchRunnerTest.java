package snn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import snn.cli.Main;
import snn.config.ConfigLoader;
import snn.plots.BenchFigures;

/** A tiny grid run end to end: files, columns, speed-up arithmetic and figures. */
class BenchRunnerTest {

    static final String TINY = """
            {"name": "tiny", "repeats": 2, "warmup": 1, "runtime": {"torch_threads": 1},
             "sweeps": [
               {"batch": [2], "n_in": 8, "hidden": [4, 6], "t_len": [4, 8], "d": [2]},
               {"methods": ["standard", "block"], "batch": [2, 4], "n_in": 8, "hidden": [4], "t_len": [8]}
             ]}
            """;

    @TempDir
    static Path dir;
    static BenchRunner.Result result;
    static List<Path> figureFiles;
    static String progress;

    @BeforeAll
    static void runTinyGrid() throws IOException {
        BenchConfig config = BenchConfigLoader.parse(TINY, List.of(), "tiny.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        result = new BenchRunner(config, "tiny.json", List.of(), dir, new PrintStream(out, true,
                StandardCharsets.UTF_8)).run();
        progress = out.toString(StandardCharsets.UTF_8);
        figureFiles = BenchFigures.write(result.rows(), dir.resolve("figures")); // what snn bench then draws
    }

    private static List<Map<String, String>> csv() throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve("results.csv"));
        String[] header = lines.get(0).split(",", -1);
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            assertEquals(header.length, cells.length, line);
            Map<String, String> row = new HashMap<>();
            for (int i = 0; i < header.length; i++) {
                row.put(header[i], cells[i]);
            }
            rows.add(row);
        }
        return rows;
    }

    @Test
    void csvHasOneRowPerPointAndMethodWithTheRequiredColumns() throws IOException {
        List<String> header = List.of(Files.readAllLines(dir.resolve("results.csv")).get(0).split(","));
        assertTrue(header.containsAll(List.of("method", "batch", "n_in", "hidden", "t_len", "d", "recurrent",
                "forward_ms", "backward_ms", "step_ms", "speedup_forward", "speedup_backward", "speedup_step")), header
                .toString());
        // 4 points x (standard, block, dblock d=2), plus batch 4 (standard, block); (b=2, h=4, T=8) is shared.
        // Each point also measures the run's baseline, the standard SNN with LibTorch ops (the sweeps' kernels are
        // "auto": native here).
        List<Map<String, String>> rows = csv();
        assertEquals(4 * 4 + 3, rows.size());
        assertEquals(rows.size(), result.rows().size());
        assertEquals(10, rows.stream().filter(r -> r.get("method").equals("standard")).count());
        assertEquals(5, rows.stream().filter(r -> r.get("method").equals("standard") && r.get("kernels")
                .equals("torch")).count());
        assertEquals(3, rows.stream().filter(r -> r.get("batch").equals("4")).count());
        assertTrue(rows.stream().filter(r -> r.get("method").equals("dblock")).allMatch(r -> r.get("d").equals("2")));
        assertTrue(rows.stream().filter(r -> !r.get("method").equals("dblock")).allMatch(r -> r.get("d").isEmpty()));
    }

    /** The standard row of each point and kernels, keyed {@code point/kernels}. */
    private static Map<String, JsonNode> references(JsonNode rows) {
        Map<String, JsonNode> reference = new HashMap<>();
        for (JsonNode row : rows) {
            if (row.get("method").asText().equals("standard")) {
                assertNull(reference.put(row.get("point").asInt() + "/" + row.get("kernels").asText(), row),
                        "one standard row per point and kernels");
            }
        }
        return reference;
    }

    @Test
    void speedupsAreTheReferenceTimeOverTheMethodTime() throws IOException {
        JsonNode json = ConfigLoader.mapper().readTree(dir.resolve("results.json").toFile());
        Map<String, JsonNode> reference = references(json.get("rows"));
        assertEquals(10, reference.size());
        for (JsonNode row : json.get("rows")) {
            JsonNode ref = reference.get(row.get("point").asInt() + "/" + row.get("kernels").asText());
            for (String phase : List.of("forward", "backward", "step")) {
                double expected = ref.get(phase + "_ms").asDouble() / row.get(phase + "_ms").asDouble();
                assertEquals(expected, row.get("speedup_" + phase).asDouble(), 1e-9 * expected, row.toString());
            }
            // the run's baseline: the same point's standard SNN with LibTorch ops
            JsonNode baseline = reference.get(row.get("point").asInt() + "/torch");
            double expected = baseline.get("step_ms").asDouble() / row.get("step_ms").asDouble();
            assertEquals(expected, row.get("speedup_vs_baseline").asDouble(), 1e-9 * expected, row.toString());
            assertEquals("standard torch", row.get("run_baseline").asText());
            assertTrue(row.get("step_ms").asDouble() >= row.get("forward_ms").asDouble(), row.toString());
            assertTrue(row.get("spikes_per_sample").asDouble() >= 0);
            assertEquals("poisson", row.get("input").asText());
            // the floor: the bytes the dynamics must move (7 arrays for the single-spike reference, 6 otherwise;
            // where the kernels project the input, 2 fewer, the current and its gradient, and the input read once) at
            // the bandwidth of the copy pass timed in the same rounds
            boolean fused = row.get("projection_fused").asBoolean();
            int arrays = (row.get("method").asText().equals("standard") ? 7 : 6) - (fused ? 2 : 0);
            double bytes = 4.0 * row.get("batch").asInt() * row.get("t_len").asInt() * (row.get("layers").asInt()
                    * arrays * row.get("hidden").asInt() + (fused ? row.get("n_in").asInt() : 0));
            double floor = bytes / (row.get("copy_gb_per_s").asDouble() * 1e9) * 1e3;
            assertEquals(floor, row.get("dynamics_floor_ms").asDouble(), 1e-9 * floor, row.toString());
            assertEquals(row.get("dynamics_ms").asDouble() / floor, row.get("dynamics_over_floor").asDouble(),
                    1e-6 * row.get("dynamics_over_floor").asDouble(), row.toString());
            assertTrue(row.get("dynamics_ms").asDouble() > 0 && row.get("dynamics_ms").asDouble()
                    < row.get("step_ms").asDouble(), row.toString());
        }
        for (Map<String, String> row : csv()) {
            double ratio = Double.parseDouble(reference.get(row.get("point") + "/" + row.get("kernels"))
                    .get("step_ms").asText()) / Double.parseDouble(row.get("step_ms"));
            assertEquals(ratio, Double.parseDouble(row.get("speedup_step")), 0.01 * ratio + 1e-3, row.toString());
        }
    }

    @Test
    void parametersStayPutSoTheBlockModelSpikesLikeTheSingleSpikeReference() throws IOException {
        // The block layer's forward spikes equal the standard single-spike neuron's for the same weights
        // (docs/specification.md 3.3); both networks are initialised from the same seed and the timed Adam steps use
        // lr 0.
        List<Map<String, String>> rows = csv();
        int compared = 0;
        for (Map<String, String> block : rows.stream().filter(r -> r.get("method").equals("block")).toList()) {
            Map<String, String> reference = rows.stream().filter(r -> r.get("point").equals(block.get("point"))
                    && r.get("method").equals("standard") && r.get("kernels").equals(block.get("kernels")))
                    .findFirst().orElseThrow();
            assertEquals(reference.get("spikes_per_sample"), block.get("spikes_per_sample"), block.toString());
            compared++;
        }
        assertEquals(5, compared);
        // and LibTorch's standard network spikes as the native one does
        for (Map<String, String> torchRow : rows.stream().filter(r -> r.get("kernels").equals("torch")).toList()) {
            Map<String, String> nativeRow = rows.stream().filter(r -> r.get("point").equals(torchRow.get("point"))
                    && r.get("method").equals("standard") && !r.get("kernels").equals("torch")).findFirst()
                    .orElseThrow();
            assertEquals(nativeRow.get("spikes_per_sample"), torchRow.get("spikes_per_sample"), torchRow.toString());
        }
        assertTrue(rows.stream().anyMatch(r -> Double.parseDouble(r.get("spikes_per_sample")) > 0), "no spikes at all");
    }

    @Test
    void manifestDescribesTheMachineAndTheRun() throws IOException {
        JsonNode m = ConfigLoader.mapper().readTree(dir.resolve("manifest.json").toFile());
        assertEquals("finished", m.get("status").asText());
        JsonNode machine = m.get("machine"); // the description every manifest shares (MachineInfo)
        assertEquals(1, machine.get("torch_threads").asInt());
        assertEquals(Runtime.getRuntime().availableProcessors(), machine.get("cores").asInt());
        for (String key : List.of("cpu", "blas", "jvm", "git_commit", "snn_version", "torch_parallel_info")) {
            assertFalse(machine.path(key).asText().isBlank(), key);
        }
        for (String key : List.of("libtorch", "load_average_start", "load_average_end", "memory", "timing")) {
            assertFalse(m.path(key).asText().isBlank(), key);
        }
        assertEquals("2.10.0-1.5.13", machine.get("libraries").get("org.bytedeco:pytorch").asText());
        assertEquals("1.5.6", m.get("libraries_figures").get("org.jfree:jfreechart").asText());
        assertEquals(2, m.get("config").get("sweeps").size());
    }

    @Test
    void figuresAreWrittenAsPngAndSvg() throws IOException {
        Path figures = dir.resolve("figures");
        for (String name : List.of("heatmap-speedup-step_hidden-x-t_len_block_b2_native",
                "heatmap-speedup-forward_hidden-x-t_len_dblock_d2_b2_native", "time-vs-t_len_b2_h4_torch",
                "speedup-backward-vs-batch_h4_t8_native")) {
            assertTrue(Files.exists(figures.resolve(name + ".png")), name + " not among " + figureFiles);
            BufferedImage png = ImageIO.read(figures.resolve(name + ".png").toFile());
            assertNotNull(png, name);
            assertEquals(900, png.getWidth());
            String svg = Files.readString(figures.resolve(name + ".svg"));
            assertTrue(svg.contains("<svg") && svg.contains("</svg>"), name);
        }
        assertEquals(figureFiles.size(), countFiles(figures, ".png") + countFiles(figures, ".svg"));
        assertEquals(0, countFiles(dir, ".tmp") + countFiles(figures, ".tmp"), "temporary files left behind");
    }

    @Test
    void progressNamesEveryPoint() {
        assertTrue(progress.contains("[5/5]"), progress);
        assertTrue(progress.contains("block"), progress);
    }

    @Test
    void resultsJsonReadsBackAndReplotsWithoutMeasuring(@TempDir Path copy) throws IOException {
        assertEquals(result.rows(), ResultFiles.read(dir));
        Files.copy(dir.resolve("results.json"), copy.resolve("results.json"));
        StringWriter out = new StringWriter();
        int code = Main.run(new String[] {"bench", "--replot", copy.toString()}, new PrintWriter(out),
                new PrintWriter(new StringWriter()));
        assertEquals(0, code);
        assertEquals(figureFiles.size(), countFiles(copy.resolve("figures"), ".png")
                + countFiles(copy.resolve("figures"), ".svg"));
        StringWriter err = new StringWriter();
        assertEquals(2, Main.run(new String[] {"bench"}, new PrintWriter(new StringWriter()), new PrintWriter(err)));
        assertTrue(err.toString().contains("either --config FILE"), err.toString());
    }

    @Test
    void cliReportsABadConfigWithoutAStackTrace(@TempDir Path tmp) throws IOException {
        Path config = tmp.resolve("bad.json");
        Files.writeString(config, "{\"sweeps\": [{\"t_len\": [0]}]}");
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"bench", "--config", config.toString()}, new PrintWriter(new StringWriter()),
                new PrintWriter(err));
        assertEquals(2, code);
        assertTrue(err.toString().contains("sweeps[0].t_len[0]"), err.toString());
        assertFalse(err.toString().contains("\tat "), err.toString());
    }

    private static long countFiles(Path folder, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).count();
        }
    }
}
