package snn.nativekernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * One field of a kernel argument struct ({@link KernelAbi}), with its {@link VarHandle} derived once, when the
 * constant is created, from the struct layout that {@link KernelLibrary} checks against the library at load. A path
 * that names no field, or a field of another type, fails then (the class does not initialise), never at a call; the
 * field's Java type is part of its own, so a value of the wrong type does not compile.
 */
sealed interface StructField {

    /**
     * A 32-bit integer field ({@code int32_t}).
     *
     * @param handle the field's handle on a segment of the struct
     */
    record Int32(VarHandle handle) implements StructField {
        void set(MemorySegment struct, int value) {
            handle.set(struct, 0L, value);
        }
    }

    /**
     * A 64-bit integer field ({@code int64_t}).
     *
     * @param handle the field's handle on a segment of the struct
     */
    record Int64(VarHandle handle) implements StructField {
        void set(MemorySegment struct, long value) {
            handle.set(struct, 0L, value);
        }
    }

    /**
     * A 32-bit float field ({@code float}).
     *
     * @param handle the field's handle on a segment of the struct
     */
    record Float32(VarHandle handle) implements StructField {
        void set(MemorySegment struct, float value) {
            handle.set(struct, 0L, value);
        }
    }

    /**
     * A pointer field (a tensor's first element, or NULL).
     *
     * @param handle the field's handle on a segment of the struct
     */
    record Address(VarHandle handle) implements StructField {
        void set(MemorySegment struct, MemorySegment address) {
            handle.set(struct, 0L, address);
        }
    }

    static Int32 int32(StructLayout struct, String... path) {
        return new Int32(handle(struct, JAVA_INT, path));
    }

    static Int64 int64(StructLayout struct, String... path) {
        return new Int64(handle(struct, JAVA_LONG, path));
    }

    static Float32 float32(StructLayout struct, String... path) {
        return new Float32(handle(struct, JAVA_FLOAT, path));
    }

    static Address address(StructLayout struct, String... path) {
        return new Address(handle(struct, ADDRESS, path));
    }

    /** The handle of the field at {@code path}, which must have the carrier of {@code expected}. */
    private static VarHandle handle(StructLayout struct, ValueLayout expected, String... path) {
        MemoryLayout.PathElement[] elements = Arrays.stream(path).map(MemoryLayout.PathElement::groupElement)
                .toArray(MemoryLayout.PathElement[]::new);
        MemoryLayout field = struct.select(elements);
        if (!(field instanceof ValueLayout value) || value.carrier() != expected.carrier()
                || value.byteSize() != expected.byteSize()) {
            throw new IllegalArgumentException(struct.name().orElseThrow() + "." + String.join(".", path) + " is "
                    + field + ", not " + expected);
        }
        return struct.varHandle(elements);
    }
}
