package snn.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import snn.config.Publication;
import snn.config.Publication.RemoteFile;
import snn.core.DownloadException;

/**
 * Fetches a dataset's published files over HTTPS into its folder, showing progress, and installs nothing that has
 * not been verified: each file is streamed into a temporary folder inside the dataset folder, its MD5 is compared
 * with the published checksum, it is unpacked there, and only then is the result renamed into place. Whatever
 * fails (connection, HTTP status, a transfer cut short, a checksum mismatch, a corrupt archive), the temporary
 * folder is removed and the dataset folder holds only what was installed before.
 */
public final class Downloader {

    private static final int BUFFER = 1 << 16;
    private static final int MAX_MANIFEST_BYTES = 1 << 20;

    private final HttpClient client;
    private final PrintWriter out;
    private final Duration idleTimeout;

    /**
     * A downloader with redirects (never from HTTPS to HTTP), 30 s connect and 60 s idle timeouts.
     *
     * @param out where progress and per-file results are printed
     */
    public Downloader(PrintWriter out) {
        this(HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build(), out, Duration.ofSeconds(60));
    }

    /**
     * A downloader with its own HTTP client and idle timeout (tests use short ones).
     *
     * @param client      the client for every request
     * @param out         where progress and per-file results are printed
     * @param idleTimeout a transfer that receives nothing for this long is abandoned
     */
    public Downloader(HttpClient client, PrintWriter out, Duration idleTimeout) {
        this.client = client;
        this.out = out;
        this.idleTimeout = idleTimeout;
    }

    /**
     * Downloads, verifies and installs the files of {@code entry} into {@code root}. Files already installed are
     * kept (a kept file whose checksum can be checked, because it is installed as downloaded, is checked).
     *
     * @param entry  the dataset's publication, from {@link snn.config.KnownDataset#publication()}
     * @param root   the dataset folder, created if needed
     * @param mirror a base URL to fetch every file (and the checksum list) from by name instead of the official
     *               URLs, or {@code null}
     * @throws DownloadException on any failure, after removing every temporary file
     */
    public void download(Publication entry, Path root, URI mirror) {
        URI base = mirror != null ? withSlash(mirror) : entry.base();
        Path work;
        try {
            Files.createDirectories(root);
            work = Files.createTempDirectory(root, ".snn-download-");
        } catch (IOException e) {
            throw new DownloadException("cannot create " + root + " (" + e.getMessage() + ")", e);
        }
        try {
            Map<String, String> published = null;
            for (RemoteFile file : entry.files()) {
                Path target = root.resolve(file.installs());
                String md5 = file.md5();
                if (md5 == null) {
                    if (published == null) {
                        published = fetchManifest(base.resolve(entry.checksumManifest()));
                    }
                    md5 = published.get(file.name());
                    if (md5 == null) {
                        throw new DownloadException("the published checksum list " + base.resolve(entry.checksumManifest())
                                + " has no entry for " + file.name());
                    }
                }
                if (alreadyInstalled(file, target, md5)) {
                    continue;
                }
                URI url = mirror != null || file.officialUrl() == null ? base.resolve(file.name()) : file.officialUrl();
                Path downloaded = work.resolve(file.name() + ".part");
                String actual = fetch(url, file.name(), downloaded);
                if (!actual.equalsIgnoreCase(md5)) {
                    throw new DownloadException(url + ": checksum mismatch, the download is corrupt (MD5 " + actual
                            + ", published " + md5 + "). Nothing was installed; run the command again, or try"
                            + " another mirror with --base-url.");
                }
                out.println("  " + file.name() + ": checksum ok");
                install(file, downloaded, work, target, url);
                out.println("  installed " + target);
                out.flush();
            }
        } finally {
            deleteRecursively(work);
        }
    }

    private boolean alreadyInstalled(RemoteFile file, Path target, String md5) {
        if (!Files.exists(target)) {
            return false;
        }
        if (file.unpack() == Publication.Unpack.NONE) {
            String actual;
            try {
                actual = md5Of(target);
            } catch (IOException e) {
                throw new DownloadException("cannot read " + target + " (" + e.getMessage() + ")", e);
            }
            if (!actual.equalsIgnoreCase(md5)) {
                out.println("  " + target + " is present but its checksum differs from the published one:"
                        + " downloading it again");
                return false;
            }
            out.println("  " + target + " is present, checksum ok");
        } else {
            out.println("  " + target + " is present: kept (delete it to download it again)");
        }
        out.flush();
        return true;
    }

    private static URI withSlash(URI uri) {
        String s = uri.toString();
        return s.endsWith("/") ? uri : URI.create(s + "/");
    }

    private Map<String, String> fetchManifest(URI url) {
        checkScheme(url);
        HttpResponse<InputStream> response = send(url);
        byte[] bytes;
        try (InputStream in = response.body()) {
            bytes = in.readNBytes(MAX_MANIFEST_BYTES);
        } catch (IOException e) {
            throw new DownloadException(url + ": reading the checksum list failed (" + describe(e) + ")", e);
        }
        Map<String, String> md5ByName = new HashMap<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length == 2 && parts[0].matches("[0-9a-fA-F]{32}")) {
                md5ByName.put(parts[1].startsWith("*") ? parts[1].substring(1) : parts[1], parts[0].toLowerCase(Locale.ROOT));
            }
        }
        return md5ByName;
    }

    private void checkScheme(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("http")) {
            out.println("  warning: " + url + " is plain HTTP (not encrypted); the checksums are still verified");
        } else if (!scheme.equals("https")) {
            throw new DownloadException(url + ": only https:// (or http://) URLs can be downloaded");
        }
    }

    private HttpResponse<InputStream> send(URI url) {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60))
                .header("User-Agent", "snn-data-download").GET().build();
        HttpResponse<InputStream> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException e) {
            throw new DownloadException(url + ": cannot connect to " + url.getHost() + " (" + describe(e)
                    + "); check the network or use a mirror with --base-url", e);
        } catch (IOException e) {
            throw new DownloadException(url + ": request failed (" + describe(e) + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException(url + ": interrupted", e);
        }
        if (response.statusCode() != 200) {
            closeQuietly(response.body());
            throw new DownloadException(url + ": the server answered HTTP " + response.statusCode());
        }
        return response;
    }

    /** Streams {@code url} into {@code target}, showing progress; returns the MD5 of what was received. */
    private String fetch(URI url, String label, Path target) {
        checkScheme(url);
        out.println("downloading " + url);
        out.flush();
        HttpResponse<InputStream> response = send(url);
        long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        MessageDigest md5 = md5();
        AtomicLong received = new AtomicLong();
        AtomicLong lastProgressNanos = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "snn-download-watchdog");
            t.setDaemon(true);
            return t;
        });
        InputStream in = response.body();
        try (OutputStream file = Files.newOutputStream(target)) {
            long checkMillis = Math.max(10, idleTimeout.toMillis() / 4);
            ScheduledFuture<?> check = watchdog.scheduleAtFixedRate(() -> {
                if (System.nanoTime() - lastProgressNanos.get() > idleTimeout.toNanos()) {
                    stalled.set(true);
                    closeQuietly(in); // ends the blocked read
                }
            }, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
            byte[] buffer = new byte[BUFFER];
            int nextPercent = 10;
            long nextUnknownReport = 10L << 20;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                file.write(buffer, 0, n);
                md5.update(buffer, 0, n);
                long total = received.addAndGet(n);
                lastProgressNanos.set(System.nanoTime());
                if (length > 0 && total * 100 >= nextPercent * length) {
                    out.printf("  %s: %s of %s (%d%%)%n", label, size(total), size(length), total * 100 / length);
                    out.flush();
                    nextPercent = (int) (total * 100 / length / 10 * 10 + 10);
                } else if (length <= 0 && total >= nextUnknownReport) {
                    out.printf("  %s: %s%n", label, size(total));
                    out.flush();
                    nextUnknownReport += 10L << 20;
                }
            }
            check.cancel(false);
            if (length >= 0 && received.get() != length) {
                throw new IOException("the connection ended early");
            }
        } catch (IOException | UncheckedIOException e) {
            String why = stalled.get() ? "no data for " + (idleTimeout.toMillis() >= 1000
                    ? idleTimeout.toSeconds() + " s" : idleTimeout.toMillis() + " ms")
                    : length >= 0 && received.get() < length ? "the connection ended before the end of the file: "
                            + describe(e) : describe(e);
            throw new DownloadException(url + ": download interrupted after " + size(received.get())
                    + (length >= 0 ? " of " + size(length) : "") + " (" + why + "). Nothing was installed;"
                    + " run the command again.", e);
        } finally {
            watchdog.shutdownNow();
            closeQuietly(in);
        }
        return HexFormat.of().formatHex(md5.digest());
    }

    private void install(RemoteFile file, Path downloaded, Path work, Path target, URI url) {
        try {
            switch (file.unpack()) {
                case NONE -> moveIntoPlace(downloaded, target, true);
                case GUNZIP -> {
                    Path unpacked = work.resolve(file.installs());
                    Archives.gunzip(downloaded, unpacked);
                    moveIntoPlace(unpacked, target, false);
                }
                case UNZIP, UNTAR_GZ -> {
                    Path folder = work.resolve("unpacked-" + file.name());
                    Files.createDirectories(folder);
                    if (file.unpack() == Publication.Unpack.UNZIP) {
                        Archives.unzip(downloaded, folder);
                    } else {
                        Archives.untarGz(downloaded, folder);
                    }
                    Path wanted = folder.resolve(file.installs());
                    if (!Files.exists(wanted)) {
                        throw new DownloadException(url + ": the archive holds no '" + file.installs()
                                + "'; nothing was installed");
                    }
                    moveIntoPlace(wanted, target, false);
                }
            }
        } catch (FileAlreadyExistsException e) {
            throw new DownloadException(target + " appeared while downloading; nothing was replaced", e);
        } catch (IOException e) {
            throw new DownloadException(url + ": the archive is corrupt and cannot be unpacked (" + e.getMessage()
                    + "); nothing was installed", e);
        }
    }

    private static void moveIntoPlace(Path from, Path to, boolean replace) throws IOException {
        try {
            if (replace) {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (AtomicMoveNotSupportedException e) {
            if (replace) {
                Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.move(from, to);
            }
        }
    }

    /** An exception's message, or its type when it has none. */
    private static String describe(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // Nothing more to release.
        }
    }

    static String md5Of(Path file) throws IOException {
        MessageDigest md5 = md5();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                md5.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(md5.digest());
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no MD5", e);
        }
    }

    private static String size(long bytes) {
        if (bytes < 1 << 20) {
            return String.format(Locale.ROOT, "%.1f kB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024.0));
    }

    private static void deleteRecursively(Path folder) {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // Best effort: a leftover hidden .snn-download-* folder is harmless and never read.
        }
    }
}
