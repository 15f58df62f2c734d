package snn.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import snn.core.TrainingException;

/**
 * A run's {@code metrics.csv} read back: one row per epoch, columns by header name (empty cells are NaN).
 *
 * @param file   the file read
 * @param header the column names, as in {@link EpochMetrics#header(int)}
 * @param rows   one array per epoch, in header order
 */
public record MetricsTable(Path file, List<String> header, List<double[]> rows) {

    /**
     * Reads a run's metrics ({@link RunFolder#metrics()}).
     *
     * @param file a run's {@code metrics.csv}
     * @return the table
     * @throws TrainingException when the file is missing, unreadable or holds no completed epoch
     */
    static MetricsTable read(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            if (lines.size() < 2) {
                throw new TrainingException(file + " holds no completed epoch");
            }
            List<String> header = List.of(lines.get(0).split(","));
            List<double[]> rows = lines.subList(1, lines.size()).stream()
                    .map(l -> Arrays.stream(l.split(",", -1)).mapToDouble(v -> v.isEmpty() ? Double.NaN
                            : Double.parseDouble(v)).toArray())
                    .toList();
            return new MetricsTable(file, header, rows);
        } catch (IOException | NumberFormatException e) {
            throw new TrainingException("cannot read " + file + " (a run's metrics): " + e.getMessage(), e);
        }
    }

    /**
     * One column.
     *
     * @param name a column name, e.g. {@code test_accuracy}
     * @return its values, one per epoch
     * @throws TrainingException when there is no such column
     */
    public double[] column(String name) {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new TrainingException(file + " has no column '" + name + "'");
        }
        return rows.stream().mapToDouble(r -> r[i]).toArray();
    }
}
