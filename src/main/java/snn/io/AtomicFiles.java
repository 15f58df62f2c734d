package snn.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Writes files so that readers see either the old content or the complete new content, never a partial file:
 * the bytes go to a temporary file in the same folder, are forced to disk, and the file is renamed over the target.
 */
public final class AtomicFiles {

    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {
    }

    /**
     * Atomically replaces a file's content, creating parent folders.
     *
     * @param target the file
     * @param bytes  its new content
     * @throws IOException when a folder, the temporary file or the rename fails; {@code target} is then unchanged
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                out.write(buf);
            }
        });
    }

    /**
     * Atomically replaces a file's content with text, creating parent folders.
     *
     * @param target the file
     * @param text   its new content, written as UTF-8
     * @throws IOException when a folder, the temporary file or the rename fails; {@code target} is then unchanged
     */
    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Content producer for {@link #write(Path, Writer)}. */
    @FunctionalInterface
    public interface Writer {
        /**
         * Writes the whole content.
         *
         * @param out the temporary file, open for writing; the caller forces and closes it
         * @throws IOException when writing fails, which abandons the replacement
         */
        void writeTo(FileChannel out) throws IOException;
    }

    /**
     * Atomically replaces {@code target} with what {@code writer} writes. On any failure the temporary file is
     * deleted and {@code target} is left as it was.
     *
     * @param target the file, its parent folders created if needed
     * @param writer writes the new content to the temporary file
     * @throws IOException when a folder, the temporary file, the writer or the rename fails
     */
    public static void write(Path target, Writer writer) throws IOException {
        writeVia(target, tmp -> {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.writeTo(out);
            }
        });
    }

    /** Writes a whole file at a path given to it, for libraries that write only to paths. */
    @FunctionalInterface
    public interface PathWriter {
        /**
         * Writes the complete content to {@code file}.
         *
         * @param file the temporary file to write
         * @throws IOException when writing fails
         */
        void writeTo(Path file) throws IOException;
    }

    /**
     * Atomically replaces {@code target} with the file that {@code writer} writes at a temporary path in the same
     * folder: the file is forced to disk, then renamed. On failure {@code target} is left as it was.
     *
     * @param target the file to replace
     * @param writer writes the content to the temporary path it is given
     * @throws IOException when writing, syncing or renaming fails
     */
    public static void writeVia(Path target, PathWriter writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = newTemporaryFile(dir, target.getFileName().toString());
        try {
            writer.writeTo(tmp);
            try (FileChannel written = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                written.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(dir);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * A new empty file {@code .<name>.<random>.tmp} in {@code dir}, created the way programs create files, so its
     * permissions follow the process's umask (0644 under the usual 022) rather than {@code Files.createTempFile}'s
     * owner-only 0600, which the renamed result file would keep.
     */
    private static Path newTemporaryFile(Path dir, String name) throws IOException {
        while (true) {
            Path tmp = dir.resolve("." + name + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                // another writer's temporary file: draw another name
            }
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // Some file systems cannot open folders for sync; the rename itself is still atomic.
        }
    }
}
