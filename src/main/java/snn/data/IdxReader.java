package snn.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import snn.core.DatasetException;

/**
 * Reads IDX files (the format of MNIST and Fashion-MNIST), gzipped or not: a big-endian header (two zero bytes,
 * the element type {@code 0x08} = unsigned byte, the number of dimensions), one 32-bit big-endian size per
 * dimension, then the data. Images files have magic {@code 0x00000803} (2051), labels files {@code 0x00000801}.
 */
final class IdxReader {

    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {
    }

    /** Images decoded from an IDX3 file: {@code count} row-major {@code rows x cols} images, one byte per pixel. */
    record Images(byte[] pixels, int count, int rows, int cols) {
    }

    static Images readImages(Path file) {
        try (InputStream in = open(file)) {
            header(file, in, IMAGES_MAGIC, "images (IDX3, unsigned bytes)");
            int count = readInt(file, in, "the image count");
            int rows = readInt(file, in, "the row count");
            int cols = readInt(file, in, "the column count");
            if (count < 0 || rows <= 0 || cols <= 0) {
                throw new DatasetException(file, "header has impossible sizes " + count + " x " + rows + " x " + cols);
            }
            long bytes = (long) count * rows * cols;
            if (bytes > Integer.MAX_VALUE - 16) {
                throw new DatasetException(file, "header promises " + bytes + " bytes of pixels; too large");
            }
            byte[] pixels = body(file, in, (int) bytes, count + " images of " + rows + "x" + cols);
            return new Images(pixels, count, rows, cols);
        } catch (IOException e) {
            throw ioProblem(file, e);
        }
    }

    static byte[] readLabels(Path file) {
        try (InputStream in = open(file)) {
            header(file, in, LABELS_MAGIC, "labels (IDX1, unsigned bytes)");
            int count = readInt(file, in, "the label count");
            if (count < 0) {
                throw new DatasetException(file, "header has a negative label count " + count);
            }
            return body(file, in, count, count + " labels");
        } catch (IOException e) {
            throw ioProblem(file, e);
        }
    }

    private static InputStream open(Path file) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 == 0x1F && b1 == 0x8B) {
            return new GZIPInputStream(in, 1 << 16);
        }
        return in;
    }

    private static void header(Path file, InputStream in, int expected, String kind) throws IOException {
        byte[] h = in.readNBytes(4);
        if (h.length < 4) {
            throw new DatasetException(file, "truncated: " + h.length + " bytes, too short for an IDX header");
        }
        int magic = (h[0] & 0xFF) << 24 | (h[1] & 0xFF) << 16 | (h[2] & 0xFF) << 8 | (h[3] & 0xFF);
        if (magic != expected) {
            throw new DatasetException(file, String.format("wrong magic number 0x%08X, expected 0x%08X for %s",
                    magic, expected, kind));
        }
    }

    private static int readInt(Path file, InputStream in, String what) throws IOException {
        byte[] b = in.readNBytes(4);
        if (b.length < 4) {
            throw new DatasetException(file, "truncated in the header (while reading " + what + ")");
        }
        return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
    }

    private static byte[] body(Path file, InputStream in, int bytes, String promised) throws IOException {
        byte[] data = in.readNBytes(bytes);
        if (data.length < bytes) {
            throw new DatasetException(file, "truncated: the header promises " + promised + " (" + bytes
                    + " bytes) but only " + data.length + " follow");
        }
        if (in.read() != -1) {
            throw new DatasetException(file, "has unexpected bytes after the " + promised + " its header promises");
        }
        return data;
    }

    private static DatasetException ioProblem(Path file, IOException e) {
        if (e instanceof EOFException) {
            return new DatasetException(file, "truncated gzip data (" + e.getMessage() + ")", e);
        }
        if (e instanceof ZipException) {
            return new DatasetException(file, "corrupt gzip data (" + e.getMessage() + ")", e);
        }
        return new DatasetException(file, "cannot be read (" + e.getMessage() + ")", e);
    }
}
