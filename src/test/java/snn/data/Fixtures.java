package snn.data;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.random.RandomGenerator;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import snn.config.DataConfig;

/** Shared helpers of the dataset tests: fixture paths, dense samples, IDX and N-MNIST writers. */
final class Fixtures {

    private Fixtures() {
    }

    /** A folder or file under {@code src/test/resources/fixtures}. */
    static Path resource(String relative) {
        URL url = Fixtures.class.getResource("/fixtures/" + relative);
        if (url == null) {
            throw new IllegalStateException("missing test fixture " + relative
                    + " (regenerate with /usr/bin/python3 src/test/resources/fixtures/make_fixtures.py)");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code expected.json}: per split, per sample, the label and (channel, bin, count) triples. */
    static JsonNode expected() {
        return json("expected.json");
    }

    static JsonNode json(String relative) {
        try {
            return new ObjectMapper().readTree(resource(relative).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A data config with the dataset's defaults. */
    static DataConfig config(String dataset, Path root) {
        return DataConfig.of(dataset, root);
    }

    /** Sample {@code index} written into a fresh zeroed buffer, as floats {@code [channels * timeSteps]}. */
    static float[] dense(SpikeDataset d, int index) {
        return dense(d, index, null);
    }

    /** As {@link #dense(SpikeDataset, int)}, through the augmenting overload when {@code random} is given. */
    static float[] dense(SpikeDataset d, int index, RandomGenerator random) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate((long) d.channels() * d.timeSteps() * Float.BYTES, 64);
            if (random == null) {
                d.writeSample(index, segment);
            } else {
                d.writeSample(index, segment, random);
            }
            return segment.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    /** The dense tensor that (channel, bin, count) triples describe. */
    static float[] denseFromTriples(JsonNode triples, int channels, int timeSteps) {
        float[] dense = new float[channels * timeSteps];
        for (JsonNode t : triples) {
            dense[t.get(0).asInt() * timeSteps + t.get(1).asInt()] += t.get(2).asInt();
        }
        return dense;
    }

    /** Writes an IDX3 images file ({@code images[i]} row-major bytes), gzipped when the name ends in .gz. */
    static void writeIdxImages(Path file, int rows, int cols, byte[]... images) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + images.length * rows * cols);
        b.putInt(0x00000803).putInt(images.length).putInt(rows).putInt(cols);
        for (byte[] image : images) {
            b.put(image);
        }
        write(file, b.array());
    }

    /** Writes an IDX1 labels file, gzipped when the name ends in .gz. */
    static void writeIdxLabels(Path file, int... labels) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(0x00000801).putInt(labels.length);
        for (int label : labels) {
            b.put((byte) label);
        }
        write(file, b.array());
    }

    /** Writes {@code bytes} to {@code file}, gzip-compressed when its name ends in .gz. */
    static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (file.getFileName().toString().endsWith(".gz")) {
            try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
                out.write(bytes);
            }
        } else {
            Files.write(file, bytes);
        }
    }

    /** One N-MNIST event as its 5 bytes: x, y, polarity bit and 23-bit microseconds. */
    static byte[] nmnistEvent(int x, int y, int polarity, int microseconds) {
        return new byte[] {(byte) x, (byte) y, (byte) (polarity << 7 | (microseconds >>> 16) & 0x7F),
            (byte) (microseconds >>> 8), (byte) microseconds};
    }
}
