package snn.nativekernels;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

import snn.io.AtomicFiles;

/**
 * The kernel library the jar carries, for programs that use snn as a dependency: the build copies
 * {@code libsnnkernels.so} into the jar under {@link #RESOURCE_DIR}{@code <os.name>-<os.arch>/}, and the first load
 * in a process extracts it into a per-user cache folder, named by the library's SHA-256, from which it is loaded.
 *
 * <p>The cache folder is {@code $XDG_CACHE_HOME/snn/native} (else {@code ~/.cache/snn/native}), or the folder the
 * system property {@value #CACHE_PROPERTY} names. A library is written to a temporary file beside its final name and
 * renamed into place, so processes extracting it at the same time never load a partial file; a file already there
 * is used only if its content is the jar's, byte for byte.
 */
final class BundledKernels {

    /** System property naming the cache folder the bundled library is extracted into. */
    static final String CACHE_PROPERTY = "snn.native.cache";
    /** Where the jar keeps the library, followed by the platform folder. */
    static final String RESOURCE_DIR = "snn/nativekernels/";

    private BundledKernels() {
    }

    /**
     * {@return this platform's folder name under {@link #RESOURCE_DIR}, e.g. {@code Linux-amd64} (the build names
     * the folder from the same two system properties)}
     */
    static String platform() {
        return System.getProperty("os.name") + "-" + System.getProperty("os.arch");
    }

    /**
     * The jar's library for this platform, extracted into the cache folder if it is not there yet.
     *
     * @return the extracted file, or empty when the jar carries no library for this platform (built without a C
     *         compiler, or on another platform)
     * @throws IOException when the cache folder or the file cannot be written; the message names the folder
     */
    static Optional<Path> extract() throws IOException {
        byte[] bytes;
        try (InputStream in = BundledKernels.class.getClassLoader()
                .getResourceAsStream(RESOURCE_DIR + platform() + "/" + KernelLibrary.FILE_NAME)) {
            if (in == null) {
                return Optional.empty();
            }
            bytes = in.readAllBytes();
        }
        Path file = cacheDir().resolve(sha256(bytes).substring(0, 16)).resolve(KernelLibrary.FILE_NAME);
        if (!(Files.isRegularFile(file) && Files.size(file) == bytes.length
                && Arrays.equals(Files.readAllBytes(file), bytes))) {
            try {
                AtomicFiles.write(file, bytes);
            } catch (IOException e) {
                throw new IOException("cannot extract the bundled " + KernelLibrary.FILE_NAME + " into " + file.getParent()
                        + " (set -D" + CACHE_PROPERTY + "=DIR to a writable folder): " + e, e);
            }
        }
        return Optional.of(file);
    }

    /** {@return the folder extracted libraries go into} */
    static Path cacheDir() {
        String explicit = System.getProperty(CACHE_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit).toAbsolutePath();
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.toAbsolutePath().resolve("snn").resolve("native");
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
