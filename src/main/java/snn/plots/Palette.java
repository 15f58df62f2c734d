package snn.plots;

import java.awt.Color;
import java.awt.Polygon;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;

/**
 * The colours and marker shapes of every figure: a colour-blind-safe palette (Okabe and Ito's, after a dark grey
 * for a reference) and seven marker shapes. Eight colours and seven shapes taken in step, {@code i % 8} and
 * {@code i % 7}, give 56 different pairs, so up to 56 series are told apart by colour or shape.
 */
final class Palette {

    /** Dark grey (a reference: the standard model, a baseline), then blue, orange, green, vermillion, pink, sky
     * blue and yellow. */
    static final Color[] COLOURS = {new Color(0x33, 0x33, 0x33), new Color(0x00, 0x72, 0xB2),
        new Color(0xE6, 0x9F, 0x00), new Color(0x00, 0x9E, 0x73), new Color(0xD5, 0x5E, 0x00),
        new Color(0xCC, 0x79, 0xA7), new Color(0x56, 0xB4, 0xE9), new Color(0xF0, 0xE4, 0x42)};

    /** The number of marker shapes. */
    static final int SHAPES = 7;

    private Palette() {
    }

    /**
     * {@return series {@code i}'s colour}
     *
     * @param i the series, from 0
     */
    static Color colour(int i) {
        return COLOURS[i % COLOURS.length];
    }

    /**
     * Series {@code i}'s marker: a circle, square, triangle up, diamond, triangle down, bar or cross, centred on the
     * point.
     *
     * @param i    the series, from 0
     * @param size the marker's width and height, in pixels
     * @return the shape
     */
    static Shape marker(int i, double size) {
        double h = size / 2;
        int r = (int) Math.round(h);
        return switch (i % SHAPES) {
            case 0 -> new Ellipse2D.Double(-h, -h, size, size);
            case 1 -> new Rectangle2D.Double(-h, -h, size, size);
            case 2 -> new Polygon(new int[] {0, r, -r}, new int[] {-r, r, r}, 3);
            case 3 -> new Polygon(new int[] {0, r, 0, -r}, new int[] {-r, 0, r, 0}, 4);
            case 4 -> new Polygon(new int[] {-r, r, 0}, new int[] {-r, -r, r}, 3);
            case 5 -> new Rectangle2D.Double(-h, -h / 2, size, h);
            default -> {
                int t = Math.max(1, r / 3);
                yield new Polygon(new int[] {-t, t, t, r, r, t, t, -t, -t, -r, -r, -t},
                        new int[] {-r, -r, -t, -t, t, t, r, r, t, t, -t, -t}, 12);
            }
        };
    }
}
