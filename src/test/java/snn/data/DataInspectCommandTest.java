package snn.data;

import static snn.cli.CliRun.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.cli.CliRun;

/** {@code snn data inspect} on fixture datasets. */
class DataInspectCommandTest {



    @Test
    void reportsSplitsClassesEventsTimeSpanAndDroppedEvents() {
        CliRun r = run("data", "inspect", "--dataset", "shd", "--root", Fixtures.resource("hdf5/shd").toString());
        assertEquals(0, r.code(), r.err());
        SplitStatistics train = Datasets.openSplit(Fixtures.config("shd", Fixtures.resource("hdf5/shd")), "train")
                .statistics();
        String trainLine = String.format(java.util.Locale.ROOT, "train          8  %-28s %-22s %d of %d (%.2f%%)",
                train.minEvents() + " / " + (long) train.medianEvents() + " / " + train.maxEvents(), "0.0 .. 1200.0",
                train.droppedEvents(), train.events(), 100.0 * train.droppedEvents() / train.events());
        assertTrue(r.out().contains(trainLine), trainLine + "\n" + r.out());
        assertTrue(r.out().contains("0.0 .. 1200.0"), r.out());
        assertTrue(r.out().contains(train.droppedEvents() + " of " + train.events()), r.out());
        assertTrue(r.out().contains("shd: 700 channels, 500 steps of 2 ms, 20 classes"), r.out());
        assertTrue(r.out().contains("train  0:1 1:0 2:1 3:1 4:1 5:1 6:1 7:1 8:0 9:0 10:0 11:0 12:0 13:0 14:0 15:0"
                + " 16:0 17:0 18:0 19:1\n"), r.out());
    }

    @Test
    void sscShowsItsValidationFileToo() {
        CliRun r = run("data", "inspect", "--dataset", "ssc", "--root", Fixtures.resource("hdf5/ssc").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("valid          3"), r.out());
        assertTrue(r.out().contains("test           4"), r.out());
    }

    @Test
    void aMissingSscValidationFileIsNotedNotFatal(@TempDir Path root) throws IOException {
        for (String split : new String[] {"train", "test"}) {
            java.nio.file.Files.copy(Fixtures.resource("hdf5/ssc/ssc_" + split + ".h5"),
                    root.resolve("ssc_" + split + ".h5"));
        }
        CliRun r = run("data", "inspect", "--dataset", "ssc", "--root", root.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("valid: " + root.resolve("ssc_valid.h5") + " is missing (it is not used for"
                + " training)"), r.out());
        assertTrue(r.out().contains("train         10"), r.out());
    }

    @Test
    void binningOptionsChangeWhatIsDropped() {
        Path root = Fixtures.resource("hdf5/shd");
        CliRun shortWindow = run("data", "inspect", "--dataset", "shd", "--root", root.toString(), "--t-len", "10",
                "--dt-ms", "1");
        assertEquals(0, shortWindow.code(), shortWindow.err());
        assertTrue(shortWindow.out().contains("shd: 700 channels, 10 steps of 1 ms"), shortWindow.out());
        SplitStatistics narrow = Datasets.openSplit(snn.config.DataConfig.builder("shd").root(root).tLen(10).dtMs(1.0)
                .build(), "train").statistics();
        SplitStatistics standard = Datasets.openSplit(Fixtures.config("shd", root), "train").statistics();
        assertTrue(narrow.droppedEvents() > standard.droppedEvents());
        assertTrue(shortWindow.out().contains(narrow.droppedEvents() + " of " + narrow.events()), shortWindow.out());
    }

    @Test
    void imagesReportSpikes(@TempDir Path root) throws IOException {
        IdxDatasetsTest.writeDataset(root, true);
        CliRun r = run("data", "inspect", "--dataset", "fashion-mnist", "--root", root.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("784 / 784 / 784"), r.out());
        assertTrue(r.out().contains("fashion-mnist: 784 channels, 100 steps of 1 ms, 10 classes"), r.out());
    }

    @Test
    void missingDataIsAUserErrorWithTheDownloadCommand(@TempDir Path root) {
        CliRun r = run("data", "inspect", "--dataset", "shd", "--root", root.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("snn: missing " + root.resolve("shd_train.h5")), r.err());
        assertEquals("", r.out(), "nothing printed before the error");
        assertTrue(r.err().contains("snn data download shd --root " + root), r.err());
        assertTrue(!r.err().contains("Exception"), "no stack trace: " + r.err());
    }

    @Test
    void unknownDatasetIsRejected() {
        CliRun r = run("data", "inspect", "--dataset", "cifar", "--root", "/tmp");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown dataset 'cifar'"), r.err());
    }
}
