package snn.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import snn.config.ConfigLoader;
import snn.io.AtomicFiles;
import snn.core.BenchException;

/**
 * {@code results.csv} and {@code results.json}: the same rows, the JSON adding the run name, the column list and the
 * skipped variants.
 */
public final class ResultFiles {

    /** File name of the CSV results: a header of {@link BenchRow#columns()}, then one line per row. */
    public static final String CSV = "results.csv";
    /** File name of the JSON results: {@code name}, {@code columns}, {@code rows} and {@code skipped}. */
    public static final String JSON = "results.json";

    private ResultFiles() {
    }

    /**
     * Writes both files, replacing earlier versions atomically.
     *
     * @param dir     the run folder, created if needed
     * @param name    the run name, stored in the JSON
     * @param rows    the measured rows
     * @param skipped the variants that could not run, with the reason
     * @throws IOException when a file cannot be written
     */
    public static void write(Path dir, String name, List<BenchRow> rows, List<String> skipped) throws IOException {
        StringBuilder csv = new StringBuilder(String.join(",", BenchRow.columns())).append('\n');
        for (BenchRow row : rows) {
            csv.append(String.join(",", row.cells().stream().map(ResultFiles::csvCell).toList())).append('\n');
        }
        AtomicFiles.writeString(dir.resolve(CSV), csv.toString());
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", name);
        json.put("columns", BenchRow.columns());
        json.put("rows", rows);
        json.put("skipped", skipped);
        AtomicFiles.writeString(dir.resolve(JSON), ConfigLoader.mapper().writeValueAsString(json) + "\n");
    }

    /**
     * The rows of a run folder's {@code results.json}.
     *
     * @param dir the run folder
     * @return the rows, in file order
     *
     * @throws BenchException when the file is missing or not a results file
     */
    public static List<BenchRow> read(Path dir) {
        Path file = dir.resolve(JSON);
        try {
            JsonNode rows = ConfigLoader.mapper().readTree(file.toFile()).get("rows");
            if (rows == null || !rows.isArray()) {
                throw new BenchException(file + " has no \"rows\" list: not a snn bench results file");
            }
            return List.of(ConfigLoader.mapper().treeToValue(rows, BenchRow[].class));
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
            throw new BenchException("no " + JSON + " in " + dir + ": not a snn bench run folder");
        } catch (IOException e) {
            throw new BenchException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static String csvCell(String value) {
        return value.contains(",") || value.contains("\"") ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
    }
}
