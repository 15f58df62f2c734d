package snn.data;

import java.util.random.RandomGenerator;

/**
 * The block paper's training-time image augmentation (docs/specification.md §7.2), applied to an image with values in
 * [0, 1] before it is encoded as spikes, in this order and with torchvision's semantics:
 * <ol>
 *   <li>{@code RandomPerspective(distortionScale, p)}: each corner moves inwards by a random whole number of pixels
 *       below {@code int(distortionScale * size / 2) + 1}; the image is resampled bilinearly through the
 *       perspective transform that maps the moved corners back to the original ones, outside pixels being 0
 *       (and, as torchvision does with a fill value, multiplied by the resampled in-image mask);</li>
 *   <li>{@code RandomHorizontalFlip(p)};</li>
 *   <li>{@code RandomCrop(size, padding)}: zero-pad by {@code padding} and cut a random window of the original
 *       size, i.e. shift by -padding..padding pixels in each direction;</li>
 *   <li>{@code AddGaussianNoise}: with probability {@code noiseProbability} add N(0, sigma^2) noise to every pixel,
 *       sigma ~ U(0, maxNoiseStd), then clamp to [0, 1].</li>
 * </ol>
 * The random numbers come from the generator passed in, so an augmentation is reproducible from its seed.
 *
 * @param distortionScale        perspective distortion (0.1 for Fashion-MNIST)
 * @param perspectiveProbability probability of the perspective step
 * @param flipProbability        probability of a horizontal flip (0: the step is skipped)
 * @param cropPadding            padding of the random crop (0: the step is skipped)
 * @param noiseProbability       probability of adding noise
 * @param maxNoiseStd            upper bound of the noise's standard deviation
 */
record ImageAugmentation(double distortionScale, double perspectiveProbability, double flipProbability,
        int cropPadding, double noiseProbability, double maxNoiseStd) {

    /** Fashion-MNIST: perspective 0.1 (p 0.3), horizontal flip (p 0.5), crop 28 with padding 1, noise (p 0.5). */
    public static final ImageAugmentation FASHION_MNIST = new ImageAugmentation(0.1, 0.3, 0.5, 1, 0.5, 0.05);

    /** MNIST: perspective 0.4 (p 0.7), crop 28 with padding 3, noise (p 0.5); no flip. */
    public static final ImageAugmentation MNIST = new ImageAugmentation(0.4, 0.7, 0.0, 3, 0.5, 0.05);

    /** Augments {@code image} ({@code rows x cols}, row-major, values in [0, 1]) in place. */
    public void apply(float[] image, int rows, int cols, RandomGenerator random) {
        if (random.nextDouble() < perspectiveProbability) {
            perspective(image, rows, cols, random);
        }
        if (flipProbability > 0 && random.nextDouble() < flipProbability) {
            flipHorizontally(image, rows, cols);
        }
        if (cropPadding > 0) {
            shift(image, rows, cols, random.nextInt(2 * cropPadding + 1) - cropPadding,
                    random.nextInt(2 * cropPadding + 1) - cropPadding);
        }
        if (random.nextDouble() < noiseProbability) {
            float sigma = (float) (random.nextDouble() * maxNoiseStd);
            for (int i = 0; i < image.length; i++) {
                float v = image[i] + (float) random.nextGaussian() * sigma;
                image[i] = Math.min(1f, Math.max(0f, v));
            }
        }
    }

    private void perspective(float[] image, int rows, int cols, RandomGenerator random) {
        int boundW = (int) (distortionScale * (cols / 2)) + 1;
        int boundH = (int) (distortionScale * (rows / 2)) + 1;
        double[][] end = {
            {random.nextInt(0, boundW), random.nextInt(0, boundH)},
            {random.nextInt(cols - boundW, cols), random.nextInt(0, boundH)},
            {random.nextInt(cols - boundW, cols), random.nextInt(rows - boundH, rows)},
            {random.nextInt(0, boundW), random.nextInt(rows - boundH, rows)}};
        double[][] start = {{0, 0}, {cols - 1, 0}, {cols - 1, rows - 1}, {0, rows - 1}};
        warp(image, rows, cols, coefficients(end, start));
    }

    /**
     * The coefficients (a..h) of the perspective map taking output points to input points:
     * {@code (x, y) -> ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))}, solved from four
     * point pairs as torchvision's {@code _get_perspective_coeffs(startpoints, endpoints)} does.
     */
    static double[] coefficients(double[][] outputPoints, double[][] inputPoints) {
        double[][] a = new double[8][9];
        for (int i = 0; i < 4; i++) {
            double x = outputPoints[i][0];
            double y = outputPoints[i][1];
            double u = inputPoints[i][0];
            double v = inputPoints[i][1];
            a[2 * i] = new double[] {x, y, 1, 0, 0, 0, -u * x, -u * y, u};
            a[2 * i + 1] = new double[] {0, 0, 0, x, y, 1, -v * x, -v * y, v};
        }
        for (int col = 0; col < 8; col++) {
            int pivot = col;
            for (int r = col + 1; r < 8; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
                    pivot = r;
                }
            }
            double[] tmp = a[col];
            a[col] = a[pivot];
            a[pivot] = tmp;
            for (int r = 0; r < 8; r++) {
                if (r != col) {
                    double f = a[r][col] / a[col][col];
                    for (int k = col; k < 9; k++) {
                        a[r][k] -= f * a[col][k];
                    }
                }
            }
        }
        double[] c = new double[8];
        for (int i = 0; i < 8; i++) {
            c[i] = a[i][8] / a[i][i];
        }
        return c;
    }

    /**
     * Resamples {@code image} through the map {@code c}, as torchvision's tensor {@code perspective}: output pixel
     * (row i, column j) reads the input at {@code map(j + 0.5, i + 0.5) - 0.5} with bilinear interpolation, zeros
     * outside, times the same interpolation of an all-ones image (the fill mask).
     */
    static void warp(float[] image, int rows, int cols, double[] c) {
        float[] source = image.clone();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double x = j + 0.5;
                double y = i + 0.5;
                double den = c[6] * x + c[7] * y + 1;
                double u = (c[0] * x + c[1] * y + c[2]) / den - 0.5;
                double v = (c[3] * x + c[4] * y + c[5]) / den - 0.5;
                int x0 = (int) Math.floor(u);
                int y0 = (int) Math.floor(v);
                double wx = u - x0;
                double wy = v - y0;
                double value = 0;
                double mask = 0;
                for (int dy = 0; dy <= 1; dy++) {
                    for (int dx = 0; dx <= 1; dx++) {
                        int r = y0 + dy;
                        int q = x0 + dx;
                        if (r < 0 || r >= rows || q < 0 || q >= cols) {
                            continue;
                        }
                        double w = (dx == 0 ? 1 - wx : wx) * (dy == 0 ? 1 - wy : wy);
                        value += w * source[r * cols + q];
                        mask += w;
                    }
                }
                image[i * cols + j] = (float) (value * mask);
            }
        }
    }

    static void flipHorizontally(float[] image, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            for (int a = r * cols, b = a + cols - 1; a < b; a++, b--) {
                float tmp = image[a];
                image[a] = image[b];
                image[b] = tmp;
            }
        }
    }

    /** Output (r, c) takes input (r + down, c + right), zero outside: a padded random crop. */
    static void shift(float[] image, int rows, int cols, int down, int right) {
        if (down == 0 && right == 0) {
            return;
        }
        float[] source = image.clone();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int sr = r + down;
                int sc = c + right;
                image[r * cols + c] = sr >= 0 && sr < rows && sc >= 0 && sc < cols ? source[sr * cols + sc] : 0f;
            }
        }
    }
}
