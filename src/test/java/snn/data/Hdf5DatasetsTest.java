package snn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;

import snn.core.SnnException;
import snn.config.DataConfig;
import snn.core.DatasetException;
import snn.core.MissingDatasetException;

/** SHD, SSC and the N-MNIST HDF5 conversion, read with jhdf from fixtures written by h5py. */
class Hdf5DatasetsTest {

    @ParameterizedTest(name = "{0}/{1}")
    @CsvSource({"shd, train, 700, 500, 20", "shd, test, 700, 500, 20", "ssc, train, 700, 500, 35",
        "ssc, valid, 700, 500, 35", "ssc, test, 700, 500, 35", "nmnist, train, 1156, 300, 10",
        "nmnist, test, 1156, 300, 10"})
    void everySampleMatchesTheReferenceBinning(String dataset, String split, int channels, int steps, int classes) {
        InspectableDataset data = Datasets.openSplit(Fixtures.config(dataset, Fixtures.resource("hdf5/" + dataset)),
                split);
        JsonNode expected = Fixtures.expected().get(dataset + "/" + split);
        assertEquals(expected.size(), data.size());
        assertEquals(channels, data.channels());
        assertEquals(steps, data.timeSteps());
        assertEquals(classes, data.classes());
        for (int i = 0; i < data.size(); i++) {
            assertEquals(expected.get(i).get("label").asInt(), data.label(i), "label of sample " + i);
            assertArrayEquals(Fixtures.denseFromTriples(expected.get(i).get("events"), channels, steps),
                    Fixtures.dense(data, i), dataset + "/" + split + " sample " + i);
        }
    }

    @Test
    void edgeCasesOfTheBinningRuleAreThoseOfTheReference() {
        InspectableDataset shd = Datasets.openSplit(Fixtures.config("shd", Fixtures.resource("hdf5/shd")), "train");
        float[] first = Fixtures.dense(shd, 0);
        // 0.001 s / 2 ms = 0.5 -> bin 0 and 0.005 s -> 2.5 -> bin 2 (half to even); 0.003 s -> 1.5 -> bin 2.
        assertEquals(1f, first[1 * 500]);
        assertEquals(1f, first[699 * 500 + 2]);
        assertEquals(1f, first[2 * 500 + 2]);
        // 0.999 s -> 499.5 -> 500 and 1.0 s -> 500: dropped, as are events past 1 s.
        assertEquals(0f, sum(first, 7 * 500, 8 * 500));
        assertEquals(0f, sum(first, 8 * 500, 9 * 500));
        float[] second = Fixtures.dense(shd, 1);
        // Three events of unit 10 round into bin 5 and add up; units 1405 and 705 wrap to channel 5.
        assertEquals(3f, second[10 * 500 + 5]);
        assertEquals(1f, second[5 * 500 + 100]);
        assertEquals(1f, second[5 * 500 + 150]);
        assertEquals(5, ((EventDataset) shd).keptEvents(1));
    }

    @Test
    void statisticsCountEventsAndWhatBinningDrops() {
        InspectableDataset shd = Datasets.openSplit(Fixtures.config("shd", Fixtures.resource("hdf5/shd")), "train");
        SplitStatistics s = shd.statistics();
        assertEquals(8, s.samples());
        assertEquals(1, s.classCounts()[19]);
        assertEquals(1, s.classCounts()[0]);
        assertEquals(5, s.minEvents());
        assertEquals(0.0, s.firstEventMs());
        assertEquals(1200.0, s.lastEventMs(), 1e-3);
        long kept = 0;
        for (int i = 0; i < shd.size(); i++) {
            kept += ((EventDataset) shd).keptEvents(i);
        }
        assertEquals(s.events() - s.droppedEvents(), kept);
        assertTrue(s.droppedEvents() >= 3, "sample 0 alone drops 3 events");
    }

    @Test
    void aShorterWindowDropsMoreAndAWiderBinMergesMore() {
        Path root = Fixtures.resource("hdf5/shd");
        DataConfig narrow = DataConfig.builder("shd").root(root).tLen(100).dtMs(2.0).build();
        InspectableDataset shd = Datasets.openSplit(narrow, "train");
        assertEquals(100, shd.timeSteps());
        float[] first = Fixtures.dense(shd, 0);
        assertEquals(0f, first[6 * 100 + 99], "0.997 s is past a 200 ms window");
        assertTrue(shd.statistics().droppedEvents() > Datasets.openSplit(Fixtures.config("shd", root), "train")
                .statistics().droppedEvents());
        DataConfig wide = DataConfig.builder("shd").root(root).tLen(50).dtMs(20.0).build();
        float[] merged = Fixtures.dense(Datasets.openSplit(wide, "train"), 0);
        // 0 s, 0.001 s -> bin 0 of channels 0 and 1; 0.003, 0.0049, 0.005, 0.0051 s -> bin 0 (< 0.5 steps).
        assertEquals(1f, merged[0]);
        assertEquals(1f, merged[3 * 50]);
    }

    @Test
    void limitsReadOnlyTheFirstSamples() {
        DataConfig cfg = DataConfig.builder("shd").root(Fixtures.resource("hdf5/shd")).limits(3, 2).build();
        DatasetSplits splits = Datasets.open(cfg, 1);
        assertEquals(3, splits.train().size());
        assertEquals(2, splits.test().size());
        InspectableDataset full = Datasets.openSplit(Fixtures.config("shd", Fixtures.resource("hdf5/shd")), "train");
        assertArrayEquals(Fixtures.dense(full, 2), Fixtures.dense(splits.train(), 2));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "label | sample 2 has label 20, outside 0..19",
        "empty | sample 2 is empty (no spikes)",
        "mismatch | sample 1 has",
        "labels-length | labels has 3 entries but spikes/times has 4 samples",
        "negative-time | sample 1 has spike time -0.002 s",
        "no-units | has no dataset 'spikes/units'",
        "fixed-length | /spikes/times has shape [4, 5], expected one entry per sample (1-D)"})
    void brokenFilesGetOnePreciseError(String problem, String message) {
        Path root = Fixtures.resource("hdf5/bad-" + problem);
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.openSplit(Fixtures.config("shd", root), "train"));
        assertInstanceOf(SnnException.class, e);
        assertTrue(e.getMessage().startsWith(root.resolve("shd_train.h5").toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(message.trim()), e.getMessage());
    }

    @Test
    void truncatedFileIsReportedAsTruncated(@TempDir Path dir) throws IOException {
        byte[] good = Files.readAllBytes(Fixtures.resource("hdf5/shd/shd_train.h5"));
        Files.write(dir.resolve("shd_train.h5"), Arrays.copyOf(good, good.length - 700));
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.openSplit(Fixtures.config("shd", dir), "train"));
        assertTrue(e.getMessage().contains("shd_train.h5: truncated"), e.getMessage());
    }

    @Test
    void aFileThatIsNotHdf5IsNamed(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("shd_train.h5"), "<html>404 not found</html>");
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.openSplit(Fixtures.config("shd", dir), "train"));
        assertTrue(e.getMessage().contains("shd_train.h5: not a readable HDF5 file"), e.getMessage());
    }

    @Test
    void missingFileSaysWhereToGetItAndWhichCommandDownloadsIt(@TempDir Path dir) throws IOException {
        Files.copy(Fixtures.resource("hdf5/shd/shd_train.h5"), dir.resolve("shd_train.h5"));
        MissingDatasetException e = assertThrows(MissingDatasetException.class,
                () -> Datasets.open(Fixtures.config("shd", dir), 1));
        assertEquals(dir.resolve("shd_test.h5"), e.file());
        assertTrue(e.getMessage().contains("missing " + dir.resolve("shd_test.h5")), e.getMessage());
        assertTrue(e.getMessage().contains("https://zenkelab.org/datasets/"), e.getMessage());
        assertTrue(e.getMessage().contains("snn data download shd --root " + dir), e.getMessage());
    }

    @Test
    void missingRootFolderIsNamed(@TempDir Path dir) {
        Path root = dir.resolve("nowhere");
        MissingDatasetException e = assertThrows(MissingDatasetException.class,
                () -> Datasets.open(Fixtures.config("ssc", root), 1));
        assertTrue(e.getMessage().startsWith("missing " + root), e.getMessage());
        assertTrue(e.getMessage().contains("snn data download ssc"), e.getMessage());
    }

    @Test
    void sscTrainsOnTrainAndTestsOnTestLeavingTheValidFileAside() {
        DatasetSplits splits = Datasets.open(Fixtures.config("ssc", Fixtures.resource("hdf5/ssc")), 1);
        assertEquals(10, splits.train().size());
        assertEquals(4, splits.test().size());
        assertTrue(splits.validationSplit().isEmpty());
    }

    @Test
    void eventDatasetsRefuseAugmentation() {
        DataConfig cfg = DataConfig.builder("shd").root(Fixtures.resource("hdf5/shd")).augment(true).build();
        RuntimeException e = assertThrows(RuntimeException.class, () -> Datasets.open(cfg, 1));
        assertInstanceOf(SnnException.class, e);
        assertTrue(e.getMessage().contains("data.augment"), e.getMessage());
    }

    private static float sum(float[] values, int from, int to) {
        float s = 0;
        for (int i = from; i < to; i++) {
            s += values[i];
        }
        return s;
    }
}
