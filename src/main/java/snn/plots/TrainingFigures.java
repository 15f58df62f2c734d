package snn.plots;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.List;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
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
     * against its time per training batch (log scale) and against its hidden spikes per sample.
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
        files.addAll(scatter(rows, dir, "accuracy_vs_time", "time per training batch (ms, log scale)", true));
        files.addAll(scatter(rows, dir, "accuracy_vs_spikes", "hidden spikes per sample", false));
        return files;
    }

    private static List<Path> scatter(List<RunComparison.Row> rows, Path dir, String name, String xLabel, boolean time)
            throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        XYSeries points = new XYSeries("runs");
        data.addSeries(points);
        for (RunComparison.Row r : rows) {
            points.add(time ? r.batchMs() : r.spikesPerSample(), 100 * r.testAccuracy());
        }
        JFreeChart chart = ChartFactory.createScatterPlot("Test accuracy against " + (time ? "training time" : "spikes"),
                xLabel, "test accuracy (%)", data, PlotOrientation.VERTICAL, false, false, false);
        XYPlot plot = chart.getXYPlot();
        if (time) {
            LogAxis axis = new LogAxis(xLabel);
            // Tick labels in milliseconds (e.g. 191), not as powers of ten (10^2.28).
            axis.setNumberFormatOverride(new DecimalFormat("0"));
            plot.setDomainAxis(axis);
        }
        for (RunComparison.Row r : rows) {
            XYTextAnnotation label = new XYTextAnnotation("  " + r.run(), time ? r.batchMs() : r.spikesPerSample(),
                    100 * r.testAccuracy());
            label.setTextAnchor(org.jfree.chart.ui.TextAnchor.CENTER_LEFT);
            plot.addAnnotation(label);
        }
        // Room on the right for the run names written to the right of their points.
        plot.getDomainAxis().setUpperMargin(0.3);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return ChartFiles.save(chart, dir, name, WIDTH, HEIGHT);
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
