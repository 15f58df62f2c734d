package snn.plots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import javax.imageio.ImageIO;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.Tick;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleEdge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.DatasetSplits;
import snn.data.SyntheticSpikes;
import snn.models.Inference;
import snn.training.RunComparison;
import snn.training.RunEvaluation;
import snn.training.Trainer;

class FiguresTest {

    static void assertImage(Path png) throws Exception {
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > 400 && img.getHeight() > 300, png + " is an image");
        String svg = Files.readString(Path.of(png.toString().replace(".png", ".svg")));
        assertTrue(svg.startsWith("<?xml") || svg.startsWith("<svg"), "SVG beside " + png);
    }

    @Test
    void runsGetCurvesComparisonsAndRasters(@TempDir Path dir) throws Exception {
        ExperimentConfig c = ConfigLoader.parse("""
                {"name": "fig", "data": {"synthetic": {"classes": 3, "channels": 20, "t_len": 30,
                 "train_samples": 64, "test_samples": 32, "noise_rate": 0.05}},
                 "model": {"kind": "dblock", "d": 3, "hidden": [16], "recurrent": true},
                 "training": {"epochs": 2, "batch_size": 32}}""", List.of(), "test");
        DatasetSplits data = SyntheticSpikes.splits(c.data().synthetic(), c.seed());
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Trainer trainer = new Trainer(c, data, quiet).withListener(TrainingFigures.curvesWhenFinished(quiet));
        trainer.fit(dir.resolve("a"));
        new Trainer(c, data, quiet).fit(dir.resolve("b"));
        assertImage(dir.resolve("a/figures/curves.png"));
        assertFalse(Files.exists(dir.resolve("b/figures")), "a trainer without the listener draws nothing");

        List<Path> files = TrainingFigures.comparison(List.of(dir.resolve("a"), dir.resolve("b")), dir.resolve("cmp"));
        assertEquals(4, files.size());
        assertImage(dir.resolve("cmp/accuracy_vs_time.png"));
        assertImage(dir.resolve("cmp/accuracy_vs_spikes.png"));

        Inference.Recording r = Inference.record(RunEvaluation.selectedModel(dir.resolve("a"), c, data.test()).network(),
                data.test(), 0);
        RasterFigure.write(r, "raster", dir, "raster");
        assertImage(dir.resolve("raster.png"));
    }

    static RunComparison.Row row(String run, double accuracy, double batchMs, double spikes) {
        return new RunComparison.Row(run, accuracy, batchMs, 10 * batchMs, spikes, 1, 1, 0);
    }

    /** The tick labels the chart's x axis draws, laid out as in a PNG of the figures' size. */
    static List<String> tickLabels(JFreeChart chart) {
        BufferedImage image = new BufferedImage(900, 560, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        chart.draw(g, new Rectangle(900, 560)); // lays the axes out: their ranges include the points
        ValueAxis x = chart.getXYPlot().getDomainAxis();
        List<?> ticks = x.refreshTicks(g, new AxisState(), new Rectangle(80, 40, 760, 420), RectangleEdge.BOTTOM);
        g.dispose();
        return ticks.stream().map(t -> ((Tick) t).getText()).toList();
    }

    @Test
    void logTicksAreRoundAndNeverRepeat() {
        // The runs of the issue: 6 to 8 ms per batch, where fractional powers of ten were all labelled 6, 7 or 8.
        List<RunComparison.Row> narrow = List.of(row("a", 0.9, 6.2, 100), row("b", 0.91, 6.9, 90),
                row("c", 0.92, 7.6, 80), row("d", 0.93, 8.3, 70));
        List<String> labels = tickLabels(TrainingFigures.comparisonChart(narrow, true));
        assertTrue(labels.size() >= 4, labels.toString());
        assertEquals(labels.size(), new HashSet<>(labels).size(), "repeated tick labels " + labels);
        assertTrue(labels.containsAll(List.of("7", "8")), labels.toString());

        List<RunComparison.Row> wide = List.of(row("a", 0.9, 3, 100), row("b", 0.91, 40, 90),
                row("c", 0.92, 700, 80));
        List<String> decades = tickLabels(TrainingFigures.comparisonChart(wide, true));
        assertEquals(decades.size(), new HashSet<>(decades).size(), "repeated tick labels " + decades);
        assertTrue(decades.containsAll(List.of("10", "100")), decades.toString());

        assertEquals(List.of(0.2, 0.5, 1.0, 2.0), ReadableLogAxis.tickValues(0.15, 2.5));
        assertEquals(List.of("0.2", "0.5", "1", "2"), ReadableLogAxis.labels(List.of(0.2, 0.5, 1.0, 2.0)));
        assertEquals(List.of("6.01", "6.02", "6.03", "6.04", "6.05", "6.06", "6.07"),
                ReadableLogAxis.labels(ReadableLogAxis.tickValues(6.01, 6.07)));
    }

    @Test
    void everyRunHasItsOwnLegendEntryColourAndMarkerEvenAtTheSamePoint() {
        // b and c have equal results: both stay visible, in the legend and at their point.
        List<RunComparison.Row> rows = List.of(row("a", 0.9, 6.2, 100), row("b", 0.91, 6.9, 90),
                row("c", 0.91, 6.9, 90), row("d", 0.93, 8.3, 70));
        for (boolean time : List.of(true, false)) {
            JFreeChart chart = TrainingFigures.comparisonChart(rows, time);
            LegendItemCollection legend = chart.getXYPlot().getLegendItems();
            assertEquals(rows.size(), legend.getItemCount());
            Set<String> seen = new HashSet<>();
            Set<String> looks = new HashSet<>();
            for (int i = 0; i < legend.getItemCount(); i++) {
                LegendItem item = legend.get(i);
                seen.add(item.getLabel());
                looks.add(item.getFillPaint() + " " + item.getShape().getBounds2D());
            }
            assertEquals(Set.of("a", "b", "c", "d"), seen);
            assertEquals(rows.size(), looks.size(), "a colour and marker per run");
            XYLineAndShapeRenderer renderer = (XYLineAndShapeRenderer) chart.getXYPlot().getRenderer();
            assertTrue(renderer.getSeriesShape(2).getBounds2D().getWidth()
                    > renderer.getSeriesShape(1).getBounds2D().getWidth(), "c is drawn around b, not under it");
            List<String> labels = chart.getXYPlot().getAnnotations().stream()
                    .map(a -> ((XYTextAnnotation) a).getText().trim()).toList();
            assertTrue(labels.contains("b = c"), labels.toString());
        }
    }
}
