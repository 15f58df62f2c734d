package snn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The block paper's Fashion-MNIST augmentation, step by step and as a whole. */
class ImageAugmentationTest {

    private static final int SIDE = 28;

    /** An asymmetric test image: a bright bar in the upper-left part, values in [0, 1]. */
    private static float[] image() {
        float[] image = new float[SIDE * SIDE];
        for (int r = 4; r < 12; r++) {
            for (int c = 3; c < 20; c++) {
                image[r * SIDE + c] = (r * 31 + c * 17) % 100 / 100f;
            }
        }
        return image;
    }

    @Test
    void fashionMnistSettingsAreThePapers() {
        assertEquals(new ImageAugmentation(0.1, 0.3, 0.5, 1, 0.5, 0.05), ImageAugmentation.FASHION_MNIST);
        assertEquals(new ImageAugmentation(0.4, 0.7, 0.0, 3, 0.5, 0.05), ImageAugmentation.MNIST);
    }

    @Test
    void flipMirrorsEveryRow() {
        float[] image = image();
        float[] flipped = image.clone();
        new ImageAugmentation(0, 0, 1.0, 0, 0, 0).apply(flipped, SIDE, SIDE, new SplittableRandom(1));
        for (int r = 0; r < SIDE; r++) {
            for (int c = 0; c < SIDE; c++) {
                assertEquals(image[r * SIDE + c], flipped[r * SIDE + SIDE - 1 - c]);
            }
        }
    }

    @Test
    void cropWithPaddingOneShiftsByAtMostOnePixelAndReachesAllNineOffsets() {
        float[] image = image();
        Set<String> offsets = new HashSet<>();
        ImageAugmentation crop = new ImageAugmentation(0, 0, 0, 1, 0, 0);
        for (int seed = 0; seed < 200; seed++) {
            float[] cropped = image.clone();
            crop.apply(cropped, SIDE, SIDE, new SplittableRandom(seed));
            String found = null;
            for (int down = -1; down <= 1 && found == null; down++) {
                for (int right = -1; right <= 1 && found == null; right++) {
                    float[] shifted = image.clone();
                    ImageAugmentation.shift(shifted, SIDE, SIDE, down, right);
                    if (Arrays.equals(shifted, cropped)) {
                        found = down + "," + right;
                    }
                }
            }
            assertTrue(found != null, "seed " + seed + " is not a shift by at most one pixel");
            offsets.add(found);
        }
        assertEquals(9, offsets.size());
    }

    @Test
    void perspectiveCoefficientsMapTheMovedCornersBackToTheOriginalOnes() {
        double[][] moved = {{1, 0}, {26, 1}, {27, 26}, {0, 27}};
        double[][] original = {{0, 0}, {27, 0}, {27, 27}, {0, 27}};
        double[] c = ImageAugmentation.coefficients(moved, original);
        for (int i = 0; i < 4; i++) {
            double x = moved[i][0];
            double y = moved[i][1];
            double den = c[6] * x + c[7] * y + 1;
            assertEquals(original[i][0], (c[0] * x + c[1] * y + c[2]) / den, 1e-9);
            assertEquals(original[i][1], (c[3] * x + c[4] * y + c[5]) / den, 1e-9);
        }
    }

    @Test
    void identityPerspectiveLeavesTheImageUnchanged() {
        double[][] corners = {{0, 0}, {27, 0}, {27, 27}, {0, 27}};
        float[] image = image();
        float[] warped = image.clone();
        ImageAugmentation.warp(warped, SIDE, SIDE, ImageAugmentation.coefficients(corners, corners));
        for (int i = 0; i < image.length; i++) {
            assertEquals(image[i], warped[i], 1e-6);
        }
    }

    @Test
    void perspectiveHappensWithItsProbabilityAndKeepsValuesInRange() {
        ImageAugmentation perspective = new ImageAugmentation(0.1, 0.3, 0, 0, 0, 0);
        float[] image = image();
        int changed = 0;
        int trials = 4000;
        for (int seed = 0; seed < trials; seed++) {
            float[] out = image.clone();
            perspective.apply(out, SIDE, SIDE, new SplittableRandom(seed));
            for (float v : out) {
                assertTrue(v >= 0 && v <= 1);
            }
            if (!Arrays.equals(out, image)) {
                changed++;
            }
        }
        // 0.3, less the 1/256 of draws that move no corner.
        assertEquals(0.3 * 255 / 256, changed / (double) trials, 0.03);
    }

    @Test
    void noiseIsGaussianWithSigmaBelowTheMaximumAndClamped() {
        ImageAugmentation noise = new ImageAugmentation(0, 0, 0, 0, 1.0, 0.05);
        float[] grey = new float[SIDE * SIDE];
        Arrays.fill(grey, 0.5f);
        float[] black = new float[SIDE * SIDE];
        for (int seed = 0; seed < 50; seed++) {
            float[] out = grey.clone();
            noise.apply(out, SIDE, SIDE, new SplittableRandom(seed));
            double sum = 0;
            double squares = 0;
            for (float v : out) {
                sum += v - 0.5;
                squares += (v - 0.5) * (v - 0.5);
            }
            double sd = Math.sqrt(squares / out.length);
            assertTrue(sd < 0.05 * 1.15, "sigma <= 0.05, got " + sd);
            assertEquals(0, sum / out.length, 0.01);
            float[] dark = black.clone();
            noise.apply(dark, SIDE, SIDE, new SplittableRandom(seed));
            for (float v : dark) {
                assertTrue(v >= 0 && v <= 1, "clamped to [0, 1]");
            }
        }
    }

    @Test
    void theWholePipelineIsDeterministicForAGivenGenerator() {
        float[] a = image();
        float[] b = image();
        ImageAugmentation.FASHION_MNIST.apply(a, SIDE, SIDE, new SplittableRandom(42));
        ImageAugmentation.FASHION_MNIST.apply(b, SIDE, SIDE, new SplittableRandom(42));
        assertArrayEquals(a, b);
    }
}
