package snn.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.core.InteropException;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

class TorchFormatTest {

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    /** Tensors of every supported element type and of unusual shapes (scalar, empty, 5-d). */
    static Map<String, Tensor> assorted() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("f32", Tensors.fromArray(new float[] {1.5f, -2.25f, 3e-8f, Float.MAX_VALUE, -0f, 7}, 2, 3));
        m.put("f64", Tensors.fromArray(new float[] {0.1f, 0.2f, 0.3f}, 3).to(torch.ScalarType.Double));
        m.put("f16", Tensors.fromArray(new float[] {0.5f, -1}, 2).to(torch.ScalarType.Half));
        m.put("bf16", Tensors.fromArray(new float[] {0.5f, 256}, 2).to(torch.ScalarType.BFloat16));
        m.put("i64", Tensors.labels(new long[] {1L << 40, -3, 0, 7}).view(2, 2));
        m.put("i32", Tensors.fromArray(new float[] {-5}, 1).to(torch.ScalarType.Int).view());
        m.put("u8", Tensors.fromArray(new float[] {0, 255}, 2).to(torch.ScalarType.Byte));
        m.put("bool", Tensors.fromArray(new float[] {1, 0, 1}, 3).to(torch.ScalarType.Bool));
        m.put("empty", Tensors.zeros(0, 3));
        m.put("five-d", Tensors.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 1, 2, 1, 3, 1));
        m.put("strided", Tensors.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).t()); // written contiguous
        return m;
    }

    static void assertSameContent(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()), "names in order");
        expected.forEach((name, e) -> {
            Tensor a = actual.get(name);
            assertEquals(e.scalar_type().intern(), a.scalar_type().intern(), "dtype of " + name);
            assertArrayEquals(Tensors.shape(e), Tensors.shape(a), "shape of " + name);
            assertArrayEquals(Fixtures.values(e), Fixtures.values(a), "values of " + name);
        });
    }

    @Test
    void roundTripKeepsNamesTypesShapesValuesAndMetadata(@TempDir Path dir) {
        Path file = dir.resolve("t.pt");
        Map<String, String> metadata = Map.of("note", "ünïcode and \"quotes\"\n");
        TorchFormat.write(new TensorFile(assorted(), metadata), file);
        TensorFile back = TorchFormat.read(file);
        assertSameContent(assorted(), back.tensors());
        assertEquals(metadata, back.metadata());
    }

    @Test
    void archiveHasTorchSaveLayoutWithAlignedData(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("t.pt");
        TorchFormat.write(new TensorFile(assorted(), Map.of()), file);
        List<String> names = new ArrayList<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                names.add(e.getName());
                assertEquals(ZipEntry.STORED, e.getMethod(), e.getName() + " is stored uncompressed");
            }
            assertEquals("3\n", new String(zip.getInputStream(zip.getEntry("archive/version")).readAllBytes(),
                    StandardCharsets.US_ASCII));
            assertEquals("little", new String(zip.getInputStream(zip.getEntry("archive/byteorder")).readAllBytes(),
                    StandardCharsets.US_ASCII));
            assertEquals(24, zip.getEntry("archive/data/0").getSize(), "float32 [2, 3] storage");
        }
        assertEquals("archive/data.pkl", names.get(0));
        assertEquals(assorted().size() + 3, names.size(), "data.pkl, byteorder, version and one storage per tensor");
        for (int i = 0; i < assorted().size(); i++) {
            assertTrue(names.contains("archive/data/" + i), "storage " + i);
        }
        // Walk the local headers: every entry's data starts on a 64-byte boundary.
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int at = 0;
        for (int i = 0; i < names.size(); i++) {
            assertEquals(0x04034b50, b.getInt(at), "local header " + i);
            int size = b.getInt(at + 18);
            int dataStart = at + 30 + (b.getShort(at + 26) & 0xFFFF) + (b.getShort(at + 28) & 0xFFFF);
            assertEquals(0, dataStart % 64, "data of entry " + names.get(i) + " at " + dataStart);
            at = dataStart + size;
        }
    }

    @Test
    void writingIsDeterministic(@TempDir Path dir) throws IOException {
        TorchFormat.write(new TensorFile(assorted(), Map.of("a", "b")), dir.resolve("1.pt"));
        TorchFormat.write(new TensorFile(assorted(), Map.of("a", "b")), dir.resolve("2.pt"));
        assertArrayEquals(Files.readAllBytes(dir.resolve("1.pt")), Files.readAllBytes(dir.resolve("2.pt")));
    }

    @Test
    void legacyFormatGetsTheResaveInstruction(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("legacy.pt");
        // The legacy format starts with the pickled magic number 0x1950a86a20f9469cfc6c (protocol 2).
        Files.write(file, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46});
        InteropException e = assertThrows(InteropException.class, () -> TorchFormat.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("legacy") && e.getMessage().contains("_use_new_zipfile_serialization=True"),
                e.getMessage());
    }

    @Test
    void otherFilesAreRejectedWithTheirName(@TempDir Path dir) throws IOException {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "hello");
        assertMessage(text, "not a torch.save file");
        assertMessage(dir.resolve("missing.pt"), "no such file");

        Path noPickle = zip(dir.resolve("nopickle.pt"), Map.of("archive/version", "3\n".getBytes()));
        assertMessage(noPickle, "without data.pkl");

        Path script = zip(dir.resolve("script.pt"), Map.of("model/constants.pkl", new byte[] {(byte) 0x80, 2, '.'},
                "model/code/__torch__.py", "x".getBytes()));
        assertMessage(script, "TorchScript");

        Path good = dir.resolve("good.pt");
        TorchFormat.write(new TensorFile(assorted(), Map.of()), good);
        byte[] all = Files.readAllBytes(good);
        Path truncated = dir.resolve("truncated.pt");
        Files.write(truncated, java.util.Arrays.copyOf(all, all.length / 2));
        assertMessage(truncated, "");
    }

    @Test
    void picklesThatCallAnythingElseAreRefused(@TempDir Path dir) throws IOException {
        // pickle.dumps of os.system('ls') via REDUCE: the reader must name the function and not call anything.
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2});
        p.writeBytes("cos\nsystem\n".getBytes(StandardCharsets.US_ASCII));
        p.write(new byte[] {'X', 2, 0, 0, 0, 'l', 's', (byte) 0x85, 'R', '.'});
        Path file = zip(dir.resolve("evil.pt"), Map.of("archive/data.pkl", p.toByteArray()));
        assertMessage(file, "os.system");
    }

    @Test
    void anOrderedDictWithoutTensorsSaysWhatIsExpected(@TempDir Path dir) throws IOException {
        // collections.OrderedDict() with one string item and its attributes, as state_dict() pickles (no tensors).
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2});
        p.writeBytes("ccollections\nOrderedDict\n".getBytes(StandardCharsets.US_ASCII));
        p.write(new byte[] {')', 'R', '(', 'X', 1, 0, 0, 0, 'a', 'X', 1, 0, 0, 0, 'b', 'u', '}', 'b', '.'});
        Path file = zip(dir.resolve("ordered.pt"), Map.of("archive/data.pkl", p.toByteArray()));
        assertMessage(file, "holds no tensors; expected a state dict (name -> tensor), alone or under 'state_dict' or"
                + " 'model' (its keys: [a])");
    }

    @Test
    void aGlobalThatPyTorchsSafeLoaderRefusesIsRefusedByName(@TempDir Path dir) throws IOException {
        // {'w': os.system('echo')}: GLOBAL 'os system', then a REDUCE that would call it.
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2, '}', 'X', 1, 0, 0, 0, 'w'});
        p.writeBytes("cos\nsystem\n".getBytes(StandardCharsets.US_ASCII));
        p.write(new byte[] {'X', 4, 0, 0, 0, 'e', 'c', 'h', 'o', (byte) 0x85, 'R', 's', '.'});
        Path file = zip(dir.resolve("evil.pt"), Map.of("archive/data.pkl", p.toByteArray()));
        assertMessage(file, "refers to the global os.system, which PyTorch's weights_only loader refuses as well");
        // Protocol 4's STACK_GLOBAL names it from the stack: the same check.
        ByteArrayOutputStream q = new ByteArrayOutputStream();
        q.write(new byte[] {(byte) 0x80, 4, '}', (byte) 0x8c, 2, 'o', 's', (byte) 0x8c, 6, 's', 'y', 's', 't', 'e', 'm',
            (byte) 0x93, '.'});
        Path stacked = zip(dir.resolve("evil4.pt"), Map.of("archive/data.pkl", q.toByteArray()));
        assertMessage(stacked, "refers to the global os.system");
    }

    static void assertMessage(Path file, String fragment) {
        InteropException e = assertThrows(InteropException.class, () -> TorchFormat.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(fragment), e.getMessage());
    }

    static Path zip(Path file, Map<String, byte[]> entries) throws IOException {
        try (var out = Files.newOutputStream(file)) {
            StoredZipWriter zip = new StoredZipWriter(out);
            for (Map.Entry<String, byte[]> e : new java.util.TreeMap<>(entries).entrySet()) {
                zip.add(e.getKey(), e.getValue());
            }
            zip.finish();
        }
        return file;
    }
}
