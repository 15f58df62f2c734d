package snn.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.core.InteropException;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * Every zip a checkpoint reader meets passes {@link ZipVerifier} intact and fails it damaged: snn's torch.save
 * files, LibTorch archives, Python's torch.save files and deflated entries with data descriptors.
 */
class ZipVerifierTest {

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    @Test
    void intactArchivesOfEveryWriterPass(@TempDir Path dir) throws IOException {
        Path snn = dir.resolve("snn.pt");
        TorchFormat.write(new TensorFile(TorchFormatTest.assorted(), Map.of("k", "v")), snn);
        ZipVerifier.verify(snn);
        ZipVerifier.verify(libTorchArchive(dir.resolve("libtorch.pt")));
        ZipVerifier.verify(deflatedZip(dir.resolve("deflated.zip")));
    }

    @Test
    void aDamagedTensorNamesTheEntryAndBothChecksums(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("model.pt");
        TorchFormat.write(new TensorFile(Map.of("w", Tensors.fromArray(new float[] {1, 2, 3, 4}, 4)), Map.of()), file);
        byte[] bytes = Files.readAllBytes(file);
        int at = Mutations.dataOffset(bytes, "archive/data/0");
        long recorded = crc(bytes, at, 16);
        bytes[at + 5] ^= 0x40;
        long actual = crc(bytes, at, 16);
        Files.write(file, bytes);
        InteropException e = assertThrows(InteropException.class, () -> TorchFormat.read(file));
        assertEquals(String.format("%s: entry archive/data/0 is corrupt (CRC-32 0x%08x, expected 0x%08x)", file,
                actual, recorded), e.getMessage());
    }

    @Test
    void theLocalHeaderMustRepeatTheCentralDirectory(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("good.pt");
        TorchFormat.write(new TensorFile(Map.of("w", Tensors.fromArray(new float[] {1, 2}, 2)), Map.of()), good);
        byte[] bytes = Files.readAllBytes(good);
        // The first entry (archive/data.pkl) starts at 0: local CRC-32 at 14, time at 10.
        assertMessage(dir, "crc.pt", withInt(bytes, 14, 0x12345678), "entry archive/data.pkl is corrupt (its local"
                + " header has CRC-32 0x12345678, the central directory 0x");
        assertMessage(dir, "time.pt", withShort(bytes, 10, 0x0101), "its local header has time 257");
        int central = centralDirectory(bytes);
        assertMessage(dir, "folder.pt", withInt(bytes, central + 38, 0x10), "entry archive/data.pkl is corrupt (it is"
                + " marked as a folder");
        assertMessage(dir, "encrypted.pt", withShort(withShort(bytes, 6, 1), central + 8, 1), "encrypted");
    }

    @Test
    void truncatedOrExtendedArchivesAreRefused(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("good.pt");
        TorchFormat.write(new TensorFile(TorchFormatTest.assorted(), Map.of()), good);
        byte[] bytes = Files.readAllBytes(good);
        for (int length : new int[] {0, 21, bytes.length / 2, bytes.length - 1}) {
            assertMessage(dir, "cut" + length + ".pt", Arrays.copyOf(bytes, length),
                    "truncated or not a zip archive");
        }
        assertMessage(dir, "longer.pt", Arrays.copyOf(bytes, bytes.length + 3),
                "truncated or not a zip archive");
    }

    @Test
    void deflatedEntriesAreDecompressedAndChecked(@TempDir Path dir) throws IOException {
        Path zip = deflatedZip(dir.resolve("deflated.zip"));
        byte[] bytes = Files.readAllBytes(zip);
        int at = Mutations.dataOffset(bytes, "text");
        Path damaged = dir.resolve("damaged.zip");
        Files.write(damaged, withShort(bytes, at + 2, Short.toUnsignedInt(ByteBuffer.wrap(bytes)
                .order(ByteOrder.LITTLE_ENDIAN).getShort(at + 2)) ^ 0x0404));
        InteropException e = assertThrows(InteropException.class, () -> ZipVerifier.verify(damaged));
        assertTrue(e.getMessage().startsWith(damaged + ": entry text is corrupt ("), e.getMessage());
    }

    @Test
    void libTorchArchivesAreRefusedWhenATensorIsDamaged(@TempDir Path dir) throws IOException {
        Path file = libTorchArchive(dir.resolve("state.pt"));
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        String first = new String(bytes, 30, Short.toUnsignedInt(b.getShort(26)), StandardCharsets.UTF_8);
        bytes[Mutations.dataOffset(bytes, first)] ^= 1;
        Path damaged = dir.resolve("damaged.pt");
        Files.write(damaged, bytes);
        InteropException e = assertThrows(InteropException.class, () -> ZipVerifier.verify(damaged));
        assertTrue(e.getMessage().startsWith(damaged + ": entry " + first + " is corrupt (CRC-32 0x"), e.getMessage());
    }

    /** Files Python's torch.save wrote pass; 60 seeded damages of one are refused or read the original values. */
    @Test
    void pythonSavedFilesAreCheckedToo(@TempDir Path dir) throws IOException {
        PythonTorch.requireTorch();
        Path file = dir.resolve("python.pt");
        ObjectNode shapes = Fixtures.JSON.createObjectNode();
        shapes.putArray("hidden.0.input.weight").add(6).add(4);
        shapes.putArray("hidden.0.beta").add(6);
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        tasks.addObject().put("task", "write").put("label", "plain").put("kind", "plain").put("file", file.toString())
                .put("expected_out", dir.resolve("python.json").toString()).put("seed", 3).set("shapes", shapes);
        PythonTorch.run(tasks, dir);
        TensorFile original = TorchFormat.read(file);
        byte[] bytes = Files.readAllBytes(file);
        Path damaged = dir.resolve("damaged.pt");
        Mutations.Tally tally = Mutations.fuzz(bytes, 77L, 20, damaged, TorchFormat::read, InteropException.class,
                (m, e) -> assertTrue(e.getMessage().startsWith(damaged.toString()), m + ": " + e.getMessage()),
                (m, read) -> {
                    assertEquals(original.metadata(), read.metadata(), m.toString());
                    assertEquals(original.tensors().keySet(), read.tensors().keySet(), m + ": names");
                    original.tensors().forEach((name, t) -> {
                        Tensor other = read.tensors().get(name);
                        assertEquals(t.scalar_type().intern(), other.scalar_type().intern(), m + ": dtype of " + name);
                        assertArrayEquals(Tensors.shape(t), Tensors.shape(other), m + ": shape of " + name);
                        assertArrayEquals(TensorBytes.bytes(t, name), TensorBytes.bytes(other, name),
                                m + ": bytes of " + name);
                    });
                });
        System.out.println(tally.report("Python torch.save file (" + bytes.length + " bytes)"));
        tally.assertDamageWasSeen();
    }

    static void assertMessage(Path dir, String name, byte[] bytes, String fragment) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        InteropException e = assertThrows(InteropException.class, () -> ZipVerifier.verify(file));
        assertTrue(e.getMessage().startsWith(file + ": ") && e.getMessage().contains(fragment), e.getMessage());
    }

    /** A LibTorch archive as TrainingState writes it: stored tensors with data descriptors, deflated code. */
    static Path libTorchArchive(Path file) {
        OutputArchive archive = new OutputArchive();
        archive.write("w", Tensors.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        archive.write("b", Tensors.fromArray(new float[] {0.5f}, 1));
        archive.save_to(file.toString());
        return file;
    }

    /** A zip of deflated entries with data descriptors, as java.util.zip writes it. */
    static Path deflatedZip(Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.putNextEntry(new ZipEntry("text"));
            zip.write("spiking neurons fire once per block; ".repeat(50).getBytes());
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("empty"));
            zip.closeEntry();
        }
        return file;
    }

    static long crc(byte[] bytes, int offset, int length) {
        CRC32 c = new CRC32();
        c.update(bytes, offset, length);
        return c.getValue();
    }

    static int centralDirectory(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        return b.getInt(bytes.length - 22 + 16);
    }

    static byte[] withInt(byte[] bytes, int at, int value) {
        byte[] out = bytes.clone();
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
        return out;
    }

    static byte[] withShort(byte[] bytes, int at, int value) {
        byte[] out = bytes.clone();
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putShort(at, (short) value);
        return out;
    }
}
