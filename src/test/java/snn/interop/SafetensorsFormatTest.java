package snn.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import snn.runtime.TorchRuntime;
import snn.core.InteropException;

class SafetensorsFormatTest {

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    @Test
    void roundTripKeepsNamesTypesShapesValuesAndMetadata(@TempDir Path dir) {
        Path file = dir.resolve("t.safetensors");
        Map<String, String> metadata = Map.of("snn_metadata", "{\"a\": 1}", "other", "x");
        SafetensorsFormat.write(new TensorFile(TorchFormatTest.assorted(), metadata), file);
        TensorFile back = SafetensorsFormat.read(file);
        TorchFormatTest.assertSameContent(TorchFormatTest.assorted(), back.tensors());
        assertEquals(metadata, back.metadata());
    }

    @Test
    void fileHasTheSafetensorsLayout(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("t.safetensors");
        SafetensorsFormat.write(new TensorFile(TorchFormatTest.assorted(), Map.of("k", "v")), file);
        byte[] all = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8, "data start 8-byte aligned");
        JsonNode header = Fixtures.JSON.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8).strip());
        assertEquals("v", header.get("__metadata__").get("k").asText());
        JsonNode f32 = header.get("f32");
        assertEquals("F32", f32.get("dtype").asText());
        assertEquals("[2,3]", f32.get("shape").toString());
        assertEquals("[0,24]", f32.get("data_offsets").toString());
        assertEquals("BF16", header.get("bf16").get("dtype").asText());
        assertEquals("BOOL", header.get("bool").get("dtype").asText());
        assertEquals("[]", header.get("i32").get("shape").toString());
        // Offsets are contiguous from 0 and cover the data section exactly.
        long expectedBegin = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonNode offsets = e.getValue().get("data_offsets");
            assertEquals(expectedBegin, offsets.get(0).asLong(), "begin of " + e.getKey());
            expectedBegin = offsets.get(1).asLong();
        }
        assertEquals(all.length - 8 - n, expectedBegin, "data section length");
        // A float32 value is stored little-endian at its offset.
        assertEquals(1.5f, ByteBuffer.wrap(all, (int) (8 + n), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
    }

    @Test
    void damagedFilesAreRejectedWithTheirName(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("good.safetensors");
        SafetensorsFormat.write(new TensorFile(TorchFormatTest.assorted(), Map.of()), good);
        byte[] all = Files.readAllBytes(good);

        Path truncated = dir.resolve("truncated.safetensors");
        Files.write(truncated, java.util.Arrays.copyOf(all, all.length - 5));
        assertMessage(truncated, "outside");

        Path badType = dir.resolve("badtype.safetensors");
        writeRaw(badType, "{\"x\": {\"dtype\": \"C64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", new byte[8]);
        assertMessage(badType, "dtype 'C64'");

        Path wrongSize = dir.resolve("wrongsize.safetensors");
        writeRaw(wrongSize, "{\"x\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", new byte[8]);
        assertMessage(wrongSize, "needs 12");

        Path badLength = dir.resolve("badlength.safetensors");
        Files.write(badLength, new byte[] {(byte) 0xFF, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
        assertMessage(badLength, "not a safetensors file");
    }

    /** The format has no checksum, so everything else is checked: header bytes, keys and the data layout. */
    @Test
    void headerAndLayoutAreCheckedStrictly(@TempDir Path dir) throws IOException {
        String a = "\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}";
        assertRaw(dir, "gap", "{" + a + ", \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]}}",
                12, "tensor 'b' starts at data byte 8, expected 4 (the tensors' data_offsets leave a gap");
        assertRaw(dir, "overlap", "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8, "overlap");
        assertRaw(dir, "trailing", "{" + a + "}", 8, "4 bytes follow the last tensor's data");
        assertRaw(dir, "duplicate", "{" + a + ", " + a + "}", 4, "Duplicate field 'a'");
        assertRaw(dir, "unknown", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4],"
                + " \"crc\": 1}}", 4, "unknown key 'crc'");
        assertRaw(dir, "fractional", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4.0]}}",
                4, "expected two integers");
        assertRaw(dir, "huge", "{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296],"
                + " \"data_offsets\": [0, 4]}}", 4, "too large");
        assertRaw(dir, "newline", "{" + a + "}\n", 4, "padded with other characters than spaces");
        assertRaw(dir, "space-first", " {" + a + "}", 4, "does not start with '{'");
        assertRaw(dir, "trailing-token", "{" + a + "} {}", 4, "Trailing token");
        Path latin1 = dir.resolve("latin1.safetensors");
        byte[] header = ("{\"__metadata__\": {\"k\": \"caf\u00e9\"}, " + a + "}")
                .getBytes(StandardCharsets.ISO_8859_1);
        writeRaw(latin1, header, new byte[4]);
        assertMessage(latin1, "not valid UTF-8");
        // The same layout, well formed, reads.
        Path good = dir.resolve("good.safetensors");
        writeRaw(good, "{" + a + "}  ", new byte[4]);
        assertEquals(1, SafetensorsFormat.read(good).tensors().size());
    }

    static void assertRaw(Path dir, String name, String header, int dataBytes, String fragment) throws IOException {
        Path file = dir.resolve(name + ".safetensors");
        writeRaw(file, header, new byte[dataBytes]);
        assertMessage(file, fragment);
    }

    static void writeRaw(Path file, String header, byte[] data) throws IOException {
        writeRaw(file, header.getBytes(StandardCharsets.UTF_8), data);
    }

    static void writeRaw(Path file, byte[] h, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(file, b.array());
    }

    static void assertMessage(Path file, String fragment) {
        InteropException e = assertThrows(InteropException.class, () -> SafetensorsFormat.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(fragment), e.getMessage());
    }
}
