package snn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import snn.core.DatasetException;
import snn.core.MissingDatasetException;

/** The original N-MNIST distribution: Train/ and Test/ folders of digit folders of 40-bit-event .bin files. */
class NmnistBinTest {

    /**
     * Writes the events of {@code nmnist_events.json} as .bin recordings: sample k of a split goes to
     * {@code Split/<label>/<k>.bin}, so that the digit-then-name order is the fixture's order.
     */
    static void writeRecordings(Path root) throws IOException {
        JsonNode raw = Fixtures.json("nmnist_events.json");
        for (String split : new String[] {"train", "test"}) {
            JsonNode samples = raw.get(split);
            for (int k = 0; k < samples.size(); k++) {
                JsonNode s = samples.get(k);
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                for (int e = 0; e < s.get("us").size(); e++) {
                    bytes.write(Fixtures.nmnistEvent(s.get("x").get(e).asInt(), s.get("y").get(e).asInt(),
                            s.get("p").get(e).asInt(), s.get("us").get(e).asInt()));
                }
                Path file = root.resolve(split.equals("train") ? "Train" : "Test")
                        .resolve(s.get("label").asText()).resolve(String.format("%05d.bin", k));
                Fixtures.write(file, bytes.toByteArray());
            }
        }
    }

    @Test
    void binRecordingsGiveTheSameTensorsAsThePapersHdf5Conversion(@TempDir Path root) throws IOException {
        writeRecordings(root);
        for (String split : new String[] {"train", "test"}) {
            InspectableDataset bin = Datasets.openSplit(Fixtures.config("nmnist", root), split);
            InspectableDataset h5 = Datasets.openSplit(
                    Fixtures.config("nmnist", Fixtures.resource("hdf5/nmnist")), split);
            JsonNode expected = Fixtures.expected().get("nmnist/" + split);
            assertEquals(expected.size(), bin.size());
            assertEquals(1156, bin.channels());
            assertEquals(300, bin.timeSteps());
            for (int i = 0; i < bin.size(); i++) {
                assertEquals(h5.label(i), bin.label(i));
                float[] fromBin = Fixtures.dense(bin, i);
                assertArrayEquals(Fixtures.dense(h5, i), fromBin, split + " sample " + i);
                assertArrayEquals(Fixtures.denseFromTriples(expected.get(i).get("events"), 1156, 300), fromBin);
            }
            assertTrue(bin.statistics().source().endsWith(split.equals("train") ? "Train" : "Test"));
        }
    }

    @Test
    void polaritiesMergeAndDuplicatesAddUp(@TempDir Path root) throws IOException {
        byte[] events = concat(Fixtures.nmnistEvent(5, 6, 0, 2000), Fixtures.nmnistEvent(5, 6, 1, 2000),
                Fixtures.nmnistEvent(5, 6, 1, 2400), Fixtures.nmnistEvent(33, 33, 0, 299_499),
                Fixtures.nmnistEvent(0, 0, 0, 299_500), Fixtures.nmnistEvent(1, 0, 1, 8_000_000));
        Fixtures.write(root.resolve("Train/3/a.bin"), events);
        Fixtures.write(root.resolve("Test/0/a.bin"), Fixtures.nmnistEvent(1, 1, 1, 0));
        EventDataset data = (EventDataset) Datasets.openSplit(Fixtures.config("nmnist", root), "train");
        float[] dense = Fixtures.dense(data, 0);
        assertEquals(3, data.label(0));
        assertEquals(3f, dense[(5 + 34 * 6) * 300 + 2], "2.0 ms and 2.4 ms, both polarities, share a bin");
        assertEquals(1f, dense[(33 + 34 * 33) * 300 + 299]);
        assertEquals(4, data.keptEvents(0));
        assertEquals(2, data.statistics().droppedEvents(), "299.5 ms rounds to bin 300; 8 s is far past");
    }

    @Test
    void overflowMarkersShiftLaterTimestamps(@TempDir Path root) throws IOException {
        byte[] events = concat(Fixtures.nmnistEvent(2, 2, 0, 1000), Fixtures.nmnistEvent(0, 240, 0, 0),
                Fixtures.nmnistEvent(3, 3, 0, 1000));
        NmnistBinReader.Recording r = NmnistBinReader.decode(root.resolve("x.bin"), events);
        assertArrayEquals(new int[] {2 + 34 * 2, 3 + 34 * 3}, r.units());
        assertEquals(0.001f, r.seconds()[0]);
        assertEquals((float) ((1000 + 8192) * 1e-6), r.seconds()[1]);
    }

    @Test
    void truncatedRecordingIsNamed(@TempDir Path root) throws IOException {
        Path file = root.resolve("Train/1/bad.bin");
        Fixtures.write(file, java.util.Arrays.copyOf(concat(Fixtures.nmnistEvent(1, 1, 0, 10),
                Fixtures.nmnistEvent(2, 2, 0, 20)), 8));
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.openSplit(Fixtures.config("nmnist", root), "train"));
        assertEquals(file + ": truncated: 8 bytes is not a whole number of 5-byte events", e.getMessage());
    }

    @Test
    void eventsOutsideTheSensorMeanACorruptFile(@TempDir Path root) throws IOException {
        Path file = root.resolve("Train/1/bad.bin");
        Fixtures.write(file, concat(Fixtures.nmnistEvent(1, 1, 0, 10), Fixtures.nmnistEvent(40, 2, 0, 20)));
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.openSplit(Fixtures.config("nmnist", root), "train"));
        assertTrue(e.getMessage().startsWith(file + ": event 1 (byte 5) is at x=40, y=2"), e.getMessage());
    }

    @Test
    void emptyRecordingIsAnError(@TempDir Path root) throws IOException {
        Path file = root.resolve("Train/4/empty.bin");
        Fixtures.write(file, new byte[0]);
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.openSplit(Fixtures.config("nmnist", root), "train"));
        assertEquals(file + ": recording is empty (no spikes)", e.getMessage());
    }

    @Test
    void aClassFolderBeyondNineIsALabelOutOfRange(@TempDir Path root) throws IOException {
        Fixtures.write(root.resolve("Train/1/a.bin"), Fixtures.nmnistEvent(1, 1, 0, 10));
        Fixtures.write(root.resolve("Train/12/a.bin"), Fixtures.nmnistEvent(1, 1, 0, 10));
        DatasetException e = assertThrows(DatasetException.class,
                () -> Datasets.openSplit(Fixtures.config("nmnist", root), "train"));
        assertTrue(e.getMessage().contains("Train/12: folder name '12' is not a digit class"), e.getMessage());
    }

    @Test
    void missingSplitFolderPointsToBothFormatsAndTheDownload(@TempDir Path root) throws IOException {
        Fixtures.write(root.resolve("Train/1/a.bin"), Fixtures.nmnistEvent(1, 1, 0, 10));
        MissingDatasetException e = assertThrows(MissingDatasetException.class,
                () -> Datasets.open(Fixtures.config("nmnist", root), 1));
        assertTrue(e.getMessage().startsWith("missing " + root.resolve("Test")), e.getMessage());
        assertTrue(e.getMessage().contains("train.h5"), e.getMessage());
        assertTrue(e.getMessage().contains("snn data download nmnist --root " + root), e.getMessage());
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
