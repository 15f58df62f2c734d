package snn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import snn.cli.Main;
import snn.config.KnownDataset;
import snn.config.Publication;
import snn.config.Publication.RemoteFile;
import snn.config.Publication.Unpack;
import snn.core.DownloadException;

/**
 * {@code snn data download} against a real HTTP server on 127.0.0.1 serving small archives: gzip, zip and tar.gz
 * files install; a corrupt file (checksum mismatch) and a transfer cut short fail clearly and leave nothing behind.
 */
class DownloaderTest {

    private HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    /** Paths whose transfer the server cuts off after half the body. */
    private final Map<String, Boolean> cutShort = new ConcurrentHashMap<>();
    /** Paths whose transfer stalls after half the body until the test ends. */
    private final Map<String, Boolean> stall = new ConcurrentHashMap<>();
    private final CountDownLatch testOver = new CountDownLatch(1);
    private URI base;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.start();
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mirror/");
    }

    @AfterEach
    void stopServer() {
        testOver.countDown();
        server.stop(0);
    }

    private void serve(HttpExchange exchange) throws IOException {
        String name = exchange.getRequestURI().getPath().substring("/mirror/".length());
        byte[] body = files.get(name);
        if (body == null) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
        }
        exchange.sendResponseHeaders(200, body.length);
        OutputStream out = exchange.getResponseBody();
        if (stall.containsKey(name)) {
            out.write(body, 0, body.length / 2);
            out.flush();
            try {
                testOver.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("stalled on purpose");
        }
        if (cutShort.containsKey(name)) {
            out.write(body, 0, body.length / 2);
            out.flush();
            // Throwing from the handler makes the server drop the connection mid-body.
            throw new IOException("connection cut on purpose");
        }
        out.write(body);
        out.close();
    }

    @Test
    void shdDownloadsThroughTheCliVerifiesThePublishedChecksumsAndLoads(@TempDir Path root) throws IOException {
        byte[] train = gzip(Files.readAllBytes(Fixtures.resource("hdf5/shd/shd_train.h5")));
        byte[] test = gzip(Files.readAllBytes(Fixtures.resource("hdf5/shd/shd_test.h5")));
        files.put("shd_train.h5.gz", train);
        files.put("shd_test.h5.gz", test);
        files.put("md5sums.txt", (md5(train) + "  shd_train.h5.gz\n" + md5(test) + "  shd_test.h5.gz\n"
                + "0123456789abcdef0123456789abcdef  ssc_train.h5.gz\n").getBytes(StandardCharsets.UTF_8));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"data", "download", "shd", "--root", root.toString(), "--base-url",
            base.toString()}, new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("shd_train.h5.gz: checksum ok"), out.toString());
        assertTrue(out.toString().contains("(100%)"), "progress is shown: " + out);
        assertEquals(List.of("shd_test.h5", "shd_train.h5"), listing(root));
        assertArrayEquals(Files.readAllBytes(Fixtures.resource("hdf5/shd/shd_train.h5")),
                Files.readAllBytes(root.resolve("shd_train.h5")));
        assertEquals(8, Datasets.open(Fixtures.config("shd", root), 1).train().size());

        StringWriter again = new StringWriter();
        assertEquals(0, Main.run(new String[] {"data", "download", "shd", "--root", root.toString(), "--base-url",
            base.toString()}, new PrintWriter(again), new PrintWriter(err)));
        assertTrue(again.toString().contains("shd_train.h5 is present: kept"), again.toString());
    }

    @Test
    void aCorruptFileFailsItsChecksumAndNothingIsInstalled(@TempDir Path root) throws IOException {
        byte[] train = gzip(Files.readAllBytes(Fixtures.resource("hdf5/shd/shd_train.h5")));
        byte[] corrupt = train.clone();
        corrupt[corrupt.length / 2] ^= 0x01;
        files.put("shd_train.h5.gz", corrupt);
        files.put("shd_test.h5.gz", train);
        files.put("md5sums.txt", (md5(train) + "  shd_train.h5.gz\n" + md5(train) + "  shd_test.h5.gz\n")
                .getBytes(StandardCharsets.UTF_8));
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"data", "download", "shd", "--root", root.toString(), "--base-url",
            base.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(2, code);
        assertTrue(err.toString().startsWith("snn: " + base.resolve("shd_train.h5.gz") + ": checksum mismatch"),
                err.toString());
        assertTrue(err.toString().contains("published " + md5(train)), err.toString());
        assertEquals(List.of(), listing(root), "nothing in the final place, no temporary files left");
    }

    @Test
    void officialChecksumsAreCheckedForFilesFromAMirror(@TempDir Path root) {
        files.put("train-images-idx3-ubyte.gz", gzip(new byte[] {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28}));
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"data", "download", "fashion-mnist", "--root", root.toString(),
            "--base-url", base.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(2, code);
        assertTrue(err.toString().contains("checksum mismatch"), err.toString());
        assertTrue(err.toString().contains("published 8d4fb7e6c68d591d4c3dfef9ec88bf0d"), err.toString());
        assertEquals(List.of(), listing(root));
    }

    @Test
    void aTransferCutShortIsReportedAndLeavesNothing(@TempDir Path root) throws IOException {
        byte[] big = gzip(randomBytes(300_000));
        files.put("shd_train.h5.gz", big);
        files.put("md5sums.txt", (md5(big) + "  shd_train.h5.gz\n").getBytes(StandardCharsets.UTF_8));
        cutShort.put("shd_train.h5.gz", true);
        StringWriter out = new StringWriter();
        DownloadException e = assertThrows(DownloadException.class, () -> new Downloader(new PrintWriter(out))
                .download(KnownDataset.SHD.publication().orElseThrow(), root, base));
        assertTrue(e.getMessage().startsWith(base.resolve("shd_train.h5.gz") + ": download interrupted after"),
                e.getMessage());
        assertTrue(e.getMessage().contains("Nothing was installed"), e.getMessage());
        assertEquals(List.of(), listing(root));
    }

    @Test
    void aStalledTransferIsAbandonedAfterTheIdleTimeout(@TempDir Path root) {
        byte[] big = gzip(randomBytes(300_000));
        files.put("shd_train.h5.gz", big);
        files.put("md5sums.txt", (md5(big) + "  shd_train.h5.gz\n").getBytes(StandardCharsets.UTF_8));
        stall.put("shd_train.h5.gz", true);
        Downloader downloader = new Downloader(HttpClient.newHttpClient(), new PrintWriter(new StringWriter()),
                Duration.ofMillis(400));
        DownloadException e = assertThrows(DownloadException.class,
                () -> downloader.download(KnownDataset.SHD.publication().orElseThrow(), root, base));
        assertTrue(e.getMessage().contains("download interrupted after") && e.getMessage().contains("no data for 400 ms"),
                e.getMessage());
        assertEquals(List.of(), listing(root));
    }

    @Test
    void httpErrorsAreReported(@TempDir Path root) {
        files.put("md5sums.txt", "0123456789abcdef0123456789abcdef  shd_train.h5.gz\n".getBytes(StandardCharsets.UTF_8));
        DownloadException e = assertThrows(DownloadException.class, () -> new Downloader(
                new PrintWriter(new StringWriter())).download(KnownDataset.SHD.publication().orElseThrow(), root, base));
        assertEquals(base.resolve("shd_train.h5.gz") + ": the server answered HTTP 404", e.getMessage());
        assertEquals(List.of(), listing(root));
    }

    @Test
    void zipArchivesInstallTheirFolder(@TempDir Path root) throws IOException {
        byte[] zip = zip(Map.of("Train/3/00001.bin", Fixtures.nmnistEvent(1, 2, 0, 1500),
                "Train/7/00002.bin", Fixtures.nmnistEvent(3, 4, 1, 2500), "__MACOSX/junk", new byte[] {1}));
        files.put("Train.zip", zip);
        Publication entry = new Publication("nmnist", "test N-MNIST", "https://example.invalid", "Train.zip", base, null,
                List.of(new RemoteFile("Train.zip", null, md5(zip), Unpack.UNZIP, "Train")));
        new Downloader(new PrintWriter(new StringWriter())).download(entry, root, null);
        assertEquals(List.of("Train"), listing(root));
        EventDataset train = (EventDataset) Datasets.openSplit(Fixtures.config("nmnist", root), "train");
        assertEquals(2, train.size());
        assertEquals(7, train.label(1));
    }

    @Test
    void tarGzArchivesInstallTheirFolder(@TempDir Path root) throws IOException {
        byte[] tgz = gzip(tar(Map.of("data/readme.txt", "hello".getBytes(StandardCharsets.UTF_8),
                "data/sub/x.bin", new byte[] {1, 2, 3})));
        files.put("data.tar.gz", tgz);
        Publication entry = new Publication("x", "x", "https://example.invalid", "x", base, null,
                List.of(new RemoteFile("data.tar.gz", null, md5(tgz), Unpack.UNTAR_GZ, "data")));
        new Downloader(new PrintWriter(new StringWriter())).download(entry, root, null);
        assertEquals("hello", Files.readString(root.resolve("data/readme.txt")));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(root.resolve("data/sub/x.bin")));
        assertEquals(List.of("data"), listing(root));
    }

    @Test
    void archiveEntriesEscapingTheFolderAreRefused(@TempDir Path root) throws IOException {
        byte[] zip = zip(Map.of("Train/1/a.bin", new byte[5], "../evil.txt", new byte[] {1}));
        files.put("Train.zip", zip);
        Publication entry = new Publication("nmnist", "t", "https://example.invalid", "t", base, null,
                List.of(new RemoteFile("Train.zip", null, md5(zip), Unpack.UNZIP, "Train")));
        DownloadException e = assertThrows(DownloadException.class,
                () -> new Downloader(new PrintWriter(new StringWriter())).download(entry, root.resolve("ds"), null));
        assertTrue(e.getMessage().contains("outside the target folder"), e.getMessage());
        assertEquals(List.of("ds"), listing(root));
        assertEquals(List.of(), listing(root.resolve("ds")));
    }

    @Test
    void unknownDatasetNamesTheDownloadableOnes(@TempDir Path root) {
        StringWriter err = new StringWriter();
        int code = Main.run(new String[] {"data", "download", "cifar", "--root", root.toString()},
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(2, code);
        assertTrue(err.toString().contains("unknown dataset 'cifar'; downloadable: fashion-mnist, mnist, nmnist, shd,"
                + " ssc"), err.toString());
    }

    private static List<String> listing(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    private static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : new java.util.TreeMap<>(entries).entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /** A minimal ustar archive of regular files. */
    private static byte[] tar(Map<String, byte[]> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> e : new java.util.TreeMap<>(entries).entrySet()) {
            byte[] header = new byte[512];
            put(header, 0, e.getKey());
            put(header, 100, "0000644");
            put(header, 108, "0000000");
            put(header, 116, "0000000");
            put(header, 124, String.format("%011o", e.getValue().length));
            put(header, 136, "00000000000");
            header[156] = '0';
            put(header, 257, "ustar");
            put(header, 263, "00");
            for (int i = 148; i < 156; i++) {
                header[i] = ' ';
            }
            int sum = 0;
            for (byte b : header) {
                sum += b & 0xFF;
            }
            put(header, 148, String.format("%06o", sum));
            header[154] = 0;
            out.writeBytes(header);
            out.writeBytes(e.getValue());
            out.writeBytes(new byte[(512 - e.getValue().length % 512) % 512]);
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] header, int offset, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, offset, bytes.length);
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new java.util.Random(1).nextBytes(bytes);
        return bytes;
    }

    private static String md5(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
