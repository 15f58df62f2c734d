package snn.nativekernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Optional;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The compiled kernels ({@code src/main/native}, built by Maven into {@code <build dir>/native/libsnnkernels.so}),
 * bound through the Foreign Function &amp; Memory API. Tensors are passed as the addresses of their (contiguous,
 * float32 or int32, CPU) memory: nothing is copied.
 *
 * <p>The library is looked up in the file named by the system property {@value #PATH_PROPERTY}, else in
 * {@code native/} next to the jar or classes folder this class came from. It is loaded after LibTorch, so its
 * OpenMP runtime ({@code libgomp.so.1}) resolves to the one LibTorch already loaded: the kernels and LibTorch share
 * one thread pool.
 */
public final class KernelLibrary {

    /** System property naming the library file explicitly. */
    public static final String PATH_PROPERTY = "snn.native.lib";
    /** File name of the library. */
    public static final String FILE_NAME = "libsnnkernels.so";

    private static final int ABI_VERSION = 3;

    private record Loaded(KernelLibrary library, String problem) {
    }

    private static final class Holder {
        static final Loaded LOADED = load();
    }

    private final Path path;
    private final MethodHandle lifForward;
    private final MethodHandle lifBackward;
    private final MethodHandle dblockForward;
    private final MethodHandle dblockBackward;
    private final MethodHandle copyPass;
    private final MethodHandle sparseProjection;

    private KernelLibrary(Path path, SymbolLookup symbols) {
        this.path = path;
        Linker linker = Linker.nativeLinker();
        lifForward = bind(linker, symbols, "snn_lif_forward", FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, JAVA_LONG,
                ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        lifBackward = bind(linker, symbols, "snn_lif_backward", FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_INT,
                JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG,
                ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        dblockForward = bind(linker, symbols, "snn_dblock_forward", FunctionDescriptor.of(JAVA_INT,
                JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, JAVA_LONG,
                ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        dblockBackward = bind(linker, symbols, "snn_dblock_backward", FunctionDescriptor.of(JAVA_INT,
                JAVA_INT, JAVA_FLOAT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG,
                ADDRESS, ADDRESS, ADDRESS, JAVA_LONG,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        copyPass = bind(linker, symbols, "snn_copy_pass", FunctionDescriptor.ofVoid(
                ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
        sparseProjection = bind(linker, symbols, "snn_sparse_projection", FunctionDescriptor.of(JAVA_INT,
                JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
    }

    /**
     * The library, loaded on first use (once per process; a failure is not retried).
     *
     * @return the bound library, or empty when it was not found, has another kernel ABI version or fails to load
     *         ({@link #status()} says why)
     */
    public static Optional<KernelLibrary> get() {
        return Optional.ofNullable(Holder.LOADED.library());
    }

    /** {@return why {@link #get()} is empty, or {@code "loaded from PATH"} when it is not} */
    public static String status() {
        Loaded l = Holder.LOADED;
        return l.library() != null ? "loaded from " + l.library().path : l.problem();
    }

    /** {@return the absolute path of the file the library was loaded from} */
    public Path path() {
        return path;
    }

    private static Loaded load() {
        Optional<Path> candidate = locate();
        if (candidate.isEmpty()) {
            return new Loaded(null, "native kernel library " + FILE_NAME + " not found (set -D" + PATH_PROPERTY
                    + "=FILE, or build with a C compiler so that it lands in native/ next to the jar)");
        }
        Path file = candidate.get();
        try {
            // LibTorch first, so that the kernels bind to LibTorch's OpenMP runtime instead of loading another.
            Loader.load(torch.class);
            SymbolLookup symbols = SymbolLookup.libraryLookup(file, Arena.global());
            MethodHandle abi = bind(Linker.nativeLinker(), symbols, "snn_abi_version",
                    FunctionDescriptor.of(JAVA_INT));
            int version = (int) abi.invokeExact();
            if (version != ABI_VERSION) {
                return new Loaded(null, file + " has kernel ABI " + version + ", this build expects " + ABI_VERSION
                        + " (rebuild with mvn package)");
            }
            return new Loaded(new KernelLibrary(file, symbols), null);
        } catch (Throwable e) {
            return new Loaded(null, "cannot load " + file + ": " + e);
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

    /** A call of one kernel's method handle, returning the kernel's status (0: success). */
    @FunctionalInterface
    private interface Downcall {
        int invoke() throws Throwable;
    }

    /**
     * Runs a kernel: fails with {@link IllegalStateException} on a non-zero status or a checked exception, and keeps
     * {@code used} (the tensors whose addresses the call passes) reachable until the kernel returns. Without that
     * the JIT may treat a tensor as dead once its address is taken, and the garbage collector may free its memory
     * while the kernel reads or writes it (a caller's temporary, such as a {@code contiguous()} copy of an upstream
     * gradient).
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

    private static int threads() {
        return Math.max(1, torch.get_num_threads());
    }

    private static void check(int status, String kernel) {
        if (status != 0) {
            throw new IllegalStateException(kernel + " failed with status " + status
                    + (status == -1 ? " (out of memory)" : ""));
        }
    }

    /**
     * The input of a layer kernel: a dense current {@code cur [B, N, T]} (the rest null), or an input
     * {@code x [B, M, T]} that the kernel projects event by event with {@code w [N, M]} and {@code b [N]}, recording
     * up to {@code eventCapacity} events per sample in {@code eventPositions} (int32) and {@code eventValues}
     * ({@code [B, capacity]}) with their count in {@code eventCounts} (int32 {@code [B]}) for the backward pass.
     */
    record Input(Tensor cur, Tensor x, Tensor w, Tensor b, Tensor eventPositions, Tensor eventValues,
            Tensor eventCounts, long eventCapacity) {
        static Input dense(Tensor cur) {
            return new Input(cur, null, null, null, null, null, null, 0);
        }

        long inputs() {
            return x != null ? x.size(1) : 0;
        }
    }

    /** Gradient outputs of a backward call; any may be null (not wanted). */
    record Grads(Tensor current, Tensor inputWeight, Tensor inputBias, Tensor beta, Tensor weight, Tensor bias) {
    }

    void lifForward(int mode, long b, long n, long t, Input in, Tensor beta, Tensor wRec, Tensor bRec,
            Tensor spk, Tensor mem, Tensor pre, Tensor first) {
        run("snn_lif_forward", () -> (int) lifForward.invokeExact(mode, b, n, t, address(in.cur()), address(in.x()),
                in.inputs(), address(in.w()), address(in.b()), address(in.eventPositions()),
                address(in.eventValues()), address(in.eventCounts()), in.eventCapacity(), address(beta),
                address(wRec), address(bRec), address(spk), address(mem), address(pre), address(first), threads()),
                in, beta, wRec, bRec, spk, mem, pre, first);
    }

    void lifBackward(int mode, int surrogate, float scale, boolean recurrent, long b, long n, long t, Input in,
            Tensor beta, Tensor spk, Tensor mem, Tensor pre, Tensor first, Tensor gSpk, Tensor gMem, Grads g) {
        run("snn_lif_backward", () -> (int) lifBackward.invokeExact(mode, surrogate, scale, recurrent ? 1 : 0, b, n,
                t, address(in.x()), in.inputs(), address(in.eventPositions()), address(in.eventValues()),
                address(in.eventCounts()), in.eventCapacity(), address(beta), address(spk), address(mem),
                address(pre), address(first), address(gSpk), address(gMem), address(g.current()),
                address(g.inputWeight()), address(g.inputBias()), address(g.beta()), address(g.weight()),
                address(g.bias()), threads()),
                in, beta, spk, mem, pre, first, gSpk, gMem, g);
    }

    void dblockForward(long b, long n, long t, long d, Input in, Tensor beta, Tensor wRec, Tensor bRec,
            Tensor spk, Tensor mem, Tensor first) {
        run("snn_dblock_forward", () -> (int) dblockForward.invokeExact(b, n, t, d, address(in.cur()),
                address(in.x()), in.inputs(), address(in.w()), address(in.b()), address(in.eventPositions()),
                address(in.eventValues()), address(in.eventCounts()), in.eventCapacity(), address(beta),
                address(wRec), address(bRec), address(spk), address(mem), address(first), threads()),
                in, beta, wRec, bRec, spk, mem, first);
    }

    void dblockBackward(int surrogate, float scale, boolean recurrent, boolean detach, int reduction, long b, long n,
            long t, long d, Input in, Tensor beta, Tensor wRec, Tensor spk, Tensor mem, Tensor first, Tensor gSpk,
            Tensor gMem, Grads g) {
        run("snn_dblock_backward", () -> (int) dblockBackward.invokeExact(surrogate, scale, recurrent ? 1 : 0,
                detach ? 1 : 0, reduction, b, n, t, d, address(in.x()), in.inputs(), address(in.eventPositions()),
                address(in.eventValues()), address(in.eventCounts()), in.eventCapacity(), address(beta),
                address(wRec), address(spk), address(mem), address(first), address(gSpk), address(gMem),
                address(g.current()), address(g.inputWeight()), address(g.inputBias()), address(g.beta()),
                address(g.weight()), address(g.bias()), threads()),
                in, beta, wRec, spk, mem, first, gSpk, gMem, g);
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
            return 0;
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
