package snn.bench;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Peak resident memory of one action, on Linux: the freed pages the C allocator keeps are returned first
 * ({@code malloc_trim(0)}, so that memory reused by the action is counted again), the kernel's high-water mark is
 * reset (writing {@code 5} to {@code /proc/self/clear_refs}), and the result is VmHWM after the action minus VmRSS
 * before it. It covers every native allocation (libtorch's tensors, OpenBLAS buffers) and the JVM's, which are
 * negligible here.
 */
final class PeakMemory {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private final MethodHandle mallocTrim;

    private PeakMemory(MethodHandle mallocTrim) {
        this.mallocTrim = mallocTrim;
    }

    /** The probe, when this process can reset its high-water mark (Linux 4.0+ with a writable clear_refs). */
    @SuppressWarnings("restricted") // a downcall to libc's malloc_trim; the JVM runs with native access enabled
    static Optional<PeakMemory> probe() {
        try {
            if (!Files.isReadable(STATUS) || !Files.isWritable(CLEAR_REFS)) {
                return Optional.empty();
            }
            Files.writeString(CLEAR_REFS, "5");
            MethodHandle trim = Linker.nativeLinker().defaultLookup().find("malloc_trim")
                    .map(a -> Linker.nativeLinker().downcallHandle(a,
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG)))
                    .orElse(null);
            return Optional.of(new PeakMemory(trim));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** How the figure is obtained, for the manifest. */
    static String method() {
        return "peak_rss_mb: resident-set growth during one extra, untimed training step: VmHWM after the step minus"
                + " VmRSS before it, from /proc/self/status, with the high-water mark reset (/proc/self/clear_refs)"
                + " and glibc's cached free pages released (malloc_trim) just before";
    }

    /** Resident growth in MB while {@code action} runs, or empty when /proc cannot be read. */
    OptionalDouble growthMb(Runnable action) {
        try {
            if (mallocTrim != null) {
                int releasedAnything = (int) mallocTrim.invokeExact(0L); // 1 or 0: either is fine
            }
            Files.writeString(CLEAR_REFS, "5");
            long before = field("VmRSS");
            action.run();
            long peak = field("VmHWM");
            return OptionalDouble.of(Math.max(0, peak - before) / 1024.0);
        } catch (IOException e) {
            return OptionalDouble.empty();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("malloc_trim failed", e);
        }
    }

    /** A {@code kB} field of /proc/self/status. */
    private static long field(String name) throws IOException {
        for (String line : Files.readAllLines(STATUS)) {
            if (line.startsWith(name + ":")) {
                return Long.parseLong(line.substring(name.length() + 1).replace("kB", "").trim());
            }
        }
        throw new IOException(name + " missing from " + STATUS);
    }
}
