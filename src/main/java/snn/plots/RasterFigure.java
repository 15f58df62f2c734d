package snn.plots;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import snn.models.Inference;

/**
 * A spike raster of one sample: input spikes, the spikes of every hidden layer, and the readout membranes, on a
 * shared time axis.
 */
public final class RasterFigure {

    private RasterFigure() {
    }

    /**
     * Draws a recorded sample: one raster panel for the input and each hidden layer (neuron against time step),
     * then the readout membrane of every class, the predicted one marked.
     *
     * @param recording the sample's pass, from {@link Inference#record}
     * @param title     the figure's title
     * @param dir       the folder, created if needed
     * @param name      the file name without extension
     * @return {@code dir/name.png} and {@code dir/name.svg}
     * @throws IOException when a file cannot be written
     */
    public static List<Path> write(Inference.Recording recording, String title, Path dir, String name)
            throws IOException {
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("time step"));
        plot.setGap(8);
        plot.add(raster(recording.input(), "input channel"), 2);
        for (Inference.LayerActivity layer : recording.layers()) {
            if (layer.spikes().length > 0) {
                plot.add(raster(layer.spikes(), layer.name() + " neuron"), 2);
            }
        }
        Inference.LayerActivity readout = recording.layers().get(recording.layers().size() - 1);
        XYSeriesCollection membranes = new XYSeriesCollection();
        for (int c = 0; c < readout.membrane().length; c++) {
            XYSeries s = new XYSeries("class " + c + (c == recording.predicted() ? " (predicted)" : ""));
            for (int t = 0; t < readout.membrane()[c].length; t++) {
                s.add(t, readout.membrane()[c][t]);
            }
            membranes.addSeries(s);
        }
        XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, false);
        lines.setSeriesStroke(recording.predicted(), new BasicStroke(2.5f));
        XYPlot membranePlot = new XYPlot(membranes, null, new NumberAxis("readout membrane"), lines);
        plot.add(membranePlot, 2);
        for (Object p : plot.getSubplots()) {
            ((XYPlot) p).setBackgroundPaint(Color.WHITE);
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        return ChartFiles.save(chart, dir, name, 900, 300 + 180 * plot.getSubplots().size());
    }

    private static XYPlot raster(float[][] spikes, String label) {
        XYSeries s = new XYSeries(label);
        for (int n = 0; n < spikes.length; n++) {
            for (int t = 0; t < spikes[n].length; t++) {
                if (spikes[n][t] > 0) {
                    s.add(t, n);
                }
            }
        }
        XYLineAndShapeRenderer dots = new XYLineAndShapeRenderer(false, true);
        dots.setSeriesShape(0, new Rectangle2D.Double(-1, -1, 2, 2));
        dots.setSeriesPaint(0, Color.BLACK);
        dots.setSeriesVisibleInLegend(0, false);
        NumberAxis axis = new NumberAxis(label);
        axis.setRange(-0.5, Math.max(1, spikes.length) - 0.5);
        return new XYPlot(new XYSeriesCollection(s), null, axis, dots);
    }
}
