package snn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.config.DataConfig;
import snn.config.DataConfig.Encoding;
import snn.core.DatasetException;
import snn.core.MissingDatasetException;

/** Fashion-MNIST / MNIST IDX files, gzipped or not, and their latency and TTFS encodings. */
class IdxDatasetsTest {

    private static final int SIDE = 28;
    private static final int PIXELS = SIDE * SIDE;

    /** Image k: a ramp, pixel p = (p * 7 + k * 13) mod 256, so every byte value occurs. */
    static byte[] image(int k) {
        byte[] image = new byte[PIXELS];
        for (int p = 0; p < PIXELS; p++) {
            image[p] = (byte) ((p * 7 + k * 13) % 256);
        }
        return image;
    }

    /** A complete dataset folder: 6 training and 3 test images, gzipped or plain. */
    static Path writeDataset(Path root, boolean gzip) throws IOException {
        String gz = gzip ? ".gz" : "";
        Fixtures.writeIdxImages(root.resolve("train-images-idx3-ubyte" + gz), SIDE, SIDE,
                image(0), image(1), image(2), image(3), image(4), image(5));
        Fixtures.writeIdxLabels(root.resolve("train-labels-idx1-ubyte" + gz), 0, 9, 4, 4, 2, 1);
        Fixtures.writeIdxImages(root.resolve("t10k-images-idx3-ubyte" + gz), SIDE, SIDE, image(6), image(7), image(8));
        Fixtures.writeIdxLabels(root.resolve("t10k-labels-idx1-ubyte" + gz), 7, 3, 5);
        return root;
    }

    @Test
    void latencyEncodingFiresEveryPixelOnceAtFloorOfOneMinusXTimesTMinusOne(@TempDir Path root) throws IOException {
        DatasetSplits splits = Datasets.open(Fixtures.config("fashion-mnist", writeDataset(root, true)), 1);
        SpikeDataset train = splits.train();
        assertEquals(6, train.size());
        assertEquals(3, splits.test().size());
        assertEquals(PIXELS, train.channels());
        assertEquals(100, train.timeSteps());
        assertEquals(10, train.classes());
        assertEquals(9, train.label(1));
        assertEquals(5, splits.test().label(2));
        for (int k = 0; k < 2; k++) {
            float[] dense = Fixtures.dense(train, k);
            byte[] image = image(k);
            for (int p = 0; p < PIXELS; p++) {
                int value = image[p] & 0xFF;
                // float32 as the reference: ToTensor gives value / 255f, then ((1 - x) / 1) * (T - 1), truncated.
                int step = (int) ((1f - value / 255f) * 99f);
                assertEquals(1f, dense[p * 100 + step], "pixel " + p + " value " + value);
                assertEquals(1f, sum(dense, p * 100, (p + 1) * 100), "pixel " + p + " spikes exactly once");
            }
        }
        float[] first = Fixtures.dense(train, 0);
        assertEquals(1f, first[0 * 100 + 99], "a black pixel fires at the last step");
        assertEquals(1f, first[indexOfValue(image(0), 255) * 100], "a white pixel fires at step 0");
    }

    @Test
    void plainAndGzippedFilesLoadTheSame(@TempDir Path dir) throws IOException {
        SpikeDataset plain = Datasets.open(Fixtures.config("mnist", writeDataset(dir.resolve("a"), false)), 1).train();
        SpikeDataset gz = Datasets.open(Fixtures.config("mnist", writeDataset(dir.resolve("b"), true)), 1).train();
        for (int i = 0; i < plain.size(); i++) {
            assertEquals(plain.label(i), gz.label(i));
            assertArrayEquals(Fixtures.dense(plain, i), Fixtures.dense(gz, i));
        }
    }

    @Test
    void ttfsEncodingSilencesDarkPixelsAndBinsTheFirstSpikeTime(@TempDir Path root) throws IOException {
        writeDataset(root, true);
        DataConfig cfg = DataConfig.builder("fashion-mnist").root(root).encoding(Encoding.TTFS).build();
        InspectableDataset train = Datasets.openSplit(cfg, "train");
        float[] dense = Fixtures.dense(train, 0);
        byte[] image = image(0);
        int spiking = 0;
        for (int p = 0; p < PIXELS; p++) {
            double x = (image[p] & 0xFF) / 255.0;
            float total = sum(dense, p * 100, (p + 1) * 100);
            if (x <= 0.2) {
                assertEquals(0f, total, "x = " + x + " is at or below theta: silent");
                continue;
            }
            long bin = Math.round(20 * Math.log(x / (x - 0.2)));
            if (bin >= 100) {
                assertEquals(0f, total, "x = " + x + " spikes after the window");
                continue;
            }
            spiking++;
            assertEquals(1f, dense[p * 100 + (int) bin], "x = " + x);
            assertEquals(1f, total);
        }
        assertTrue(spiking > 400);
        assertEquals(4, ((ImageDataset) train).step(1f), "x = 1 fires at 20 ln(1.25) = 4.46 ms");
        assertEquals(-1, ((ImageDataset) train).step(0.2f));
        SplitStatistics s = train.statistics();
        assertEquals(0, s.droppedEvents(), "the darkest spiking pixel (52/255) fires at 79 ms, inside 100 steps");
        assertEquals(4.0, s.firstEventMs());
        DataConfig shortWindow = DataConfig.builder("fashion-mnist").root(root).tLen(50).encoding(Encoding.TTFS).build();
        SplitStatistics cut = Datasets.openSplit(shortWindow, "train").statistics();
        assertTrue(cut.droppedEvents() > 0, "pixels just above theta spike past 50 ms");
        assertEquals(s.events(), cut.events());
    }

    @Test
    void statisticsOfImagesCountSpikesAndClasses(@TempDir Path root) throws IOException {
        InspectableDataset train = Datasets.openSplit(Fixtures.config("mnist", writeDataset(root, false)), "train");
        SplitStatistics s = train.statistics();
        assertEquals(6, s.samples());
        assertEquals(PIXELS, s.minEvents());
        assertEquals(PIXELS, s.maxEvents());
        assertEquals(6L * PIXELS, s.events());
        assertEquals(0, s.droppedEvents());
        assertArrayEquals(new int[] {1, 1, 1, 0, 2, 0, 0, 0, 0, 1}, s.classCounts());
        assertEquals(0.0, s.firstEventMs());
        assertEquals(99.0, s.lastEventMs());
    }

    @Test
    void imageEventsAreTheSpikesTheSamplesWrite(@TempDir Path root) throws IOException {
        writeDataset(root, true);
        DataConfig cfg = DataConfig.builder("fashion-mnist").root(root).augment(true).build();
        SpikeDataset train = Datasets.open(cfg, 1).train();
        for (int index = 0; index < train.size(); index++) {
            for (int seed = -1; seed < 5; seed++) {
                SampleEvents direct = new SampleEvents(train.channels(), train.timeSteps());
                SampleEvents scanned = new SampleEvents(train.channels(), train.timeSteps());
                int i = index;
                if (seed < 0) {
                    train.writeEvents(i, direct);
                    scanned.scan(dst -> train.writeSample(i, dst));
                } else {
                    int s = seed;
                    train.writeEvents(i, direct, new SplittableRandom(s));
                    scanned.scan(dst -> train.writeSample(i, dst, new SplittableRandom(s)));
                }
                assertEquals(scanned.count(), direct.count(), "sample " + i + ", seed " + seed);
                assertTrue(direct.count() > 0);
                for (int e = 0; e < direct.count(); e++) {
                    assertEquals(scanned.position(e), direct.position(e));
                    assertEquals(scanned.value(e), direct.value(e));
                }
            }
        }
    }

    @Test
    void augmentationAppliesToTrainingOnlyAndIsReproducible(@TempDir Path root) throws IOException {
        writeDataset(root, true);
        DataConfig cfg = DataConfig.builder("fashion-mnist").root(root).augment(true).build();
        DatasetSplits splits = Datasets.open(cfg, 1);
        SpikeDataset train = splits.train();
        int changed = 0;
        for (int seed = 0; seed < 20; seed++) {
            float[] augmented = Fixtures.dense(train, 2, new SplittableRandom(seed));
            assertArrayEquals(augmented, Fixtures.dense(train, 2, new SplittableRandom(seed)), "same seed, same sample");
            for (int p = 0; p < PIXELS; p++) {
                assertEquals(1f, sum(augmented, p * 100, (p + 1) * 100), "latency: still one spike per pixel");
            }
            if (!Arrays.equals(augmented, Fixtures.dense(train, 2))) {
                changed++;
            }
        }
        assertTrue(changed >= 15, "flip, crop and noise change most samples: " + changed + " of 20");
        float[] test = Fixtures.dense(splits.test(), 1, new SplittableRandom(3));
        assertArrayEquals(Fixtures.dense(splits.test(), 1), test, "the test split is never augmented");
        assertFalse(((ImageDataset) splits.test()).augmenting());
    }

    @Test
    void wrongMagicNumberIsNamed(@TempDir Path root) throws IOException {
        writeDataset(root, false);
        Files.copy(root.resolve("train-labels-idx1-ubyte"), root.resolve("train-images-idx3-ubyte"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.open(Fixtures.config("fashion-mnist", root), 1));
        assertEquals(root.resolve("train-images-idx3-ubyte") + ": wrong magic number 0x00000801, expected"
                + " 0x00000803 for images (IDX3, unsigned bytes)", e.getMessage());
    }

    @Test
    void truncatedImagesAreNamed(@TempDir Path root) throws IOException {
        writeDataset(root, false);
        Path images = root.resolve("t10k-images-idx3-ubyte");
        byte[] bytes = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(bytes, bytes.length - 100));
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.open(Fixtures.config("fashion-mnist", root), 1));
        assertEquals(images + ": truncated: the header promises 3 images of 28x28 (2352 bytes) but only 2252 follow",
                e.getMessage());
    }

    @Test
    void truncatedGzipIsNamed(@TempDir Path root) throws IOException {
        writeDataset(root, true);
        Path images = root.resolve("train-images-idx3-ubyte.gz");
        byte[] bytes = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(bytes, bytes.length / 2));
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.open(Fixtures.config("fashion-mnist", root), 1));
        assertTrue(e.getMessage().startsWith(images + ": truncated"), e.getMessage());
    }

    @Test
    void corruptGzipIsNamed(@TempDir Path root) throws IOException {
        writeDataset(root, true);
        Path labels = root.resolve("train-labels-idx1-ubyte.gz");
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(new byte[] {0, 0, 8, 1, 0, 0, 0, 6, 0, 9, 4, 4, 2, 1});
        }
        byte[] bytes = gz.toByteArray();
        bytes[bytes.length - 6] ^= 0x55; // inside the CRC-32 trailer
        Files.write(labels, bytes);
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.open(Fixtures.config("fashion-mnist", root), 1));
        assertTrue(e.getMessage().startsWith(labels + ": corrupt gzip data"), e.getMessage());
    }

    @Test
    void labelOutOfRangeIsNamedWithItsSample(@TempDir Path root) throws IOException {
        writeDataset(root, false);
        Fixtures.writeIdxLabels(root.resolve("train-labels-idx1-ubyte"), 0, 9, 4, 10, 2, 1);
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.open(Fixtures.config("fashion-mnist", root), 1));
        assertEquals(root.resolve("train-labels-idx1-ubyte") + ": label 10 of sample 3 is outside 0..9",
                e.getMessage());
    }

    @Test
    void labelCountMustMatchImageCount(@TempDir Path root) throws IOException {
        writeDataset(root, false);
        Fixtures.writeIdxLabels(root.resolve("t10k-labels-idx1-ubyte"), 7, 3);
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.open(Fixtures.config("fashion-mnist", root), 1));
        assertEquals(root.resolve("t10k-labels-idx1-ubyte") + ": holds 2 labels but t10k-images-idx3-ubyte holds 3"
                + " images", e.getMessage());
    }

    @Test
    void wrongImageShapeIsNamed(@TempDir Path root) throws IOException {
        writeDataset(root, false);
        Fixtures.writeIdxImages(root.resolve("train-images-idx3-ubyte"), 27, 27, new byte[27 * 27]);
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.open(Fixtures.config("mnist", root), 1));
        assertEquals(root.resolve("train-images-idx3-ubyte") + ": images are 27x27, mnist images are 28x28",
                e.getMessage());
    }

    @Test
    void emptyImagesFileIsAnError(@TempDir Path root) throws IOException {
        writeDataset(root, false);
        Fixtures.writeIdxImages(root.resolve("train-images-idx3-ubyte"), SIDE, SIDE);
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.open(Fixtures.config("mnist", root), 1));
        assertEquals(root.resolve("train-images-idx3-ubyte") + ": holds no images", e.getMessage());
    }

    @Test
    void trailingBytesMeanACorruptFile(@TempDir Path root) throws IOException {
        writeDataset(root, false);
        Path labels = root.resolve("train-labels-idx1-ubyte");
        Files.write(labels, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.open(Fixtures.config("mnist", root), 1));
        assertEquals(labels + ": has unexpected bytes after the 6 labels its header promises", e.getMessage());
    }

    @Test
    void missingFileSaysWhereToGetIt(@TempDir Path root) throws IOException {
        writeDataset(root, true);
        Files.delete(root.resolve("t10k-labels-idx1-ubyte.gz"));
        MissingDatasetException e = assertThrows(MissingDatasetException.class,
                () -> Datasets.open(Fixtures.config("fashion-mnist", root), 1));
        assertTrue(e.getMessage().startsWith("missing " + root.resolve("t10k-labels-idx1-ubyte.gz")), e.getMessage());
        assertTrue(e.getMessage().contains("https://github.com/zalandoresearch/fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains("snn data download fashion-mnist --root " + root), e.getMessage());
        assertNotEquals(null, e.file());
    }

    private static int indexOfValue(byte[] image, int value) {
        for (int p = 0; p < image.length; p++) {
            if ((image[p] & 0xFF) == value) {
                return p;
            }
        }
        throw new AssertionError("no pixel of value " + value);
    }

    static float sum(float[] values, int from, int to) {
        float s = 0;
        for (int i = from; i < to; i++) {
            s += values[i];
        }
        return s;
    }
}
