package snn.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Unpacks downloaded archives (gzip, zip, gzipped tar) into a folder. Entry names that would land outside the
 * folder (absolute, or with {@code ..}) and links are refused.
 */
final class Archives {

    private static final int TAR_BLOCK = 512;

    private Archives() {
    }

    /** Decompresses the gzip file {@code gz} to {@code target}. */
    static void gunzip(Path gz, Path target) throws IOException {
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(gz), 1 << 16), 1 << 16);
                OutputStream out = Files.newOutputStream(target)) {
            in.transferTo(out);
        }
    }

    /** Extracts every entry of the zip file {@code zip} under {@code folder}. */
    static void unzip(Path zip, Path folder) throws IOException {
        try (ZipFile archive = new ZipFile(zip.toFile())) {
            Enumeration<? extends ZipEntry> entries = archive.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                Path target = inside(folder, entry.getName());
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                try (InputStream in = archive.getInputStream(entry)) {
                    Files.copy(in, target);
                }
            }
        }
    }

    /** Extracts every file and folder of the gzipped tar {@code tarGz} (ustar, with GNU long names) under {@code folder}. */
    static void untarGz(Path tarGz, Path folder) throws IOException {
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tarGz), 1 << 16))) {
            byte[] header = new byte[TAR_BLOCK];
            String longName = null;
            while (true) {
                readBlock(in, header);
                if (isZero(header)) {
                    return;
                }
                String name = longName != null ? longName : headerName(header);
                longName = null;
                long size = octal(header, 124, 12);
                char type = (char) header[156];
                switch (type) {
                    case '0', '\0', '7' -> {
                        Path target = inside(folder, name);
                        Files.createDirectories(target.getParent());
                        try (OutputStream out = Files.newOutputStream(target)) {
                            copy(in, out, size);
                        }
                        skipPadding(in, size);
                    }
                    case '5' -> {
                        Files.createDirectories(inside(folder, name));
                        skip(in, padded(size));
                    }
                    case 'L' -> {
                        byte[] nameBytes = in.readNBytes((int) size);
                        if (nameBytes.length < size) {
                            throw new EOFException("tar archive ends inside a long file name");
                        }
                        longName = cString(nameBytes, 0, nameBytes.length);
                        skipPadding(in, size);
                    }
                    case 'x', 'g' -> skip(in, padded(size));
                    default -> throw new IOException("tar entry '" + name + "' has type '" + type
                            + "' (links and devices are not unpacked)");
                }
            }
        }
    }

    /** {@code folder/name}, refusing names that escape {@code folder}. */
    static Path inside(Path folder, String name) throws IOException {
        Path target = folder.resolve(name).normalize();
        if (name.startsWith("/") || !target.startsWith(folder.normalize()) || target.equals(folder.normalize())) {
            throw new IOException("archive entry '" + name + "' would be written outside the target folder");
        }
        return target;
    }

    private static void readBlock(InputStream in, byte[] block) throws IOException {
        if (in.readNBytes(block, 0, block.length) < block.length) {
            throw new EOFException("tar archive is truncated");
        }
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String headerName(byte[] header) {
        String name = cString(header, 0, 100);
        boolean ustar = new String(header, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        String prefix = ustar ? cString(header, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private static String cString(byte[] bytes, int offset, int length) {
        int end = offset;
        while (end < offset + length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] header, int offset, int length) throws IOException {
        long value = 0;
        for (int i = offset; i < offset + length; i++) {
            byte b = header[i];
            if (b == 0 || b == ' ') {
                if (value > 0) {
                    break;
                }
                continue;
            }
            if (b < '0' || b > '7') {
                throw new IOException("tar header has a corrupt size field");
            }
            value = value * 8 + (b - '0');
        }
        return value;
    }

    private static long padded(long size) {
        return (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
    }

    private static void copy(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException("tar archive is truncated");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    private static void skipPadding(InputStream in, long size) throws IOException {
        skip(in, padded(size) - size);
    }

    private static void skip(InputStream in, long bytes) throws IOException {
        in.skipNBytes(bytes);
    }
}
