package snn.nativekernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code src/main/native/build.sh} never lets a broken kernel build pass silently: with a compiler, a compilation that
 * fails fails the script (and so the Maven build) and says why; without one, the script succeeds, says so, and
 * records why in {@code libsnnkernels.status}, which the tests read ({@link NativeRequirement}).
 */
class NativeBuildTest {

    static final Path SOURCES = Path.of("src/main/native");

    /** Runs build.sh from a copy of the sources: exit status and output. */
    private static String[] build(Path sources, Path out, String cc) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", sources.resolve("build.sh").toString(), out.toString(), cc)
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "build.sh did not finish");
        return new String[] {Integer.toString(p.exitValue()), output};
    }

    private static Path copyOfTheSources(Path dir) throws IOException {
        Path copy = Files.createDirectories(dir.resolve("native"));
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        return copy;
    }

    @Test
    void aCompilationThatFailsFailsTheBuildAndSaysWhy(@TempDir Path dir) throws Exception {
        assumeTrue(NativeRequirement.gccPresent(), "no gcc on this machine: nothing can fail to compile");
        Path sources = copyOfTheSources(dir);
        Files.writeString(sources.resolve("dblock.c"), "\nthis is not C;\n", StandardOpenOption.APPEND);
        Path out = dir.resolve("out");
        String[] result = build(sources, out, "gcc");
        assertEquals("1", result[0], result[1]);
        assertTrue(result[1].contains("ERROR: compiling the native kernels with 'gcc' failed"), result[1]);
        assertTrue(result[1].contains("dblock.c"), "the compiler's message names the file: " + result[1]);
        assertFalse(Files.exists(out.resolve(KernelLibrary.FILE_NAME)), "no library left behind");
        assertTrue(Files.readString(out.resolve("libsnnkernels.status")).startsWith("failed: "));
    }

    @Test
    void withoutACompilerTheBuildGoesOnAndRecordsWhy(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        String[] result = build(SOURCES, out, "no-such-compiler");
        assertEquals("0", result[0], result[1]);
        assertTrue(result[1].contains("C compiler 'no-such-compiler' not found"), result[1]);
        assertEquals("not built: no C compiler 'no-such-compiler' on this machine",
                Files.readString(out.resolve("libsnnkernels.status")).strip());
    }
}
