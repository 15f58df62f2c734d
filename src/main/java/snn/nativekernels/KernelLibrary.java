package snn.nativekernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Tensors;

/**
 * The compiled kernels ({@code src/main/native}, built by Maven into {@code <build dir>/native/libsnnkernels.so}),
 * bound through the Foreign Function &amp; Memory API. Every kernel takes one argument struct ({@link KernelAbi});
 * tensors are passed as the addresses of their (contiguous, float32 or int32, CPU) memory: nothing is copied.
 *
 * <p>The library is looked up in the file named by the system property {@value #PATH_PROPERTY}, else in
 * {@code native/} next to the jar or classes folder this class came from, else it is the copy the jar carries,
 * extracted into a per-user cache folder (what a program depending on snn's jar gets; docs/java-api.md, "Native
 * kernels"). It is loaded after LibTorch, so its
 * OpenMP runtime ({@code libgomp.so.1}) resolves to the one LibTorch already loaded: the kernels and LibTorch share
 * one thread pool. Before anything is bound, the library's ABI version, struct layouts and codes are compared with
 * {@link KernelAbi}'s; a library that differs is refused, and {@link #status()} names the first difference.
 *
 * <p>The library keeps no state between calls: every call names the instruction set it runs on in its argument
 * struct. The set is chosen once, at load ({@link #isa()}: the best this CPU runs, or the one {@code SNN_CPU_ISA}
 * names when the CPU runs it); {@link #onIsa} runs one thread's calls on another for the length of a block (tests and
 * benchmarks). Calls may come from any number of threads at once.
 */
public final class KernelLibrary {

    /** System property naming the library file explicitly. */
    public static final String PATH_PROPERTY = "snn.native.lib";
    /** File name of the library. */
    public static final String FILE_NAME = "libsnnkernels.so";

    /** A load attempt: the library, or why there is none. */
    record Loaded(KernelLibrary library, String problem) {
    }

    private static final class Holder {
        static final Loaded LOADED = load();
    }

    private final Path path;
    private final List<KernelAbi.Entry> description;
    private final Map<KernelAbi.Family, MethodHandle> forward = new EnumMap<>(KernelAbi.Family.class);
    private final Map<KernelAbi.Family, MethodHandle> backward = new EnumMap<>(KernelAbi.Family.class);
    private final MethodHandle copyPass;
    private final MethodHandle flushDenormals;
    private final MethodHandle project;
    private final MethodHandle isaSupported;
    /** The instruction set chosen at load, and what SNN_CPU_ISA asked for then (-1 nothing, -2 no such set). */
    private final Isa isa;
    private final int isaRequested;
    /** A thread's instruction set within {@link #onIsa}, else none (the load's). */
    private static final ThreadLocal<Isa> THREAD_ISA = new ThreadLocal<>();

    private KernelLibrary(Path path, SymbolLookup symbols, List<KernelAbi.Entry> description) throws Throwable {
        this.path = path;
        this.description = description;
        Linker linker = Linker.nativeLinker();
        FunctionDescriptor kernel = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        for (KernelAbi.Family f : KernelAbi.Family.values()) {
            forward.put(f, bind(linker, symbols, f.forward, kernel));
            backward.put(f, bind(linker, symbols, f.backward, kernel));
        }
        copyPass = bind(linker, symbols, "snn_copy_pass", FunctionDescriptor.ofVoid(
                ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
        project = bind(linker, symbols, "snn_project", kernel);
        flushDenormals = bind(linker, symbols, "snn_denormal_mode", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
                JAVA_INT));
        isaSupported = bind(linker, symbols, "snn_isa_supported", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        int best = (int) bind(linker, symbols, "snn_isa_best", FunctionDescriptor.of(JAVA_INT)).invokeExact();
        isaRequested = (int) bind(linker, symbols, "snn_isa_requested", FunctionDescriptor.of(JAVA_INT))
                .invokeExact();
        isa = Isa.of(isaRequested >= 0 && supports(Isa.of(isaRequested)) ? isaRequested : best);
    }

    /**
     * The library, loaded on first use (once per process; a failure is not retried).
     *
     * @return the bound library, or empty when it was not found, has another kernel ABI or fails to load
     *         ({@link #status()} says why)
     */
    public static Optional<KernelLibrary> get() {
        return Optional.ofNullable(Holder.LOADED.library());
    }

    /**
     * {@return why {@link #get()} is empty, or {@code "loaded from PATH (ISA avx512)"} when it is not, with the
     * instruction set in use and, when {@code SNN_CPU_ISA} asked for one this CPU cannot run, that request}
     */
    public static String status() {
        Loaded l = Holder.LOADED;
        return l.library() != null ? "loaded from " + l.library().path + " (" + l.library().isaStatus() + ")"
                : l.problem();
    }

    private String isaStatus() {
        String in = "ISA " + isa.label();
        String env = System.getenv("SNN_CPU_ISA");
        if (isaRequested == -2) {
            return in + "; SNN_CPU_ISA=" + env + " is not one of portable, avx2, avx512";
        }
        if (isaRequested >= 0 && Isa.of(isaRequested) != isa) {
            return in + "; SNN_CPU_ISA=" + env + " asked for an instruction set this CPU lacks";
        }
        return in;
    }

    /**
     * {@return the instruction set the kernels run on: the one chosen at load, or on this thread inside
     * {@link #onIsa} the one it names}
     */
    public Isa isa() {
        Isa own = THREAD_ISA.get();
        return own != null ? own : isa;
    }

    /**
     * Whether this CPU can run the kernels built for an instruction set.
     *
     * @param set the instruction set
     * @return true when {@link #onIsa} would accept it
     */
    public boolean supports(Isa set) {
        try {
            return (int) isaSupported.invokeExact(set.code) == 1;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs the kernel calls that this thread starts on an instruction set, until the returned scope is closed (for
     * tests and benchmarks: every build in one process). Other threads, and calls started before (whose backward
     * passes keep the set of their forward pass), are not affected.
     *
     * @param set the instruction set
     * @return the scope; closing it restores the thread's previous set
     * @throws IllegalArgumentException when this CPU cannot run it
     */
    public IsaScope onIsa(Isa set) {
        if (!supports(set)) {
            throw new IllegalArgumentException("this CPU cannot run the " + set.label() + " kernels");
        }
        Isa before = THREAD_ISA.get();
        THREAD_ISA.set(set);
        return new IsaScope(before);
    }

    /** The scope of {@link #onIsa}: closing it restores the thread's previous instruction set. */
    public static final class IsaScope implements AutoCloseable {
        private final Isa before;

        private IsaScope(Isa before) {
            this.before = before;
        }

        /** Restores the instruction set this thread's calls ran on before the scope. */
        @Override
        public void close() {
            if (before == null) {
                THREAD_ISA.remove();
            } else {
                THREAD_ISA.set(before);
            }
        }
    }

    /** {@return the absolute path of the file the library was loaded from} */
    public Path path() {
        return path;
    }

    /** {@return the library's description of its ABI, as read at load} */
    List<KernelAbi.Entry> description() {
        return description;
    }

    private static Loaded load() {
        Optional<Path> candidate = locate();
        if (candidate.isEmpty() && System.getProperty(PATH_PROPERTY, "").isBlank()) {
            try {
                candidate = BundledKernels.extract();
            } catch (IOException e) {
                return new Loaded(null, e.getMessage());
            }
        }
        if (candidate.isEmpty()) {
            return new Loaded(null, "native kernel library " + FILE_NAME + " not found (set -D" + PATH_PROPERTY
                    + "=FILE, or build with a C compiler so that it lands in native/ next to the jar)");
        }
        return open(candidate.get(), KernelAbi.STRUCTS, KernelAbi.CODES);
    }

    /**
     * Opens a library file and binds it if its ABI matches the given layouts and codes.
     *
     * @param file    the library
     * @param structs the struct layouts this side writes ({@link KernelAbi#STRUCTS}, or others in tests)
     * @param codes   the integer codes this side uses
     * @return the library, or the reason it is refused, naming the first field or code that differs
     */
    static Loaded open(Path file, List<StructLayout> structs, Map<String, Integer> codes) {
        try {
            // LibTorch first, so that the kernels bind to LibTorch's OpenMP runtime instead of loading another.
            Loader.load(torch.class);
            SymbolLookup symbols = SymbolLookup.libraryLookup(file, Arena.global());
            Linker linker = Linker.nativeLinker();
            int version = (int) bind(linker, symbols, "snn_abi_version", FunctionDescriptor.of(JAVA_INT))
                    .invokeExact();
            if (version != KernelAbi.VERSION) {
                return new Loaded(null, file + " has kernel ABI " + version + ", this build expects "
                        + KernelAbi.VERSION + " (rebuild with bin/mvn package)");
            }
            List<KernelAbi.Entry> description = describe(bind(linker, symbols, "snn_abi_describe",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)));
            Optional<String> mismatch = KernelAbi.mismatch(structs, codes, description);
            if (mismatch.isPresent()) {
                return new Loaded(null, file + " does not match this build's kernel ABI " + version + ": "
                        + mismatch.get() + " (rebuild with bin/mvn package)");
            }
            return new Loaded(new KernelLibrary(file, symbols, description), null);
        } catch (Throwable e) {
            return new Loaded(null, "cannot load " + file + ": " + e);
        }
    }

    /** Calls {@code snn_abi_describe}, first for the count, then for the entries. */
    private static List<KernelAbi.Entry> describe(MethodHandle describe) throws Throwable {
        int count = (int) describe.invokeExact(MemorySegment.NULL, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment table = arena.allocate(KernelAbi.ABI_ENTRY, count);
            int filled = (int) describe.invokeExact(table, count);
            return KernelAbi.read(table, Math.min(count, filled));
        }
    }

    private static Optional<Path> locate() {
        String explicit = System.getProperty(PATH_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            return Files.isRegularFile(p) ? Optional.of(p.toAbsolutePath()) : Optional.empty();
        }
        try {
            CodeSource source = KernelLibrary.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return Optional.empty();
            }
            // .../snn.jar or .../classes/ -> .../native/libsnnkernels.so
            Path p = Path.of(source.getLocation().toURI()).toAbsolutePath().getParent().resolve("native")
                    .resolve(FILE_NAME);
            return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        } catch (URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static MethodHandle bind(Linker linker, SymbolLookup symbols, String name, FunctionDescriptor fd) {
        MemorySegment symbol = symbols.find(name)
                .orElseThrow(() -> new IllegalStateException("symbol " + name + " missing from " + FILE_NAME));
        return linker.downcallHandle(symbol, fd);
    }

    /** A call of one kernel's method handle, returning the kernel's status ({@link KernelAbi#OK}: success). */
    @FunctionalInterface
    private interface Downcall {
        int invoke() throws Throwable;
    }

    /**
     * Runs a kernel: fails with {@link IllegalStateException} on a non-zero status or a checked exception, and keeps
     * {@code used} (the objects that own the memory whose addresses the call passes) reachable until the kernel
     * returns. Without that the JIT may treat a tensor as dead once its address is taken, and the garbage collector
     * may free its memory while the kernel reads or writes it.
     */
    private static void run(String kernel, Downcall downcall, Object... used) {
        try {
            check(downcall.invoke(), kernel);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        } finally {
            for (Object o : used) {
                Reference.reachabilityFence(o);
            }
        }
    }

    /** The address of a tensor's first element, or NULL for {@code null} and for an empty tensor. */
    static MemorySegment address(Tensor t) {
        return t == null || t.numel() == 0 ? MemorySegment.NULL : MemorySegment.ofAddress(t.data_ptr().address());
    }

    /** {@return the threads the kernels use: LibTorch's} */
    static int threads() {
        return Math.max(1, torch.get_num_threads());
    }

    private static void check(int status, String kernel) {
        if (status != KernelAbi.OK) {
            String why = switch (status) {
                case KernelAbi.ERR_MEMORY -> " (out of memory)";
                case KernelAbi.ERR_ARGS -> " (inconsistent arguments)";
                case KernelAbi.ERR_STRUCT_SIZE -> " (argument struct of another size)";
                case KernelAbi.ERR_UNSUPPORTED -> " (unsupported instruction set)";
                case KernelAbi.ERR_EVENTS -> " (input events out of range or not sorted by channel and step)";
                default -> "";
            };
            throw new IllegalStateException(kernel + " failed with status " + status + why);
        }
    }

    /**
     * A family's forward pass.
     *
     * @param family which kernels
     * @param args   the filled argument struct
     * @param used   what owns the memory the struct points to, kept reachable during the call
     */
    void forward(KernelAbi.Family family, KernelArgs args, Object... used) {
        MethodHandle h = forward.get(family);
        run(family.forward, () -> (int) h.invokeExact(args.segment()), args, used);
    }

    /**
     * A family's backward pass, on the struct its forward pass filled, with the upstream gradients and gradient
     * outputs set.
     *
     * @param family which kernels
     * @param args   the argument struct
     * @param used   what owns the memory the struct points to, kept reachable during the call
     */
    void backward(KernelAbi.Family family, KernelArgs args, Object... used) {
        MethodHandle h = backward.get(family);
        run(family.backward, () -> (int) h.invokeExact(args.segment()), args, used);
    }

    /**
     * Sets the denormal mode of the threads that run LibTorch's operations started from the calling thread: the
     * calling thread and the other threads of its OpenMP team of {@code torch.get_num_threads()} (LibTorch's intra-op
     * pool, which the kernels share). With {@code flush}, FTZ and DAZ are set in each one's MXCSR, so denormal floats
     * (magnitudes below 2^-126) read as zero and results that would be denormal are written as zero; without, both are
     * cleared (IEEE 754 gradual underflow, LibTorch's default). The mode stays until it is set again; threads the pool
     * starts later copy the calling thread's. Other threads that start LibTorch operations keep their own mode. On
     * CPUs other than x86-64 nothing changes and 0 is returned.
     *
     * @param flush whether to flush denormals
     * @return how many threads of the team flush denormals afterwards: {@code torch.get_num_threads()} after
     *         setting the mode on x86-64, 0 after clearing it
     */
    public int flushDenormals(boolean flush) {
        return denormalMode(flush ? 1 : 0);
    }

    /** {@return how many threads of the calling thread's team (as {@link #flushDenormals}) flush denormals now} */
    public int threadsFlushingDenormals() {
        return denormalMode(-1);
    }

    private int denormalMode(int on) {
        try {
            return (int) flushDenormals.invokeExact(on, threads());
        } catch (Throwable e) {
            throw new IllegalStateException("snn_denormal_mode failed", e);
        }
    }

    /**
     * {@code dst = src} over contiguous float tensors of equal size: the one-pass floor for benchmarks.
     *
     * @param src the contiguous float32 CPU tensor read, any shape
     * @param dst the contiguous float32 CPU tensor written, at least {@code src.numel()} elements
     */
    public void copyPass(Tensor src, Tensor dst) {
        run("snn_copy_pass", () -> {
            copyPass.invokeExact(address(src), address(dst), src.numel(), threads());
            return KernelAbi.OK;
        }, src, dst);
    }

    /**
     * {@code out[b,:,t] = W x[b,:,t] + bias}, one column of W per non-zero input (event-driven), for contiguous
     * float tensors x {@code [B, M, T]}, w {@code [N, M]}, bias {@code [N]} (or null), out {@code [B, N, T]}: the
     * projection the layer kernels fuse when their input is sparse, by the same code on the same instruction set
     * ({@link #isa()}), through the checked argument struct ({@code snn_project}).
     *
     * @param x    the input {@code [B, M, T]}, float32, contiguous, CPU (mostly zeros for the method to pay off)
     * @param w    the weight {@code [N, M]}, float32, contiguous, CPU
     * @param bias the bias {@code [N]}, float32, contiguous, CPU, or {@code null} for none
     * @param out  receives the currents {@code [B, N, T]}, float32, contiguous, CPU; overwritten
     * @throws IllegalStateException when the kernel reports a failure (e.g. out of memory, inconsistent shapes)
     */
    public void project(Tensor x, Tensor w, Tensor bias, Tensor out) {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(KernelAbi.LAYER_ARGS, arena.allocate(KernelAbi.LAYER_ARGS));
            args.set(KernelAbi.THREADS, threads()).set(KernelAbi.ISA, isa().code).set(KernelAbi.BATCH, x.size(0))
                    .set(KernelAbi.NEURONS, w.size(0)).set(KernelAbi.STEPS, x.size(2)).set(KernelAbi.IN_X, x)
                    .set(KernelAbi.IN_W_IN, w).set(KernelAbi.IN_B_IN, bias).set(KernelAbi.IN_M, x.size(1))
                    .set(KernelAbi.MEM, out);
            if (x.size(1) != w.size(1) || out.numel() != x.size(0) * w.size(0) * x.size(2)) {
                throw new IllegalArgumentException("projection of x " + Arrays.toString(Tensors.shape(x)) + " by w "
                        + Arrays.toString(Tensors.shape(w)) + " into " + out.numel() + " floats: the shapes do not"
                        + " fit");
            }
            run("snn_project", () -> (int) project.invokeExact(args.segment()), x, w, bias, out);
        }
    }
}
