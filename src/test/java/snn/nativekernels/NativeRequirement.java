package snn.nativekernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import snn.neurons.NeuronKernels;

/**
 * The native library for the tests that need it, and no silent skip: where the build compiled it (or had a compiler
 * and failed, which fails the build itself), a library that does not load fails the test with the reason; only where
 * the build had no C compiler ({@code libsnnkernels.status} beside the library says so) are those tests not run, and
 * the reason is printed once for the whole JVM, not test by test.
 */
public final class NativeRequirement {

    private static final AtomicBoolean SAID = new AtomicBoolean();

    private NativeRequirement() {
    }

    /**
     * {@return the loaded library}
     *
     * @throws org.opentest4j.TestAbortedException where the build had no C compiler (said once per JVM)
     * @throws AssertionError                      where it had one and the library does not load
     */
    public static KernelLibrary library() {
        return KernelLibrary.get().orElseGet(() -> {
            String built = buildStatus();
            if (built.startsWith("not built: no C compiler")) {
                String why = "native kernels " + built + ": the tests that need them are not run ("
                        + KernelLibrary.status() + ")";
                if (SAID.compareAndSet(false, true)) {
                    System.err.println("[snn tests] " + why);
                }
                Assumptions.abort(why);
            }
            return Assertions.fail("the native kernel library does not load although the build had a C compiler"
                    + " (build status: " + built + "): " + KernelLibrary.status());
        });
    }

    /** {@return the native kernels on the loaded library, as {@link #library()} requires it} */
    public static NeuronKernels kernels() {
        library();
        return NativeKernels.load().orElseThrow();
    }

    /** What build.sh recorded beside the library, or why there is nothing to read. */
    private static String buildStatus() {
        String lib = System.getProperty(KernelLibrary.PATH_PROPERTY);
        if (lib == null || lib.isBlank()) {
            return "unknown (no -D" + KernelLibrary.PATH_PROPERTY + ")";
        }
        Path status = Path.of(lib).resolveSibling("libsnnkernels.status");
        try {
            return Files.readString(status).strip();
        } catch (IOException e) {
            return "unknown (" + status + " unreadable: " + e.getMessage() + ")";
        }
    }

    /** {@return whether {@code gcc --version} runs on this machine} */
    public static boolean gccPresent() {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
