package snn.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;

/** The real Fashion-MNIST files of {@code -Dsnn.fashion.dir} (the pom passes ../shared/datasets/fashion-mnist). */
class RealFashionMnistTest {

    private static Path folder() {
        Path dir = Path.of(System.getProperty("snn.fashion.dir", "../shared/datasets/fashion-mnist"));
        assumeTrue(Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz")), "no Fashion-MNIST at " + dir);
        return dir;
    }

    @Test
    void loadsSixtyThousandTrainingAndTenThousandTestImagesAndEncodesThemExactly() throws IOException {
        Path dir = folder();
        DatasetSplits splits = Datasets.open(Fixtures.config("fashion-mnist", dir), 42);
        assertEquals(60_000, splits.train().size());
        assertEquals(10_000, splits.test().size());
        assertEquals(784, splits.train().channels());
        assertEquals(100, splits.train().timeSteps());
        int[] counts = ((InspectableDataset) splits.test()).statistics().classCounts();
        for (int c = 0; c < 10; c++) {
            assertEquals(1000, counts[c], "test images of class " + c);
        }

        // Decode test image 123 and its label independently of the loader and compare the encoded spikes.
        int index = 123;
        byte[] header = new byte[16];
        byte[] pixels = new byte[784];
        try (InputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve("t10k-images-idx3-ubyte.gz")))) {
            assertEquals(16, in.readNBytes(header, 0, 16));
            in.skipNBytes(784L * index);
            assertEquals(784, in.readNBytes(pixels, 0, 784));
        }
        int label;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve("t10k-labels-idx1-ubyte.gz")))) {
            in.skipNBytes(8 + index);
            label = in.read();
        }
        assertEquals(label, splits.test().label(index));
        float[] dense = Fixtures.dense(splits.test(), index);
        float total = 0;
        for (int p = 0; p < 784; p++) {
            int step = (int) ((1f - (pixels[p] & 0xFF) / 255f) * 99);
            assertEquals(1f, dense[p * 100 + step], "pixel " + p);
            total += IdxDatasetsTest.sum(dense, p * 100, p * 100 + 100);
        }
        assertEquals(784f, total, "exactly one spike per pixel");
    }
}
