package snn.interop;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import snn.io.AtomicFiles;

/**
 * TensorBoard event files ({@code events.out.tfevents.*}), written without TensorFlow: a sequence of TFRecords, each
 * holding one {@code tensorflow.Event} protocol buffer. TensorBoard ({@code tensorboard --logdir DIR}) reads them.
 *
 * <p>A TFRecord is the data's length (uint64, little-endian), the masked CRC-32C of those 8 bytes (uint32), the data,
 * and the masked CRC-32C of the data; a mask rotates the CRC right by 15 bits and adds {@code 0xa282ead8}. The first
 * event of a file holds {@code file_version = "brain.Event:2"}; each later one a wall time, a step and a
 * {@code Summary} of scalar values ({@code Event}: wall_time = 1 (double), step = 2 (int64), file_version = 3
 * (string), summary = 5; {@code Summary}: value = 1 (repeated); {@code Summary.Value}: tag = 1 (string),
 * simple_value = 2 (float)).
 */
public final class TensorBoardEvents {

    /** The version string of the event format TensorBoard reads. */
    public static final String FILE_VERSION = "brain.Event:2";

    private static final int MASK_DELTA = 0xa282ead8;

    /**
     * The scalars of one step.
     *
     * @param wallTime seconds since the epoch (Unix time) when they were measured
     * @param step     the step they belong to (snn: the epoch)
     * @param values   scalar values by tag, e.g. {@code train/loss}, in the order to write them
     */
    public record Scalars(double wallTime, long step, Map<String, Double> values) {
        /** Copies the values. */
        public Scalars {
            values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        }
    }

    private TensorBoardEvents() {
    }

    /**
     * Writes a whole event file atomically: the file-version event, then one event per element of {@code steps}.
     *
     * @param file      the file, whose name should start with {@code events.out.tfevents.}
     * @param startTime the wall time of the file-version event (Unix seconds)
     * @param steps     the scalars, in step order
     * @throws IOException when the file cannot be written
     */
    public static void write(Path file, double startTime, List<Scalars> steps) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        fixed64(event, 1, Double.doubleToRawLongBits(startTime));
        bytes(event, 3, FILE_VERSION.getBytes(StandardCharsets.UTF_8));
        record(out, event.toByteArray());
        for (Scalars s : steps) {
            record(out, event(s));
        }
        AtomicFiles.write(file, out.toByteArray());
    }

    /** The {@code Event} message of one step's scalars. */
    static byte[] event(Scalars s) {
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        s.values().forEach((tag, value) -> {
            ByteArrayOutputStream v = new ByteArrayOutputStream();
            bytes(v, 1, tag.getBytes(StandardCharsets.UTF_8));
            v.write((2 << 3) | 5); // simple_value: a 32-bit float
            v.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value.floatValue()).array());
            bytes(summary, 1, v.toByteArray());
        });
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        fixed64(event, 1, Double.doubleToRawLongBits(s.wallTime()));
        event.write(2 << 3); // step: a varint
        varint(event, s.step());
        bytes(event, 5, summary.toByteArray());
        return event.toByteArray();
    }

    /** Appends one TFRecord holding {@code data}. */
    static void record(ByteArrayOutputStream out, byte[] data) {
        byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        out.writeBytes(length);
        out.writeBytes(uint32(maskedCrc(length)));
        out.writeBytes(data);
        out.writeBytes(uint32(maskedCrc(data)));
    }

    /** The CRC-32C of {@code data}, masked as TFRecords store it. */
    static int maskedCrc(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    private static byte[] uint32(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }

    private static void fixed64(ByteArrayOutputStream out, int field, long bits) {
        out.write((field << 3) | 1);
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(bits).array());
    }

    private static void bytes(ByteArrayOutputStream out, int field, byte[] value) {
        out.write((field << 3) | 2);
        varint(out, value.length);
        out.writeBytes(value);
    }

    private static void varint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }
}
