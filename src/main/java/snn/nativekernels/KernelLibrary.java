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
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

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
    private final MethodHandle sparseProjection;
    private final MethodHandle isa;
    private final MethodHandle isaRequested;
    private final MethodHandle isaSupported;
    private final MethodHandle setIsa;

    private KernelLibrary(Path path, SymbolLookup symbols, List<KernelAbi.Entry> description) {
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
        sparseProjection = bind(linker, symbols, "snn_sparse_projection", FunctionDescriptor.of(JAVA_INT,
                JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        isa = bind(linker, symbols, "snn_isa", FunctionDescriptor.of(JAVA_INT));
        isaRequested = bind(linker, symbols, "snn_isa_requested", FunctionDescriptor.of(JAVA_INT));
        isaSupported = bind(linker, symbols, "snn_isa_supported", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        setIsa = bind(linker, symbols, "snn_set_isa", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
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
        String in = "ISA " + isa().label();
        int requested = call(isaRequested);
        String env = System.getenv("SNN_CPU_ISA");
        if (requested == -2) {
            return in + "; SNN_CPU_ISA=" + env + " is not one of portable, avx2, avx512";
        }
        if (requested >= 0 && Isa.of(requested) != isa()) {
            return in + "; SNN_CPU_ISA=" + env + " asked for an instruction set this CPU lacks";
        }
        return in;
    }

    /** {@return the instruction set the kernels run on} */
    public Isa isa() {
        return Isa.of(call(isa));
    }

    /**
     * Whether this CPU can run the kernels built for an instruction set.
     *
     * @param set the instruction set
     * @return true when {@link #use} would accept it
     */
    public boolean supports(Isa set) {
        try {
            return (int) isaSupported.invokeExact(set.code) == 1;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs the kernels on an instruction set from the next call on (for tests and benchmarks: every path in one
     * process); process-wide.
     *
     * @param set the instruction set
     * @throws IllegalArgumentException when this CPU cannot run it
     */
    public void use(Isa set) {
        int status;
        try {
            status = (int) setIsa.invokeExact(set.code);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
        if (status != KernelAbi.OK) {
            throw new IllegalArgumentException("this CPU cannot run the " + set.label() + " kernels");
        }
    }

    private static int call(MethodHandle noArguments) {
        try {
            return (int) noArguments.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException(e);
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

    /** The address of a tensor's first element, or NULL for {@code null}. */
    static MemorySegment address(Tensor t) {
        return t == null ? MemorySegment.NULL : MemorySegment.ofAddress(t.data_ptr().address());
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
     * float tensors x {@code [B, M, T]}, w {@code [N, M]}, bias {@code [N]} (or null), out {@code [B, N, T]}.
     *
     * @param x    the input {@code [B, M, T]}, float32, contiguous, CPU (mostly zeros for the method to pay off)
     * @param w    the weight {@code [N, M]}, float32, contiguous, CPU
     * @param bias the bias {@code [N]}, float32, contiguous, CPU, or {@code null} for none
     * @param out  receives the currents {@code [B, N, T]}, float32, contiguous, CPU; overwritten
     * @throws IllegalStateException when the kernel reports a failure (e.g. out of memory)
     */
    public void sparseProjection(Tensor x, Tensor w, Tensor bias, Tensor out) {
        run("snn_sparse_projection", () -> (int) sparseProjection.invokeExact(x.size(0), x.size(1), w.size(0),
                x.size(2), address(x), address(w), address(bias), address(out), threads()), x, w, bias, out);
    }
}
