package snn.interop;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The safetensors format: an unsigned 64-bit little-endian header length N, N bytes of JSON (padded with spaces
 * so the data start 8-byte aligned) mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin,
 * end]}} (offsets relative to the data section) plus an optional {@code "__metadata__"} object of strings, then the
 * tensors' raw little-endian bytes, back to back in header order.
 */
public final class SafetensorsFormat {

    static final String METADATA = "__metadata__";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private SafetensorsFormat() {
    }

    /**
     * Writes a safetensors file atomically; the metadata becomes {@code __metadata__}.
     *
     * @param content the tensors (any device; written as CPU little-endian bytes) and string metadata
     * @param file    the file, created with its folders or replaced
     * @throws IllegalArgumentException when a tensor is named {@code __metadata__}, has an unsupported element type
     *                                  or exceeds 2 GB
     * @throws InteropException         when the file cannot be written
     */
    public static void write(TensorFile content, Path file) {
        AtomicFile.write(file, out -> write(content, out));
    }

    static void write(TensorFile content, OutputStream out) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!content.metadata().isEmpty()) {
            ObjectNode meta = header.putObject(METADATA);
            content.metadata().forEach(meta::put);
        }
        List<byte[]> data = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : content.tensors().entrySet()) {
            if (e.getKey().equals(METADATA)) {
                throw new IllegalArgumentException("a tensor cannot be named " + METADATA);
            }
            Tensor t = e.getValue();
            byte[] bytes = TensorBytes.bytes(t, e.getKey());
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", TensorBytes.dtype(t, e.getKey()).safetensorsName);
            ArrayNode shape = entry.putArray("shape");
            for (long s : t.sizes().vec().get()) {
                shape.add(s);
            }
            entry.putArray("data_offsets").add(offset).add(offset + bytes.length);
            offset += bytes.length;
            data.add(bytes);
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        out.write(headerBytes);
        for (byte[] bytes : data) {
            out.write(bytes);
        }
        out.flush();
    }

    /**
     * Reads a safetensors file.
     *
     * @param file the file
     * @return its tensors, on the CPU, in header order, and its {@code __metadata__} strings
     * @throws InteropException naming the file and what is wrong with it
     */
    public static TensorFile read(Path file) {
        byte[] all;
        try {
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 16) {
                throw new InteropException(file + ": larger than 2 GB, which snn does not read");
            }
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InteropException(file + ": no such file");
        } catch (IOException e) {
            throw new InteropException(file + ": cannot read: " + e, e);
        }
        if (all.length < 8) {
            throw new InteropException(file + ": too short for a safetensors file");
        }
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 2 || n > MAX_HEADER || n > all.length - 8) {
            throw new InteropException(file + ": not a safetensors file (header length " + Long.toUnsignedString(n)
                    + " does not fit the file's " + all.length + " bytes)");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new InteropException(file + ": the safetensors header is not valid JSON: " + e.getOriginalMessage());
        }
        if (header == null || !header.isObject()) {
            throw new InteropException(file + ": the safetensors header is not a JSON object");
        }
        int dataStart = 8 + (int) n;
        long dataLength = all.length - dataStart;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode value = e.getValue();
            if (name.equals(METADATA)) {
                if (!value.isObject()) {
                    throw new InteropException(file + ": " + METADATA + " is not a JSON object");
                }
                value.fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) {
                        throw new InteropException(file + ": " + METADATA + "." + m.getKey() + " is not a string");
                    }
                    metadata.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            tensors.put(name, tensor(file, name, value, all, dataStart, dataLength));
        }
        return new TensorFile(tensors, metadata);
    }

    private static Tensor tensor(Path file, String name, JsonNode entry, byte[] all, int dataStart, long dataLength) {
        String where = file + ": tensor '" + name + "'";
        if (!entry.isObject()) {
            throw new InteropException(where + " is not described by a JSON object");
        }
        String dtypeName = entry.path("dtype").asText("");
        DType type = DType.fromSafetensors(dtypeName).orElseThrow(() -> new InteropException(where
                + " has dtype '" + dtypeName + "'; snn reads F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL"));
        JsonNode shapeNode = entry.path("shape");
        JsonNode offsets = entry.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new InteropException(where + " needs a 'shape' array and two 'data_offsets'");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new InteropException(where + " has an invalid shape " + shapeNode);
            }
            shape[i] = d.asLong();
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        long expected = Math.multiplyExact(TensorBytes.numel(shape), type.size);
        if (begin < 0 || end < begin || end > dataLength) {
            throw new InteropException(where + " has data_offsets " + offsets + " outside the " + dataLength
                    + " data bytes (truncated or corrupt file)");
        }
        if (end - begin != expected) {
            throw new InteropException(where + " has " + (end - begin) + " data bytes; shape " + shapeNode + " of "
                    + dtypeName + " needs " + expected);
        }
        return TensorBytes.tensor(type, shape, all, Math.toIntExact(dataStart + begin));
    }
}
