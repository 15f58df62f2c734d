package snn.nativekernels;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.bytedeco.pytorch.Tensor;

/**
 * One kernel argument struct ({@link KernelAbi}) in native memory, written field by field by its C name, e.g.
 * {@code set("in.x", x)}. The memory belongs to the caller (a {@link NativeCall} keeps it with the tensors whose
 * addresses it holds); a tensor is stored as the address of its first element, {@code null} as NULL.
 */
final class KernelArgs {

    private static final Map<String, VarHandle> HANDLES = new ConcurrentHashMap<>();

    private final StructLayout layout;
    private final MemorySegment segment;

    /**
     * @param layout  a family's struct (its {@code layer} member first)
     * @param segment at least {@code layout.byteSize()} bytes; zeroed here, and {@code layer.size} set
     */
    KernelArgs(StructLayout layout, MemorySegment segment) {
        this.layout = layout;
        this.segment = segment.reinterpret(layout.byteSize());
        this.segment.fill((byte) 0);
        set("layer.size", layout.byteSize());
    }

    /** {@return the struct's memory, for the kernel call} */
    MemorySegment segment() {
        return segment;
    }

    KernelArgs set(String path, long value) {
        handle(path).set(segment, 0L, value);
        return this;
    }

    KernelArgs set(String path, int value) {
        handle(path).set(segment, 0L, value);
        return this;
    }

    KernelArgs set(String path, float value) {
        handle(path).set(segment, 0L, value);
        return this;
    }

    KernelArgs set(String path, boolean value) {
        return set(path, value ? 1 : 0);
    }

    /** Stores the address of {@code t}'s first element, or NULL for {@code null}. */
    KernelArgs set(String path, Tensor t) {
        handle(path).set(segment, 0L, KernelLibrary.address(t));
        return this;
    }

    private VarHandle handle(String path) {
        return HANDLES.computeIfAbsent(layout.name().orElseThrow() + ":" + path, k -> layout.varHandle(
                Arrays.stream(path.split("\\.")).map(MemoryLayout.PathElement::groupElement)
                        .toArray(MemoryLayout.PathElement[]::new)));
    }
}
