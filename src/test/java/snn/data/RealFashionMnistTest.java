package snn.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Real Fashion-MNIST files in the official IDX format: the subset bundled with the tests (the first 3,000 training and
 * 1,000 test images of the official files, {@code src/test/resources/fixtures/fashion-mnist}), and the full set when
 * {@code -Dsnn.fashion.dir=DIR} names a folder holding it. Every expectation is read from the files independently of
 * the loader.
 */
class RealFashionMnistTest {

    /** The bundled subset's folder. */
    static Path fixture() {
        try {
            return Path.of(RealFashionMnistTest.class.getResource("/fixtures/fashion-mnist").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @TestFactory
    Stream<DynamicTest> loadsEveryImageAndEncodesItExactly() {
        List<Path> folders = new ArrayList<>(List.of(fixture()));
        String full = System.getProperty("snn.fashion.dir", "");
        if (!full.isBlank()) {
            Path dir = Path.of(full);
            assertTrue(Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz")),
                    "-Dsnn.fashion.dir=" + dir + " holds no train-images-idx3-ubyte.gz");
            folders.add(dir);
        }
        return folders.stream().map(dir -> DynamicTest.dynamicTest(dir.toString(), () -> check(dir)));
    }

    private static void check(Path dir) throws IOException {
        int[] trainLabels = labels(dir.resolve("train-labels-idx1-ubyte.gz"));
        int[] testLabels = labels(dir.resolve("t10k-labels-idx1-ubyte.gz"));
        DatasetSplits splits = Datasets.open(Fixtures.config("fashion-mnist", dir), 42);
        assertEquals(trainLabels.length, splits.train().size());
        assertEquals(testLabels.length, splits.test().size());
        assertEquals(784, splits.train().channels());
        assertEquals(100, splits.train().timeSteps());
        int[] expected = new int[10];
        for (int l : testLabels) {
            expected[l]++;
        }
        int[] counts = ((InspectableDataset) splits.test()).statistics().classCounts();
        for (int c = 0; c < 10; c++) {
            assertEquals(expected[c], counts[c], "test images of class " + c);
        }

        // Decode a few test images independently of the loader and compare the encoded spikes.
        for (int index : new int[] {0, 123, testLabels.length - 1}) {
            byte[] pixels = new byte[784];
            try (InputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve("t10k-images-idx3-ubyte.gz")))) {
                in.skipNBytes(16 + 784L * index);
                assertEquals(784, in.readNBytes(pixels, 0, 784));
            }
            assertEquals(testLabels[index], splits.test().label(index));
            float[] dense = Fixtures.dense(splits.test(), index);
            float total = 0;
            for (int p = 0; p < 784; p++) {
                int step = (int) ((1f - (pixels[p] & 0xFF) / 255f) * 99);
                assertEquals(1f, dense[p * 100 + step], "image " + index + ", pixel " + p);
                total += IdxDatasetsTest.sum(dense, p * 100, p * 100 + 100);
            }
            assertEquals(784f, total, "exactly one spike per pixel");
        }
    }

    private static int[] labels(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(file)))) {
            assertEquals(2049, in.readInt(), file + ": magic");
            int[] out = new int[in.readInt()];
            for (int i = 0; i < out.length; i++) {
                out[i] = in.readUnsignedByte();
            }
            return out;
        }
    }
}
