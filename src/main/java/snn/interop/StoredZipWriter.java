package snn.interop;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A minimal zip writer for the {@code torch.save} container: uncompressed ("stored") entries whose data start on
 * 64-byte boundaries (as PyTorch's own writer aligns them, so readers may map tensors in place), fixed timestamps
 * (the output depends only on the content), and no ZIP64, so an archive is limited to 4 GB.
 */
final class StoredZipWriter {

    private static final int ALIGNMENT = 64;
    private static final int LOCAL_HEADER = 30;
    private static final short PADDING_FIELD_ID = 0x4246; // "FB", the id PyTorch's writer uses for padding
    private static final int DOS_DATE_1980_01_01 = (1 << 5) | 1;
    private static final long LIMIT = 0xFFFF_FFFFL;

    private record Entry(byte[] name, long crc, long size, long offset) {
    }

    private final OutputStream out;
    private final List<Entry> entries = new ArrayList<>();
    private long position;

    StoredZipWriter(OutputStream out) {
        this.out = out;
    }

    /** Adds an entry holding {@code data}. */
    void add(String name, byte[] data) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        CRC32 crc = new CRC32();
        crc.update(data);
        long offset = position;
        int unpadded = (int) ((offset + LOCAL_HEADER + nameBytes.length) % ALIGNMENT);
        int padding = unpadded == 0 ? 0 : ALIGNMENT - unpadded;
        if (padding > 0 && padding < 4) {
            padding += ALIGNMENT; // an extra field needs at least its 4-byte header
        }
        checkLimit(offset + LOCAL_HEADER + nameBytes.length + padding + data.length);
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        int32(header, 0x04034b50);
        int16(header, 20); // version needed: 2.0
        int16(header, 0); // flags
        int16(header, 0); // stored
        int16(header, 0); // time 00:00
        int16(header, DOS_DATE_1980_01_01);
        int32(header, crc.getValue());
        int32(header, data.length);
        int32(header, data.length);
        int16(header, nameBytes.length);
        int16(header, padding);
        header.write(nameBytes);
        if (padding > 0) {
            int16(header, PADDING_FIELD_ID);
            int16(header, padding - 4);
            header.write(new byte[padding - 4]);
        }
        write(header.toByteArray());
        write(data);
        entries.add(new Entry(nameBytes, crc.getValue(), data.length, offset));
    }

    /** Writes the central directory; the stream stays open. */
    void finish() throws IOException {
        long start = position;
        ByteArrayOutputStream dir = new ByteArrayOutputStream();
        for (Entry e : entries) {
            int32(dir, 0x02014b50);
            int16(dir, 20); // made by
            int16(dir, 20); // needed
            int16(dir, 0);
            int16(dir, 0);
            int16(dir, 0);
            int16(dir, DOS_DATE_1980_01_01);
            int32(dir, e.crc());
            int32(dir, e.size());
            int32(dir, e.size());
            int16(dir, e.name().length);
            int16(dir, 0); // extra
            int16(dir, 0); // comment
            int16(dir, 0); // disk
            int16(dir, 0); // internal attributes
            int32(dir, 0); // external attributes
            int32(dir, e.offset());
            dir.write(e.name());
        }
        if (entries.size() > 0xFFFF) {
            throw new IOException("more than 65535 zip entries");
        }
        int directorySize = dir.size();
        checkLimit(start + directorySize);
        int32(dir, 0x06054b50);
        int16(dir, 0);
        int16(dir, 0);
        int16(dir, entries.size());
        int16(dir, entries.size());
        int32(dir, directorySize);
        int32(dir, start);
        int16(dir, 0);
        write(dir.toByteArray());
        out.flush();
    }

    private void write(byte[] bytes) throws IOException {
        out.write(bytes);
        position += bytes.length;
    }

    private static void checkLimit(long end) throws IOException {
        if (end > LIMIT) {
            throw new IOException("the archive would exceed 4 GB, which this writer does not support (no ZIP64)");
        }
    }

    private static void int16(ByteArrayOutputStream b, int v) {
        b.write(v & 0xFF);
        b.write((v >>> 8) & 0xFF);
    }

    private static void int32(ByteArrayOutputStream b, long v) {
        int16(b, (int) (v & 0xFFFF));
        int16(b, (int) ((v >>> 16) & 0xFFFF));
    }
}
