package snn.interop;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;

import snn.io.AtomicFiles;
import snn.core.InteropException;

/**
 * Stream-based atomic writes (temporary file in the same folder, forced to disk, renamed over the target; see
 * {@link AtomicFiles}) with failures reported as {@link InteropException}s naming the file.
 */
final class AtomicFile {

    /** Writes the content to a stream. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFile() {
    }

    static void write(Path target, Content content) {
        try {
            AtomicFiles.write(target, channel -> {
                // Not closed here: closing the stream would close the channel before AtomicFiles forces it to disk.
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                content.writeTo(out);
                out.flush();
            });
        } catch (IOException e) {
            throw new InteropException("cannot write " + target + ": " + e, e);
        }
    }
}
