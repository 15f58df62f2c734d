package snn.interop;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import snn.core.InteropException;

/**
 * Checks a zip archive end to end before anything reads it, so a damaged checkpoint is refused instead of loaded
 * with wrong values. {@code java.util.zip.ZipFile} and LibTorch's reader both trust the stored CRC-32s without
 * recomputing them; this class recomputes every one.
 *
 * <p>The checks, each failing with an {@link InteropException} that names the file and, where there is one, the
 * entry:
 * <ul>
 * <li>the end-of-central-directory record ends the file exactly (a truncated file has none), and with a ZIP64
 * record the two agree;</li>
 * <li>the central directory lies just before that record, holds exactly the number of entries it announces, each
 * name once, and uses nothing but stored or deflated files (no folders) on one disk without encryption;</li>
 * <li>every entry's local header repeats its central-directory record (name, version, flags, method, time, date,
 * CRC-32 and sizes; with a data descriptor, the descriptor after the data carries the CRC-32 and sizes);</li>
 * <li>every entry's data lie inside the file before the central directory without overlapping another entry, and
 * their CRC-32 and length (after decompression, for deflated entries) are the recorded ones.</li>
 * </ul>
 * It reads the torch.save archives of snn ({@link TorchFormat}) and of Python's PyTorch, and LibTorch's
 * {@code OutputArchive} files (data descriptors, deflated code entries, ZIP64 end records). Bytes no reader uses
 * (alignment padding inside extra fields, the archive comment, the version-made-by and the attribute fields other
 * than the folder marks) are not covered: changing them changes nothing read.
 */
public final class ZipVerifier {

    private static final int LOCAL_SIGNATURE = 0x04034b50;
    private static final int CENTRAL_SIGNATURE = 0x02014b50;
    private static final int END_SIGNATURE = 0x06054b50;
    private static final int ZIP64_END_SIGNATURE = 0x06064b50;
    private static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
    private static final int DESCRIPTOR_SIGNATURE = 0x08074b50;
    private static final int LOCAL_LENGTH = 30;
    private static final int CENTRAL_LENGTH = 46;
    private static final int END_LENGTH = 22;
    private static final int ZIP64_LOCATOR_LENGTH = 20;
    private static final int ZIP64_END_LENGTH = 56;
    private static final int MAX_COMMENT = 0xFFFF;
    private static final int ZIP64_EXTRA_ID = 0x0001;
    private static final long U16_MAX = 0xFFFF;
    private static final long U32_MAX = 0xFFFF_FFFFL;
    private static final int STORED = 0;
    private static final int DEFLATED = 8;
    private static final int FLAG_DESCRIPTOR = 0x0008;
    /** Deflate speed hints (bits 1 and 2), the data descriptor (bit 3) and UTF-8 names (bit 11). */
    private static final int READABLE_FLAGS = 0x0002 | 0x0004 | FLAG_DESCRIPTOR | 0x0800;
    private static final long DOS_DIRECTORY = 0x10;
    private static final long UNIX_FILE_TYPE = 0xF000;
    private static final long UNIX_DIRECTORY = 0x4000;
    private static final long MAX_CENTRAL_DIRECTORY = 64L << 20;
    private static final int CHUNK = 1 << 20;

    private ZipVerifier() {
    }

    /**
     * Verifies {@code file} as described in the class comment.
     *
     * @param file a zip archive
     * @throws InteropException naming the file (and the entry, for a damaged entry) when any check fails or the file
     *                          cannot be read
     */
    public static void verify(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            new Archive(file, channel).verify();
        } catch (NoSuchFileException e) {
            throw new InteropException(file + ": no such file");
        } catch (IOException e) {
            throw new InteropException(file + ": cannot read: " + e, e);
        }
    }

    /** One central-directory record; sizes and offset with their ZIP64 values filled in. */
    private record Entry(String name, byte[] rawName, int version, int flags, int method, int time, int date,
            long crc, long compressedSize, long size, long offset) {

        boolean hasDescriptor() {
            return (flags & FLAG_DESCRIPTOR) != 0;
        }
    }

    /** The central directory's place and size, from the end records. */
    private record Directory(long offset, long size, long entries, long end) {
    }

    /** The verification of one open file. */
    private static final class Archive {
        private final Path file;
        private final FileChannel channel;
        private final long length;

        Archive(Path file, FileChannel channel) throws IOException {
            this.file = file;
            this.channel = channel;
            this.length = channel.size();
        }

        void verify() throws IOException {
            Directory directory = directory();
            List<Entry> entries = entries(directory);
            List<Entry> byOffset = new ArrayList<>(entries);
            byOffset.sort(Comparator.comparingLong(Entry::offset));
            for (int i = 0; i < byOffset.size(); i++) {
                Entry e = byOffset.get(i);
                long limit = i + 1 < byOffset.size() ? byOffset.get(i + 1).offset() : directory.offset();
                long end = verifyEntry(e, limit);
                if (end > limit) {
                    throw corruptEntry(e, "its data overlap " + (i + 1 < byOffset.size()
                            ? "entry " + byOffset.get(i + 1).name() : "the central directory"));
                }
            }
        }

        /** Finds and checks the end records; returns where the central directory is. */
        private Directory directory() throws IOException {
            int tail = (int) Math.min(length, END_LENGTH + MAX_COMMENT);
            ByteBuffer b = read(length - tail, tail);
            long end = -1;
            for (int p = tail - END_LENGTH; p >= 0; p--) {
                if (b.getInt(p) == END_SIGNATURE && p + END_LENGTH + u16(b, p + 20) == tail) {
                    end = length - tail + p;
                    b.position(p);
                    break;
                }
            }
            if (end < 0) {
                throw new InteropException(file + ": truncated or not a zip archive (no end-of-central-directory"
                        + " record ends the file's " + length + " bytes)");
            }
            ByteBuffer record = b.slice().order(ByteOrder.LITTLE_ENDIAN);
            long disk = u16(record, 4);
            long directoryDisk = u16(record, 6);
            long entriesHere = u16(record, 8);
            long entries = u16(record, 10);
            long size = u32(record, 12);
            long offset = u32(record, 16);
            long directoryEnd = end;
            if (end >= ZIP64_LOCATOR_LENGTH && read(end - ZIP64_LOCATOR_LENGTH, 4).getInt(0) == ZIP64_LOCATOR_SIGNATURE) {
                ByteBuffer locator = read(end - ZIP64_LOCATOR_LENGTH, ZIP64_LOCATOR_LENGTH);
                long recordOffset = locator.getLong(8);
                if (locator.getInt(4) != 0 || locator.getInt(16) != 1 || recordOffset < 0
                        || recordOffset > end - ZIP64_LOCATOR_LENGTH - ZIP64_END_LENGTH) {
                    throw corrupt("the ZIP64 end locator is damaged");
                }
                ByteBuffer zip64 = read(recordOffset, ZIP64_END_LENGTH);
                long recordEnd = recordOffset + 12 + zip64.getLong(4);
                if (zip64.getInt(0) != ZIP64_END_SIGNATURE || recordEnd != end - ZIP64_LOCATOR_LENGTH) {
                    throw corrupt("the ZIP64 end record is damaged or misplaced");
                }
                if (zip64.getInt(16) != 0 || zip64.getInt(20) != 0 || zip64.getLong(24) != zip64.getLong(32)) {
                    throw corrupt("the ZIP64 end record describes a multi-disk archive");
                }
                entries = agree("entry count", entries, U16_MAX, zip64.getLong(32));
                entriesHere = agree("entry count on this disk", entriesHere, U16_MAX, zip64.getLong(24));
                size = agree("central directory size", size, U32_MAX, zip64.getLong(40));
                offset = agree("central directory offset", offset, U32_MAX, zip64.getLong(48));
                disk = disk == U16_MAX ? 0 : disk;
                directoryDisk = directoryDisk == U16_MAX ? 0 : directoryDisk;
                directoryEnd = recordOffset;
            }
            if (disk != 0 || directoryDisk != 0 || entriesHere != entries) {
                throw corrupt("the end record describes a multi-disk archive (disk " + disk + ", directory disk "
                        + directoryDisk + ", " + entriesHere + " of " + entries + " entries here)");
            }
            if (offset < 0 || size < 0 || offset + size != directoryEnd) {
                throw corrupt("the central directory (" + size + " bytes at offset " + offset
                        + ") does not end where the end records begin (" + directoryEnd + ")");
            }
            if (size > MAX_CENTRAL_DIRECTORY) {
                throw corrupt("a central directory of " + size + " bytes");
            }
            return new Directory(offset, size, entries, directoryEnd);
        }

        private long agree(String what, long short32, long escape, long wide) {
            if (short32 != escape && short32 != wide) {
                throw corrupt("the end record and the ZIP64 end record disagree on the " + what + " (" + short32
                        + " and " + wide + ")");
            }
            return wide;
        }

        /** Parses and checks the central directory. */
        private List<Entry> entries(Directory directory) throws IOException {
            ByteBuffer d = read(directory.offset(), (int) directory.size());
            List<Entry> entries = new ArrayList<>();
            Set<String> names = new HashSet<>();
            int p = 0;
            while (p < d.limit()) {
                if (entries.size() == directory.entries()) {
                    throw corrupt("the central directory holds more than the " + directory.entries()
                            + " entries the end record announces");
                }
                if (d.limit() - p < CENTRAL_LENGTH || d.getInt(p) != CENTRAL_SIGNATURE) {
                    throw corrupt("central directory record " + (entries.size() + 1) + " is damaged");
                }
                int nameLength = u16(d, p + 28);
                int extraLength = u16(d, p + 30);
                int commentLength = u16(d, p + 32);
                int next = p + CENTRAL_LENGTH + nameLength + extraLength + commentLength;
                if (next > d.limit()) {
                    throw corrupt("central directory record " + (entries.size() + 1) + " runs past the directory");
                }
                byte[] rawName = bytes(d, p + CENTRAL_LENGTH, nameLength);
                String name = new String(rawName, StandardCharsets.UTF_8);
                Map<Integer, ByteBuffer> extra = extraFields(d, p + CENTRAL_LENGTH + nameLength, extraLength, name);
                ByteBuffer zip64 = extra.get(ZIP64_EXTRA_ID);
                long size = u32(d, p + 24);
                long compressed = u32(d, p + 20);
                long offset = u32(d, p + 42);
                long disk = u16(d, p + 34);
                size = size == U32_MAX ? wide(zip64, name, "size") : size;
                compressed = compressed == U32_MAX ? wide(zip64, name, "compressed size") : compressed;
                offset = offset == U32_MAX ? wide(zip64, name, "offset") : offset;
                if (disk == U16_MAX && zip64 != null && zip64.remaining() >= 4) {
                    disk = zip64.getInt();
                }
                Entry e = new Entry(name, rawName, u16(d, p + 6), u16(d, p + 8), u16(d, p + 10), u16(d, p + 12),
                        u16(d, p + 14), u32(d, p + 16), compressed, size, offset);
                if (!names.add(name)) {
                    throw corrupt("two entries are named " + name);
                }
                if (disk != 0) {
                    throw corruptEntry(e, "it starts on disk " + disk + " of a one-disk archive");
                }
                long attributes = u32(d, p + 38);
                if (name.endsWith("/") || (attributes & DOS_DIRECTORY) != 0
                        || ((attributes >>> 16) & UNIX_FILE_TYPE) == UNIX_DIRECTORY) {
                    // LibTorch's reader skips the data of directory entries, leaving the tensor unread.
                    throw corruptEntry(e, String.format("it is marked as a folder (attributes 0x%08x)", attributes));
                }
                if ((e.flags() & ~READABLE_FLAGS) != 0) {
                    throw corruptEntry(e, String.format("general-purpose flags 0x%04x: encrypted or unknown",
                            e.flags()));
                }
                if (e.method() != STORED && e.method() != DEFLATED) {
                    throw corruptEntry(e, "compression method " + e.method() + "; zip readers of snn and LibTorch"
                            + " read stored (0) and deflated (8) entries");
                }
                if (e.method() == STORED && e.compressedSize() != e.size()) {
                    throw corruptEntry(e, "a stored entry with " + e.compressedSize() + " stored bytes for "
                            + e.size() + " bytes of data");
                }
                if (e.offset() < 0 || e.offset() > directory.offset() - LOCAL_LENGTH) {
                    throw corruptEntry(e, "its local header offset " + e.offset() + " lies outside the data area");
                }
                entries.add(e);
                p = next;
            }
            if (entries.size() != directory.entries()) {
                throw corrupt("the central directory holds " + entries.size() + " entries; the end record announces "
                        + directory.entries());
            }
            return entries;
        }

        /**
         * Checks one entry's local header, data and data descriptor against its central record.
         *
         * @return the position just after the entry (after its data descriptor, if any)
         */
        private long verifyEntry(Entry e, long limit) throws IOException {
            ByteBuffer h = read(e.offset(), LOCAL_LENGTH);
            if (h.getInt(0) != LOCAL_SIGNATURE) {
                throw corruptEntry(e, "no local header at offset " + e.offset());
            }
            int nameLength = u16(h, 26);
            int extraLength = u16(h, 28);
            long nameAt = e.offset() + LOCAL_LENGTH;
            if (nameAt + nameLength + extraLength > limit) {
                throw corruptEntry(e, "its local header runs past the next entry");
            }
            byte[] localName = bytes(read(nameAt, nameLength), 0, nameLength);
            if (!Arrays.equals(localName, e.rawName())) {
                throw corruptEntry(e, "its local header names it "
                        + new String(localName, StandardCharsets.UTF_8));
            }
            Map<Integer, ByteBuffer> extra = extraFields(read(nameAt + nameLength, extraLength), 0, extraLength,
                    e.name());
            same(e, "version needed", u16(h, 4), e.version());
            same(e, "flags", u16(h, 6), e.flags());
            same(e, "compression method", u16(h, 8), e.method());
            same(e, "time", u16(h, 10), e.time());
            same(e, "date", u16(h, 12), e.date());
            ByteBuffer zip64 = extra.get(ZIP64_EXTRA_ID);
            long size = u32(h, 22);
            long compressed = u32(h, 18);
            size = size == U32_MAX && zip64 != null ? wide(zip64, e.name(), "size") : size;
            compressed = compressed == U32_MAX && zip64 != null ? wide(zip64, e.name(), "compressed size") : compressed;
            long crc = u32(h, 14);
            if (e.hasDescriptor()) {
                // The writer knew the values only after the data: the local header holds zeros (or the values).
                sameOrZero(e, "CRC-32", crc, e.crc());
                sameOrZero(e, "compressed size", compressed, e.compressedSize());
                sameOrZero(e, "size", size, e.size());
            } else {
                same(e, "CRC-32", crc, e.crc());
                same(e, "compressed size", compressed, e.compressedSize());
                same(e, "size", size, e.size());
            }
            long dataStart = nameAt + nameLength + extraLength;
            long dataEnd = dataStart + e.compressedSize();
            if (dataEnd > limit) {
                throw corruptEntry(e, "its " + e.compressedSize() + " bytes of data run past the next entry");
            }
            checkData(e, dataStart);
            return e.hasDescriptor() ? descriptorEnd(e, dataEnd) : dataEnd;
        }

        /** Recomputes the entry's CRC-32 and length from its data. */
        private void checkData(Entry e, long start) throws IOException {
            CRC32 crc = new CRC32();
            long produced;
            if (e.method() == STORED) {
                long left = e.size();
                long position = start;
                while (left > 0) {
                    ByteBuffer chunk = read(position, (int) Math.min(CHUNK, left));
                    crc.update(chunk);
                    position += CHUNK;
                    left -= CHUNK;
                }
                produced = e.size();
            } else {
                produced = inflate(e, start, crc);
            }
            if (produced != e.size()) {
                throw corruptEntry(e, "its data decompress to " + produced + " bytes, expected " + e.size());
            }
            if (crc.getValue() != e.crc()) {
                throw corruptEntry(e, String.format("CRC-32 0x%08x, expected 0x%08x", crc.getValue(), e.crc()));
            }
        }

        /** Inflates a deflated entry into {@code crc}; returns the number of bytes it decompresses to. */
        private long inflate(Entry e, long start, CRC32 crc) throws IOException {
            Inflater inflater = new Inflater(true);
            try {
                byte[] out = new byte[CHUNK];
                long produced = 0;
                long left = e.compressedSize();
                long position = start;
                boolean padded = false;
                while (!inflater.finished()) {
                    if (inflater.needsInput()) {
                        if (left > 0) {
                            ByteBuffer chunk = read(position, (int) Math.min(CHUNK, left));
                            position += chunk.remaining();
                            left -= chunk.remaining();
                            inflater.setInput(chunk);
                        } else if (!padded) {
                            inflater.setInput(new byte[1]); // raw inflate may ask for one byte past the stream
                            padded = true;
                        } else {
                            throw corruptEntry(e, "its deflated data end before the deflate stream does");
                        }
                    }
                    int n = inflater.inflate(out);
                    crc.update(out, 0, n);
                    produced += n;
                    if (produced > e.size()) {
                        return produced;
                    }
                    if (n == 0 && inflater.needsDictionary()) {
                        throw corruptEntry(e, "its deflate stream asks for a preset dictionary");
                    }
                }
                if (left > 0 || (!padded && inflater.getRemaining() > 0)) {
                    throw corruptEntry(e, "its deflate stream ends before its " + e.compressedSize()
                            + " stored bytes do");
                }
                return produced;
            } catch (DataFormatException ex) {
                throw corruptEntry(e, "its deflated data are damaged: " + ex.getMessage());
            } finally {
                inflater.end();
            }
        }

        /** Checks the data descriptor after {@code dataEnd}; returns the position after it. */
        private long descriptorEnd(Entry e, long dataEnd) throws IOException {
            long p = dataEnd;
            if (p + 4 <= length && read(p, 4).getInt(0) == DESCRIPTOR_SIGNATURE) {
                p += 4;
            }
            if (p + 12 <= length) {
                ByteBuffer d = read(p, (int) Math.min(20, length - p));
                if (u32(d, 0) == e.crc() && u32(d, 4) == e.compressedSize() && u32(d, 8) == e.size()) {
                    return p + 12;
                }
                if (d.limit() == 20 && u32(d, 0) == e.crc() && d.getLong(4) == e.compressedSize()
                        && d.getLong(12) == e.size()) {
                    return p + 20;
                }
            }
            throw corruptEntry(e, String.format("its data descriptor does not hold its CRC-32 0x%08x and sizes %d/%d",
                    e.crc(), e.compressedSize(), e.size()));
        }

        /** The extra fields of a record by id, each a little-endian buffer over its data. */
        private Map<Integer, ByteBuffer> extraFields(ByteBuffer b, int start, int length, String name) {
            Map<Integer, ByteBuffer> fields = new HashMap<>();
            int p = start;
            int end = start + length;
            while (p < end) {
                if (end - p < 4 || p + 4 + u16(b, p + 2) > end) {
                    throw corrupt("entry " + name + " has a damaged extra field");
                }
                int size = u16(b, p + 2);
                ByteBuffer data = b.slice(p + 4, size).order(ByteOrder.LITTLE_ENDIAN);
                if (fields.put(u16(b, p), data) != null) {
                    throw corrupt("entry " + name + " repeats extra field " + u16(b, p));
                }
                p += 4 + size;
            }
            return fields;
        }

        /** The next 64-bit value of a ZIP64 extra field. */
        private long wide(ByteBuffer zip64, String name, String what) {
            if (zip64 == null || zip64.remaining() < 8) {
                throw corrupt("entry " + name + " has no ZIP64 " + what);
            }
            long v = zip64.getLong();
            if (v < 0) {
                throw corrupt("entry " + name + " has a negative ZIP64 " + what);
            }
            return v;
        }

        private void same(Entry e, String field, long local, long central) {
            if (local != central) {
                throw corruptEntry(e, "its local header has " + field + " " + describe(field, local)
                        + ", the central directory " + describe(field, central));
            }
        }

        private void sameOrZero(Entry e, String field, long local, long central) {
            if (local != 0) {
                same(e, field, local, central);
            }
        }

        private static String describe(String field, long value) {
            return field.equals("CRC-32") || field.equals("flags") ? String.format("0x%08x", value)
                    : Long.toString(value);
        }

        /** {@code count} bytes at {@code position}, little-endian; the file must hold them. */
        private ByteBuffer read(long position, int count) throws IOException {
            if (position < 0 || position + count > length) {
                throw corrupt("a record at offset " + position + " runs past the end of the file (" + length
                        + " bytes; truncated?)");
            }
            ByteBuffer b = ByteBuffer.allocate(count).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                if (channel.read(b, position + b.position()) < 0) {
                    throw corrupt("the file ended while reading it (" + length + " bytes expected)");
                }
            }
            return b.flip();
        }

        private InteropException corrupt(String detail) {
            return new InteropException(file + ": damaged zip archive: " + detail);
        }

        private InteropException corruptEntry(Entry e, String detail) {
            return new InteropException(file + ": entry " + e.name() + " is corrupt (" + detail + ")");
        }

        private static int u16(ByteBuffer b, int at) {
            return Short.toUnsignedInt(b.getShort(at));
        }

        private static long u32(ByteBuffer b, int at) {
            return Integer.toUnsignedLong(b.getInt(at));
        }

        private static byte[] bytes(ByteBuffer b, int at, int count) {
            byte[] out = new byte[count];
            b.get(at, out);
            return out;
        }
    }
}
