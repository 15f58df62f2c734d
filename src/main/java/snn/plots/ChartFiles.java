package snn.plots;

import java.awt.Rectangle;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.svg.SVGGraphics2D;

import snn.io.AtomicFiles;

/** Writes a JFreeChart as {@code name.png} and {@code name.svg}, each atomically. */
final class ChartFiles {

    private ChartFiles() {
    }

    /**
     * Saves a chart as PNG and SVG. Sets {@code java.awt.headless}, so no display is needed.
     *
     * @param chart  the chart
     * @param dir    the folder, created if needed
     * @param name   the file name without extension
     * @param width  width in pixels (PNG) or user units (SVG)
     * @param height height in pixels or user units
     * @return {@code dir/name.png} and {@code dir/name.svg}
     * @throws IOException when a file cannot be written
     */
    public static List<Path> save(JFreeChart chart, Path dir, String name, int width, int height) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Path png = dir.resolve(name + ".png");
        Path svg = dir.resolve(name + ".svg");
        AtomicFiles.write(png, out -> ChartUtils.writeChartAsPNG(Channels.newOutputStream(out), chart, width, height));
        SVGGraphics2D g = new SVGGraphics2D(width, height);
        chart.draw(g, new Rectangle(width, height));
        AtomicFiles.write(svg, g.getSVGDocument().getBytes(StandardCharsets.UTF_8));
        return List.of(png, svg);
    }
}
