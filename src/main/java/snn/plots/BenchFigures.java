package snn.plots;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.category.StackedBarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import snn.bench.BenchRow;

/**
 * The papers' Figure 3 panels drawn from benchmark rows with JFreeChart, each as PNG and SVG:
 * <ul>
 * <li>speed-up heatmaps (hidden units x T, d x T, d x hidden units) for forward, backward and the training step,
 * coloured by log2 of the speed-up and annotated with it;</li>
 * <li>training-step time against T on log-log axes, one line per method;</li>
 * <li>speed-up against batch size and against the number of layers;</li>
 * <li>for runs of at most {@value #MAX_POINTS_FOR_PHASES} points, the forward/backward/optimiser time of each
 * method.</li>
 * </ul>
 * A figure is drawn wherever the rows vary along its axes with everything else fixed; its file name carries the
 * method and the fixed values that vary elsewhere in the run.
 */
public final class BenchFigures {

    static final int MAX_POINTS_FOR_PHASES = 4;
    private static final int WIDTH = 900;
    private static final int HEIGHT = 620;
    private static final Font ANNOTATION_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    private static final Font SUBTITLE_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private BenchFigures() {
    }

    /** The three timed quantities a speed-up is given for. */
    enum Metric {
        FORWARD("forward", "forward", BenchRow::speedupForward),
        BACKWARD("backward", "backward", BenchRow::speedupBackward),
        STEP("step", "training step (forward + backward + optimiser)", BenchRow::speedupStep);

        final String slug;
        final String title;
        final ToDoubleFunction<BenchRow> speedup;

        Metric(String slug, String title, ToDoubleFunction<BenchRow> speedup) {
            this.slug = slug;
            this.title = title;
            this.speedup = speedup;
        }
    }

    /** The columns a figure can fix, group by or plot along. */
    enum Dim {
        METHOD("method", BenchRow::method, v -> v.toString()),
        D("d", BenchRow::d, v -> "d" + v),
        BATCH("batch size", BenchRow::batch, v -> "b" + v),
        N_IN("input units", BenchRow::nIn, v -> "in" + v),
        HIDDEN("hidden units", BenchRow::hidden, v -> "h" + v),
        LAYERS("hidden layers", BenchRow::layers, v -> "l" + v),
        T_LEN("time steps T", BenchRow::tLen, v -> "t" + v),
        BASELINE("reference", BenchRow::baseline, v -> v.toString().replace("standard ", "vs-")
                .replace("single-spike", "single").replace("multi-spike", "multi").replace("feed-forward", "ff")
                .replace("recurrent", "rec").replace(' ', '-')),
        PER_NEURON_BETA("beta per neuron", BenchRow::perNeuronBeta, v -> (Boolean) v ? "beta-per-neuron" : "beta-shared"),
        LEARN_BETA("beta learned", BenchRow::learnBeta, v -> (Boolean) v ? "beta-learned" : "beta-fixed"),
        KERNELS("kernels", BenchRow::kernels, v -> v.toString()),
        SCOPE("scope", BenchRow::scope, v -> v.toString());

        final String label;
        final Function<BenchRow, Object> value;
        final Function<Object, String> slug;

        Dim(String label, Function<BenchRow, Object> value, Function<Object, String> slug) {
            this.label = label;
            this.value = value;
            this.slug = slug;
        }
    }

    /**
     * Draws every figure the rows support.
     *
     * @param rows benchmark rows, e.g. from {@link snn.bench.ResultFiles#read(Path)}
     * @param dir  the folder for the figures, created if needed
     * @return the files written, PNG and SVG of each figure
     * @throws IOException when a file cannot be written
     */
    public static List<Path> write(List<BenchRow> rows, Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        Set<Dim> varying = varying(rows);
        List<BenchRow> others = rows.stream().filter(r -> !r.method().equals("standard")).toList();
        List<BenchRow> dblock = others.stream().filter(r -> r.method().equals("dblock")).toList();
        for (Metric metric : Metric.values()) {
            heatmaps(others, Dim.HIDDEN, Dim.T_LEN, metric, varying, dir, files);
            heatmaps(dblock, Dim.D, Dim.T_LEN, metric, varying, dir, files);
            heatmaps(dblock, Dim.D, Dim.HIDDEN, metric, varying, dir, files);
        }
        timeVsSteps(rows, varying, dir, files);
        for (Metric metric : Metric.values()) {
            speedupAlong(others, Dim.BATCH, metric, varying, dir, files);
            speedupAlong(others, Dim.LAYERS, metric, varying, dir, files);
        }
        phases(rows, dir, files);
        return files;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Grouping

    private static Set<Dim> varying(List<BenchRow> rows) {
        Set<Dim> out = EnumSet.noneOf(Dim.class);
        for (Dim d : Dim.values()) {
            if (rows.stream().map(r -> String.valueOf(d.value.apply(r))).distinct().count() > 1) {
                out.add(d);
            }
        }
        return out;
    }

    /** Rows grouped by every dimension except {@code free}, in first-seen order. */
    private static Map<List<Object>, List<BenchRow>> groups(List<BenchRow> rows, Set<Dim> free) {
        Map<List<Object>, List<BenchRow>> out = new LinkedHashMap<>();
        for (BenchRow r : rows) {
            List<Object> key = new ArrayList<>();
            for (Dim d : Dim.values()) {
                key.add(free.contains(d) ? "*" : String.valueOf(d.value.apply(r)));
            }
            out.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        return out;
    }

    private static List<Integer> distinct(List<BenchRow> rows, Dim dim) {
        return rows.stream().map(r -> (Integer) dim.value.apply(r)).collect(Collectors.toCollection(TreeSet::new))
                .stream().toList();
    }

    /** File-name part: the fixed values of {@code dims} that vary somewhere in the run. */
    private static String slug(BenchRow sample, Set<Dim> varying, Set<Dim> free) {
        List<String> parts = new ArrayList<>();
        for (Dim d : Dim.values()) {
            Object v = d.value.apply(sample);
            boolean named = d == Dim.METHOD || (d == Dim.D && v != null) || varying.contains(d);
            if (named && !free.contains(d) && v != null) {
                parts.add(d.slug.apply(v));
            }
        }
        return String.join("_", parts);
    }

    /** Human-readable fixed settings of a figure, for its subtitle. */
    private static String settings(BenchRow r, Set<Dim> free) {
        List<String> parts = new ArrayList<>();
        if (!free.contains(Dim.BATCH)) {
            parts.add("batch " + r.batch());
        }
        if (!free.contains(Dim.HIDDEN)) {
            parts.add(r.hidden() + " hidden units");
        }
        if (!free.contains(Dim.LAYERS)) {
            parts.add(r.layers() + (r.layers() == 1 ? " layer" : " layers"));
        }
        if (!free.contains(Dim.T_LEN)) {
            parts.add("T " + r.tLen());
        }
        if (!free.contains(Dim.D) && r.d() != null) {
            parts.add("d " + r.d());
        }
        parts.add(r.nIn() + " inputs");
        parts.add("beta " + (r.perNeuronBeta() ? "per neuron" : "shared") + ", " + (r.learnBeta() ? "learned"
                : "fixed"));
        if (!free.contains(Dim.KERNELS)) {
            parts.add(r.kernels() + " kernels");
        }
        if (r.input() != null && !r.input().equals("poisson")) {
            parts.add("input density " + r.input());
        }
        parts.add(r.scope().equals("hidden") ? "hidden layers only" : "whole network");
        parts.add("median of " + r.repeats());
        return String.join(" | ", parts);
    }

    private static TextTitle subtitle(BenchRow sample, Set<Dim> free) {
        return new TextTitle(sample.baseline() + " reference | " + settings(sample, free), SUBTITLE_FONT);
    }

    private static String methodTitle(BenchRow r, boolean withD) {
        String m = switch (r.method()) {
            case "block" -> "Block";
            case "dblock" -> "d-block" + (withD && r.d() != null ? " (d = " + r.d() + ")" : "");
            default -> "Standard";
        };
        return m;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Heatmaps

    private static void heatmaps(List<BenchRow> rows, Dim yDim, Dim xDim, Metric metric, Set<Dim> varying, Path dir,
            List<Path> files) throws IOException {
        Set<Dim> free = EnumSet.of(xDim, yDim);
        for (List<BenchRow> group : groups(rows, free).values()) {
            List<Integer> xs = distinct(group, xDim);
            List<Integer> ys = distinct(group, yDim);
            if (xs.size() < 2 || ys.size() < 2) {
                continue;
            }
            BenchRow first = group.get(0);
            double[][] data = new double[3][group.size()];
            double bound = 0.5;
            for (int i = 0; i < group.size(); i++) {
                BenchRow r = group.get(i);
                double log2 = Math.log(metric.speedup.applyAsDouble(r)) / Math.log(2);
                data[0][i] = xs.indexOf((Integer) xDim.value.apply(r));
                data[1][i] = ys.indexOf((Integer) yDim.value.apply(r));
                data[2][i] = log2;
                bound = Math.max(bound, Math.abs(log2));
            }
            DefaultXYZDataset dataset = new DefaultXYZDataset();
            dataset.addSeries("log2 speed-up", data);
            DivergingScale scale = new DivergingScale(bound);
            XYBlockRenderer renderer = new XYBlockRenderer();
            renderer.setPaintScale(scale);
            XYPlot plot = new XYPlot(dataset, axisOf(xDim, xs), axisOf(yDim, ys), renderer);
            plot.setBackgroundPaint(Color.LIGHT_GRAY);
            plot.setDomainGridlinesVisible(false);
            plot.setRangeGridlinesVisible(false);
            for (int i = 0; i < group.size(); i++) {
                XYTextAnnotation label = new XYTextAnnotation(String.format(Locale.ROOT, "%.2f",
                        metric.speedup.applyAsDouble(group.get(i))), data[0][i], data[1][i]);
                label.setFont(ANNOTATION_FONT);
                label.setPaint(Math.abs(data[2][i]) > 0.6 * bound ? Color.WHITE : Color.BLACK);
                plot.addAnnotation(label);
            }
            JFreeChart chart = new JFreeChart(methodTitle(first, !free.contains(Dim.D)) + " vs standard SNN: "
                    + metric.title + " speed-up", JFreeChart.DEFAULT_TITLE_FONT, plot, false);
            chart.addSubtitle(subtitle(first, free));
            NumberAxis legendAxis = new NumberAxis("log2 speed-up (cells: speed-up)");
            legendAxis.setRange(-bound, bound);
            PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
            legend.setPosition(RectangleEdge.RIGHT);
            legend.setMargin(new RectangleInsets(10, 10, 10, 10));
            legend.setStripWidth(16);
            chart.addSubtitle(legend);
            chart.setBackgroundPaint(Color.WHITE);
            String name = "heatmap-speedup-" + metric.slug + "_" + slugName(yDim) + "-x-" + slugName(xDim) + "_"
                    + slug(first, varying, free);
            save(chart, dir, name, files);
        }
    }

    private static String slugName(Dim d) {
        return d.name().toLowerCase(Locale.ROOT);
    }

    /** A categorical axis over the sorted values; T written as 2^k when it is a power of two. */
    private static SymbolAxis axisOf(Dim dim, List<Integer> values) {
        boolean log2 = dim == Dim.T_LEN && values.stream().allMatch(v -> Integer.bitCount(v) == 1);
        String[] labels = values.stream().map(v -> log2 ? "2^" + Integer.numberOfTrailingZeros(v) : v.toString())
                .toArray(String[]::new);
        SymbolAxis axis = new SymbolAxis(dim.label + (log2 ? " (log2 scale)" : ""), labels);
        axis.setGridBandsVisible(false);
        axis.setRange(-0.5, values.size() - 0.5);
        return axis;
    }

    /**
     * Blue below a speed-up of 1, white at 1, red above, symmetric in log2.
     *
     * @param bound the largest |log2 speed-up| shown, mapped to full blue or red
     */
    record DivergingScale(double bound) implements PaintScale, Serializable {
        private static final Color LOW = new Color(59, 76, 192);
        private static final Color HIGH = new Color(180, 4, 38);

        @Override
        public double getLowerBound() {
            return -bound;
        }

        @Override
        public double getUpperBound() {
            return bound;
        }

        @Override
        public Paint getPaint(double value) {
            double t = Math.max(-1, Math.min(1, value / bound));
            Color end = t < 0 ? LOW : HIGH;
            double a = Math.abs(t);
            return new Color(mix(255, end.getRed(), a), mix(255, end.getGreen(), a), mix(255, end.getBlue(), a));
        }

        private static int mix(int from, int to, double a) {
            return (int) Math.round(from + (to - from) * a);
        }
    }

    // ----------------------------------------------------------------------------------------------------------
    // Line charts

    private static void timeVsSteps(List<BenchRow> rows, Set<Dim> varying, Path dir, List<Path> files)
            throws IOException {
        Set<Dim> free = EnumSet.of(Dim.T_LEN, Dim.METHOD, Dim.D);
        for (List<BenchRow> group : groups(rows, free).values()) {
            if (distinct(group, Dim.T_LEN).size() < 2) {
                continue;
            }
            XYSeriesCollection data = seriesByVariant(group, r -> (double) r.tLen(), BenchRow::stepMs);
            LogAxis x = log2Axis(Dim.T_LEN.label);
            LogAxis y = new LogAxis("median training step time (ms, log scale)");
            y.setBase(2);
            y.setTickUnit(new NumberTickUnit(1));
            y.setSmallestValue(1e-3);
            y.setNumberFormatOverride(new java.text.DecimalFormat("0.###"));
            BenchRow first = group.get(0);
            JFreeChart chart = lineChart("Training step time vs time steps", first, free, data, x, y);
            save(chart, dir, "time-vs-t_len_" + slug(first, varying, free), files);
        }
    }

    private static void speedupAlong(List<BenchRow> rows, Dim along, Metric metric, Set<Dim> varying, Path dir,
            List<Path> files) throws IOException {
        Set<Dim> free = EnumSet.of(along, Dim.METHOD, Dim.D);
        for (List<BenchRow> group : groups(rows, free).values()) {
            if (distinct(group, along).size() < 2) {
                continue;
            }
            XYSeriesCollection data = seriesByVariant(group,
                    r -> ((Integer) along.value.apply(r)).doubleValue(), metric.speedup);
            ValueAxis x;
            if (along == Dim.BATCH) {
                x = log2Axis(along.label);
            } else {
                NumberAxis axis = new NumberAxis(along.label);
                axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
                x = axis;
            }
            NumberAxis y = new NumberAxis(metric.slug + " speed-up (standard time / method time)");
            y.setAutoRangeIncludesZero(true);
            BenchRow first = group.get(0);
            JFreeChart chart = lineChart(capitalised(metric.slug) + " speed-up vs " + along.label, first, free, data,
                    x, y);
            ValueMarker parity = new ValueMarker(1.0, Color.GRAY, new BasicStroke(1f, BasicStroke.CAP_BUTT,
                    BasicStroke.JOIN_MITER, 1f, new float[] {4f, 4f}, 0f));
            chart.getXYPlot().addRangeMarker(parity);
            save(chart, dir, "speedup-" + metric.slug + "-vs-" + slugName(along) + "_" + slug(first, varying, free),
                    files);
        }
    }

    private static XYSeriesCollection seriesByVariant(List<BenchRow> group, Function<BenchRow, Double> x,
            ToDoubleFunction<BenchRow> y) {
        Map<String, XYSeries> series = new LinkedHashMap<>();
        group.stream().sorted(Comparator.comparing(BenchRow::method, Comparator.comparing(BenchFigures::methodOrder))
                .thenComparing(r -> r.d() == null ? 0 : r.d())).forEach(r -> series.computeIfAbsent(
                        r.method() + (r.d() != null ? " d=" + r.d() : ""), XYSeries::new).add(x.apply(r),
                                (Number) y.applyAsDouble(r)));
        XYSeriesCollection out = new XYSeriesCollection();
        series.values().forEach(out::addSeries);
        return out;
    }

    private static int methodOrder(String method) {
        return switch (method) {
            case "standard" -> 0;
            case "block" -> 1;
            default -> 2;
        };
    }

    private static LogAxis log2Axis(String label) {
        LogAxis axis = new LogAxis(label + " (log2 scale)");
        axis.setBase(2);
        axis.setTickUnit(new NumberTickUnit(1));
        axis.setNumberFormatOverride(new java.text.DecimalFormat("0"));
        axis.setSmallestValue(1);
        return axis;
    }

    private static JFreeChart lineChart(String title, BenchRow sample, Set<Dim> free, XYSeriesCollection data,
            ValueAxis x, ValueAxis y) {
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        boolean withStandard = data.getSeriesCount() > 0 && data.getSeriesKey(0).equals("standard");
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
            renderer.setSeriesPaint(i, Palette.colour(i + (withStandard ? 0 : 1))); // the standard one dark grey
        }
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.addSubtitle(subtitle(sample, free));
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Per-point phase breakdown

    private static void phases(List<BenchRow> rows, Path dir, List<Path> files) throws IOException {
        Map<Integer, List<BenchRow>> points = rows.stream().collect(Collectors.groupingBy(BenchRow::point,
                LinkedHashMap::new, Collectors.toList()));
        if (points.size() > MAX_POINTS_FOR_PHASES) {
            return;
        }
        for (Map.Entry<Integer, List<BenchRow>> e : points.entrySet()) {
            DefaultCategoryDataset data = new DefaultCategoryDataset();
            for (BenchRow r : e.getValue()) {
                String label = r.method() + (r.d() != null ? " d=" + r.d() : "") + " " + r.kernels()
                        + (r.speedupVsBaseline() == null ? ""
                                : String.format(Locale.ROOT, " (x%.1f)", r.speedupVsBaseline()));
                data.addValue(r.projectionMs(), "input projection", label);
                data.addValue(r.dynamicsMs(), "dynamics (+ projection where fused)", label);
                data.addValue(r.readoutMs(), "readout", label);
                data.addValue(r.lossMs(), "loss", label);
                data.addValue(r.optimizerMs(), "optimiser", label);
                data.addValue(Math.max(0, r.stepMs() - r.projectionMs() - r.dynamicsMs() - r.readoutMs()
                        - r.lossMs() - r.optimizerMs()), "other (glue)", label);
            }
            NumberAxis y = new NumberAxis("median time per training step (ms)");
            StackedBarRenderer bars = new StackedBarRenderer();
            bars.setBarPainter(new StandardBarPainter());
            bars.setShadowVisible(false);
            bars.setMaximumBarWidth(0.15);
            for (int i = 0; i < data.getRowCount(); i++) {
                bars.setSeriesPaint(i, Palette.colour(i + 1));
            }
            CategoryPlot plot = new CategoryPlot(data, new org.jfree.chart.axis.CategoryAxis(
                    "variant (step speed-up against the run's baseline, " + e.getValue().get(0).runBaseline() + ")"),
                    y, bars);
            plot.setOrientation(PlotOrientation.VERTICAL);
            plot.setBackgroundPaint(Color.WHITE);
            plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
            BenchRow first = e.getValue().get(0);
            JFreeChart chart = new JFreeChart("Training step time by part", JFreeChart.DEFAULT_TITLE_FONT, plot,
                    true);
            chart.addSubtitle(subtitle(first, EnumSet.of(Dim.D, Dim.KERNELS, Dim.METHOD)));
            chart.setBackgroundPaint(Color.WHITE);
            save(chart, dir, "parts_point" + e.getKey(), files);
        }
    }

    // ----------------------------------------------------------------------------------------------------------
    // Output

    private static void save(JFreeChart chart, Path dir, String name, List<Path> files) throws IOException {
        files.addAll(ChartFiles.save(chart, dir, name, WIDTH, HEIGHT));
    }

    private static String capitalised(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
