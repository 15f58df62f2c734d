package snn.plots;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import snn.training.MetricsTable;
import snn.training.RunComparison;
import snn.training.RunFolder;
import snn.training.TrainingListener;
import snn.training.TrainingResult;

/**
 * Figures of training runs: a run's accuracy and loss curves, and across runs accuracy against time per batch and
 * against spikes per sample (the papers' panels f and g).
 */
public final class TrainingFigures {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 560;

    private TrainingFigures() {
    }

    /**
     * A listener that draws a run's curves into its figures folder when it finishes (the command line adds it to
     * every training). A figure that cannot be drawn is reported on {@code log}; the run itself stands.
     *
     * @param log where a failure to draw is reported
     * @return the listener
     */
    public static TrainingListener curvesWhenFinished(PrintStream log) {
        return new TrainingListener() {
            @Override
            public void finished(RunFolder run, TrainingResult result) {
                try {
                    curves(run, run.figures());
                } catch (IOException | RuntimeException e) {
                    log.println("could not draw the training curves: " + e.getMessage());
                }
            }
        };
    }

    /**
     * Draws a run's training curves: train, validation (when there is a split) and test accuracy, and the training
     * loss on a second axis, per epoch.
     *
     * @param run the run, with its {@code metrics.csv}
     * @param dir the folder for the figures, created if needed
     * @return {@code dir/curves.png} and {@code dir/curves.svg}
     * @throws IOException when a file cannot be written
     * @throws snn.core.TrainingException when {@code metrics.csv} is missing or unreadable
     */
    public static List<Path> curves(RunFolder run, Path dir) throws IOException {
        Path runDir = run.dir();
        MetricsTable m = run.metrics();
        double[] epochs = m.column("epoch");
        XYSeriesCollection accuracy = new XYSeriesCollection();
        accuracy.addSeries(series("train accuracy", epochs, m.column("train_accuracy"), 100));
        XYSeries validation = series("validation accuracy", epochs, m.column("validation_accuracy"), 100);
        if (!validation.isEmpty()) {
            accuracy.addSeries(validation);
        }
        accuracy.addSeries(series("test accuracy", epochs, m.column("test_accuracy"), 100));
        JFreeChart chart = ChartFactory.createXYLineChart("Training of " + runDir.getFileName(), "epoch",
                "accuracy (%)", accuracy, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.getDomainAxis().setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        plot.setRenderer(0, lines());
        NumberAxis lossAxis = new NumberAxis("training loss");
        plot.setRangeAxis(1, lossAxis);
        XYSeriesCollection loss = new XYSeriesCollection(series("training loss", epochs, m.column("train_loss"), 1));
        plot.setDataset(1, loss);
        plot.mapDatasetToRangeAxis(1, 1);
        XYLineAndShapeRenderer lossRenderer = lines();
        lossRenderer.setSeriesPaint(0, Color.GRAY);
        lossRenderer.setSeriesStroke(0, new BasicStroke(1.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f,
                new float[] {6f, 4f}, 0f));
        plot.setRenderer(1, lossRenderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return ChartFiles.save(chart, dir, "curves", WIDTH, HEIGHT);
    }

    /**
     * {@code accuracy_vs_time.png/svg} and {@code accuracy_vs_spikes.png/svg} in {@code dir}: each run's test accuracy
     * against its time per training batch (log scale) and against its hidden spikes per sample. Each run has a colour
     * and marker of its own and an entry in the legend; runs at the same point are drawn as nested markers of
     * growing size and named together beside it, so that none hides another.
     *
     * @param runs finished run folders, each with {@code summary.json} and {@code metrics.csv}
     * @param dir  the folder for the figures, created if needed
     * @return the four files, PNG and SVG of each figure
     * @throws IOException when a file cannot be written
     * @throws snn.core.TrainingException when a run's result files are missing or unreadable
     */
    public static List<Path> comparison(List<Path> runs, Path dir) throws IOException {
        List<RunComparison.Row> rows = RunComparison.compare(runs, 0);
        List<Path> files = new ArrayList<>();
        files.addAll(ChartFiles.save(comparisonChart(rows, true), dir, "accuracy_vs_time", WIDTH, HEIGHT));
        files.addAll(ChartFiles.save(comparisonChart(rows, false), dir, "accuracy_vs_spikes", WIDTH, HEIGHT));
        return files;
    }

    /** The marker size of a run alone at its point, in pixels; each further run at the same point draws larger. */
    private static final double MARKER = 10;

    /**
     * One of the comparison figures: test accuracy against time per batch ({@code time}, log scale) or against
     * spikes per sample.
     */
    static JFreeChart comparisonChart(List<RunComparison.Row> rows, boolean time) {
        String xLabel = time ? "time per training batch (ms, log scale)" : "hidden spikes per sample";
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        // Runs at the same point, in order: each is drawn larger than the one before, and they are named together.
        Map<List<Double>, List<String>> atPoint = new LinkedHashMap<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < rows.size(); i++) {
            RunComparison.Row r = rows.get(i);
            double x = time ? r.batchMs() : r.spikesPerSample();
            double y = 100 * r.testAccuracy();
            String name = r.run();
            for (int n = 2; !names.add(name); n++) {
                name = r.run() + " (" + n + ")"; // two folders of the same name under different parents
            }
            XYSeries point = new XYSeries(name);
            point.add(x, y);
            data.addSeries(point);
            List<String> here = atPoint.computeIfAbsent(List.of(x, y), k -> new ArrayList<>());
            renderer.setSeriesPaint(i, Palette.colour(i));
            renderer.setSeriesShape(i, Palette.marker(i, MARKER * (1 + 0.7 * here.size())));
            renderer.setSeriesShapesFilled(i, here.isEmpty());
            renderer.setSeriesStroke(i, new BasicStroke(2f));
            here.add(name);
        }
        renderer.setDrawOutlines(true);
        renderer.setUseOutlinePaint(false);
        NumberAxis accuracy = new NumberAxis("test accuracy (%)");
        accuracy.setAutoRangeIncludesZero(false);
        ValueAxis x = time ? new ReadableLogAxis(xLabel) : new NumberAxis(xLabel);
        if (x instanceof NumberAxis linear) {
            linear.setAutoRangeIncludesZero(false);
        }
        // Room on the right for the run names written to the right of their points.
        x.setUpperMargin(0.3);
        x.setLowerMargin(0.1);
        accuracy.setUpperMargin(0.1);
        accuracy.setLowerMargin(0.1);
        XYPlot plot = new XYPlot(data, x, accuracy, renderer);
        atPoint.forEach((point, runsHere) -> {
            XYTextAnnotation label = new XYTextAnnotation("     " + String.join(" = ", runsHere), point.get(0),
                    point.get(1));
            label.setTextAnchor(TextAnchor.CENTER_LEFT);
            plot.addAnnotation(label);
        });
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart("Test accuracy against " + (time ? "training time" : "spikes"),
                JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.getLegend().setPosition(RectangleEdge.BOTTOM);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static XYSeries series(String name, double[] x, double[] y, double scale) {
        XYSeries s = new XYSeries(name);
        for (int i = 0; i < x.length; i++) {
            if (!Double.isNaN(y[i])) {
                s.add(x[i], y[i] * scale);
            }
        }
        return s;
    }

    private static XYLineAndShapeRenderer lines() {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < 4; i++) {
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
        return r;
    }
}
