package snn.plots;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.math.BigDecimal;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;

/**
 * A base-10 logarithmic axis whose ticks sit at round numbers with labels that are all different: powers of ten over
 * wide ranges, then 1-2-5 per decade, then every integer mantissa, and over a range narrower than that (e.g. 6 to 9
 * ms) evenly spaced round values, about six of them. JFreeChart's own {@link LogAxis} places ticks at fractional powers of ten, which a
 * number format then rounds to repeated labels ({@code 6 6 6 7 7 8 8 8}).
 */
final class ReadableLogAxis extends LogAxis {

    private static final long serialVersionUID = 1L;

    /** The fewest ticks a mantissa series must place in the range before a finer one is tried. */
    private static final int MIN_TICKS = 4;

    private static final int[][] MANTISSAS = {{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};

    /**
     * An axis.
     *
     * @param label the axis label
     */
    ReadableLogAxis(String label) {
        super(label);
    }

    @Override
    public List<NumberTick> refreshTicks(Graphics2D g2, AxisState state, Rectangle2D dataArea, RectangleEdge edge) {
        List<Double> values = tickValues(getLowerBound(), getUpperBound());
        List<String> labels = labels(values);
        boolean horizontal = RectangleEdge.isTopOrBottom(edge);
        TextAnchor anchor = horizontal ? (edge == RectangleEdge.TOP ? TextAnchor.BOTTOM_CENTER : TextAnchor.TOP_CENTER)
                : (edge == RectangleEdge.LEFT ? TextAnchor.CENTER_RIGHT : TextAnchor.CENTER_LEFT);
        List<NumberTick> ticks = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            ticks.add(new NumberTick(values.get(i), labels.get(i), anchor, TextAnchor.CENTER, 0.0));
        }
        return ticks;
    }

    /**
     * The tick values for a range: the coarsest series of round numbers with at least {@value #MIN_TICKS} ticks in
     * it, else evenly spaced ticks with a step of 1, 2 or 5 times a power of ten.
     *
     * @param lower the range's lower end, &gt; 0
     * @param upper its upper end
     * @return the values, ascending; empty for an empty or non-positive range
     */
    static List<Double> tickValues(double lower, double upper) {
        if (!(lower > 0 && upper > lower) || Double.isInfinite(upper)) {
            return List.of();
        }
        int from = (int) Math.floor(Math.log10(lower));
        int to = (int) Math.ceil(Math.log10(upper));
        for (int[] mantissas : MANTISSAS) {
            List<Double> values = new ArrayList<>();
            for (int k = from; k <= to; k++) {
                for (int m : mantissas) {
                    double v = BigDecimal.valueOf(m).scaleByPowerOfTen(k).doubleValue();
                    if (v >= lower && v <= upper) {
                        values.add(v);
                    }
                }
            }
            if (values.size() >= MIN_TICKS) {
                return values;
            }
        }
        BigDecimal step = niceStep((upper - lower) / 6);
        List<Double> values = new ArrayList<>();
        BigDecimal v = BigDecimal.valueOf(Math.ceil(lower / step.doubleValue())).multiply(step);
        while (v.doubleValue() <= upper) {
            values.add(v.doubleValue());
            v = v.add(step);
        }
        return values;
    }

    /**
     * Labels for tick values, with as many decimals as the finest of them needs and no more, so that different
     * values never get the same label.
     *
     * @param values the values of {@link #tickValues}
     * @return one label per value
     */
    static List<String> labels(List<Double> values) {
        int decimals = 0;
        for (double v : values) {
            decimals = Math.max(decimals, Math.max(0, BigDecimal.valueOf(v).stripTrailingZeros().scale()));
        }
        DecimalFormat format = new DecimalFormat(decimals == 0 ? "0" : "0." + "#".repeat(decimals),
                DecimalFormatSymbols.getInstance(Locale.ROOT));
        return values.stream().map(format::format).toList();
    }

    /** The largest of 1, 2 or 5 times a power of ten that is at most {@code rough}. */
    private static BigDecimal niceStep(double rough) {
        int exponent = (int) Math.floor(Math.log10(rough));
        double mantissa = rough / Math.pow(10, exponent);
        int m = mantissa >= 5 ? 5 : mantissa >= 2 ? 2 : 1;
        return BigDecimal.valueOf(m).scaleByPowerOfTen(exponent);
    }
}
