package snn.nativekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel library the jar carries: the build puts the library it compiled into the classes (and so the jar), and
 * extraction writes it once into the cache folder, whole, and replaces a damaged copy.
 */
class BundledKernelsTest {

    @TempDir
    Path cache;

    private String before;

    @BeforeEach
    void pointCacheHere() {
        before = System.getProperty(BundledKernels.CACHE_PROPERTY);
        System.setProperty(BundledKernels.CACHE_PROPERTY, cache.toString());
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(BundledKernels.CACHE_PROPERTY);
        } else {
            System.setProperty(BundledKernels.CACHE_PROPERTY, before);
        }
    }

    /** The library Maven built, which the tests load through {@code snn.native.lib}. */
    private static byte[] built() throws Exception {
        Path lib = Path.of(System.getProperty(KernelLibrary.PATH_PROPERTY, "target/native/" + KernelLibrary.FILE_NAME));
        assertTrue(Files.isRegularFile(lib), "the build made no kernel library (" + lib + "): "
                + KernelLibrary.status());
        return Files.readAllBytes(lib);
    }

    @Test
    void extractsTheBuiltLibraryIntoTheCacheAndReusesIt() throws Exception {
        byte[] built = built();
        Optional<Path> first = BundledKernels.extract();
        assertTrue(first.isPresent(), "no " + BundledKernels.RESOURCE_DIR + BundledKernels.platform()
                + " resource in the classes");
        assertTrue(first.get().startsWith(cache), first.get().toString());
        assertArrayEquals(built, Files.readAllBytes(first.get()));
        long modified = Files.getLastModifiedTime(first.get()).toMillis();
        Thread.sleep(20);
        assertEquals(first, BundledKernels.extract());
        assertEquals(modified, Files.getLastModifiedTime(first.get()).toMillis(), "an intact copy is not rewritten");
        try (var files = Files.walk(cache)) {
            assertEquals(1, files.filter(Files::isRegularFile).count(), "no temporary file is left");
        }
    }

    @Test
    void replacesADamagedCopy() throws Exception {
        Path file = BundledKernels.extract().orElseThrow();
        Files.write(file, new byte[] {1, 2, 3});
        assertEquals(file, BundledKernels.extract().orElseThrow());
        assertArrayEquals(built(), Files.readAllBytes(file));
    }

    @Test
    void concurrentExtractionsAgree() throws Exception {
        byte[] built = built();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Optional<Path>>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(BundledKernels::extract));
            }
            Path file = results.get(0).get().orElseThrow();
            for (Future<Optional<Path>> r : results) {
                assertEquals(file, r.get().orElseThrow());
            }
            assertArrayEquals(built, Files.readAllBytes(file));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anUnwritableCacheIsNamed() throws Exception {
        Path blocker = cache.resolve("file");
        Files.writeString(blocker, "not a folder");
        System.setProperty(BundledKernels.CACHE_PROPERTY, blocker.resolve("sub").toString());
        IOException e = assertThrows(IOException.class, BundledKernels::extract);
        assertTrue(e.getMessage().contains(blocker.toString()) && e.getMessage().contains("-Dsnn.native.cache"),
                e.getMessage());
    }
}
