package snn.interop;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import snn.core.InteropException;

/**
 * The safetensors format: an unsigned 64-bit little-endian header length N, N bytes of JSON (padded with spaces
 * so the data start 8-byte aligned) mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin,
 * end]}} (offsets relative to the data section) plus an optional {@code "__metadata__"} object of strings, then the
 * tensors' raw little-endian bytes, back to back in header order.
 */
final class SafetensorsFormat {

    static final String METADATA = "__metadata__";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectReader STRICT_JSON = JSON.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Set<String> ENTRY_KEYS = new LinkedHashSet<>(List.of("dtype", "shape", "data_offsets"));

    /** One tensor as the header describes it: its bytes are {@code [begin, end)} of the data section. */
    private record Described(String name, DType type, long[] shape, long begin, long end) {
    }
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
     * Reads a safetensors file. The format has no checksum, so damaged tensor values cannot be detected; everything
     * else is checked strictly: the header length, a header of valid UTF-8 JSON (one object, no duplicate or unknown
     * keys, padded only with spaces), known dtypes, shapes whose size matches each tensor's byte range, and byte
     * ranges that tile the data section exactly (no gap, no overlap, nothing missing or left over).
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
        JsonNode header = header(file, all, (int) n);
        int dataStart = 8 + (int) n;
        long dataLength = all.length - dataStart;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Described> described = new ArrayList<>();
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
            described.add(describe(file, name, value, dataLength));
        }
        checkTiling(file, described, dataLength);
        for (Described d : described) {
            tensors.put(d.name(), TensorBytes.tensor(d.type(), d.shape(), all, Math.toIntExact(dataStart + d.begin())));
        }
        return new TensorFile(tensors, metadata);
    }

    /** Decodes and parses the header: strict UTF-8, one JSON object, padded with spaces only. */
    private static JsonNode header(Path file, byte[] all, int n) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(all, 8, n)).toString();
        } catch (CharacterCodingException e) {
            throw new InteropException(file + ": the safetensors header is not valid UTF-8 (corrupt file)");
        }
        if (!text.startsWith("{")) {
            throw new InteropException(file + ": the safetensors header does not start with '{' (corrupt file)");
        }
        int end = text.lastIndexOf('}');
        if (end < 0 || !text.substring(end + 1).chars().allMatch(c -> c == ' ')) {
            throw new InteropException(file + ": the safetensors header is padded with other characters than spaces"
                    + " (corrupt file)");
        }
        JsonNode header;
        try {
            header = STRICT_JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new InteropException(file + ": the safetensors header is not valid JSON: " + e.getOriginalMessage());
        }
        if (header == null || !header.isObject()) {
            throw new InteropException(file + ": the safetensors header is not a JSON object");
        }
        return header;
    }

    private static DType dtype(Path file, String name, JsonNode entry) {
        String dtypeName = entry.path("dtype").asText("");
        return DType.fromSafetensors(dtypeName).orElseThrow(() -> new InteropException(file + ": tensor '" + name
                + "' has dtype '" + dtypeName + "'; snn reads F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL"));
    }

    private static long[] shape(Path file, String name, JsonNode entry) {
        JsonNode shapeNode = entry.path("shape");
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new InteropException(file + ": tensor '" + name + "' has an invalid shape " + shapeNode);
            }
            shape[i] = d.asLong();
        }
        return shape;
    }

    /** Checks one tensor's description against itself and the data section's length. */
    private static Described describe(Path file, String name, JsonNode entry, long dataLength) {
        String where = file + ": tensor '" + name + "'";
        if (!entry.isObject()) {
            throw new InteropException(where + " is not described by a JSON object");
        }
        for (Iterator<String> keys = entry.fieldNames(); keys.hasNext();) {
            String key = keys.next();
            if (!ENTRY_KEYS.contains(key)) {
                throw new InteropException(where + " has an unknown key '" + key + "'; expected " + ENTRY_KEYS);
            }
        }
        DType type = dtype(file, name, entry);
        JsonNode shapeNode = entry.path("shape");
        JsonNode offsets = entry.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new InteropException(where + " needs a 'shape' array and two 'data_offsets'");
        }
        long[] shape = shape(file, name, entry);
        for (JsonNode o : offsets) {
            if (!o.isIntegralNumber() || !o.canConvertToLong()) {
                throw new InteropException(where + " has data_offsets " + offsets + "; expected two integers");
            }
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLength) {
            throw new InteropException(where + " has data_offsets " + offsets + " outside the " + dataLength
                    + " data bytes (truncated or corrupt file)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(TensorBytes.numel(shape), type.size);
        } catch (ArithmeticException e) {
            throw new InteropException(where + " has a shape " + shapeNode + " too large to exist");
        }
        if (end - begin != expected) {
            throw new InteropException(where + " has " + (end - begin) + " data bytes; shape " + shapeNode + " of "
                    + type.safetensorsName + " needs " + expected);
        }
        return new Described(name, type, shape, begin, end);
    }

    /**
     * Checks that the tensors' byte ranges cover the data section exactly once, as the format requires: a gap, an
     * overlap or bytes after the last tensor mean a damaged or hand-edited file.
     */
    private static void checkTiling(Path file, List<Described> tensors, long dataLength) {
        List<Described> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(Described::begin).thenComparingLong(Described::end));
        long next = 0;
        for (Described d : byOffset) {
            if (d.begin() != next) {
                throw new InteropException(file + ": tensor '" + d.name() + "' starts at data byte " + d.begin()
                        + ", expected " + next + " (the tensors' data_offsets " + (d.begin() < next ? "overlap"
                        : "leave a gap") + "; corrupt file)");
            }
            next = d.end();
        }
        if (next != dataLength) {
            throw new InteropException(file + ": " + (dataLength - next) + " bytes follow the last tensor's data"
                    + " (the header describes " + next + " of the file's " + dataLength + " data bytes; corrupt file)");
        }
    }
}
