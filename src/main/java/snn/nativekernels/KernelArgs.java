package snn.nativekernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import org.bytedeco.pytorch.Tensor;

/**
 * One kernel argument struct ({@link KernelAbi}) in native memory, written through the typed field handles of
 * {@link KernelAbi} ({@link StructField}), e.g. {@code set(KernelAbi.IN_X, x)}. The memory belongs to the caller (a
 * {@link NativeCall} keeps it with the tensors whose addresses it holds); a tensor is stored as the address of its
 * first element, {@code null} as NULL.
 */
final class KernelArgs {

    private final MemorySegment segment;

    /**
     * @param layout  a family's struct (its {@code layer} member first), or {@code snn_layer_args} itself
     * @param segment at least {@code layout.byteSize()} bytes; zeroed here, and {@code layer.size} set
     */
    KernelArgs(StructLayout layout, MemorySegment segment) {
        this.segment = segment.reinterpret(layout.byteSize());
        this.segment.fill((byte) 0);
        set(KernelAbi.SIZE, layout.byteSize());
    }

    /** {@return the struct's memory, for the kernel call} */
    MemorySegment segment() {
        return segment;
    }

    KernelArgs set(StructField.Int64 field, long value) {
        field.set(segment, value);
        return this;
    }

    KernelArgs set(StructField.Int32 field, int value) {
        field.set(segment, value);
        return this;
    }

    KernelArgs set(StructField.Int32 field, boolean value) {
        field.set(segment, value ? 1 : 0);
        return this;
    }

    KernelArgs set(StructField.Float32 field, float value) {
        field.set(segment, value);
        return this;
    }

    /** Stores the address of {@code t}'s first element, or NULL for {@code null}. */
    KernelArgs set(StructField.Address field, Tensor t) {
        field.set(segment, KernelLibrary.address(t));
        return this;
    }
}
