package snn.interop;

import java.util.Arrays;
import java.util.Optional;

import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The tensor element types the interop formats carry, with their names in each format: the safetensors
 * {@code dtype} string and the legacy storage class that {@code torch.save} records for a storage.
 */
enum DType {
    F64("F64", "DoubleStorage", ScalarType.Double, 8),
    F32("F32", "FloatStorage", ScalarType.Float, 4),
    F16("F16", "HalfStorage", ScalarType.Half, 2),
    BF16("BF16", "BFloat16Storage", ScalarType.BFloat16, 2),
    I64("I64", "LongStorage", ScalarType.Long, 8),
    I32("I32", "IntStorage", ScalarType.Int, 4),
    I16("I16", "ShortStorage", ScalarType.Short, 2),
    I8("I8", "CharStorage", ScalarType.Char, 1),
    U8("U8", "ByteStorage", ScalarType.Byte, 1),
    BOOL("BOOL", "BoolStorage", ScalarType.Bool, 1);

    final String safetensorsName;
    final String storageClass;
    final ScalarType scalarType;
    final int size;

    DType(String safetensorsName, String storageClass, ScalarType scalarType, int size) {
        this.safetensorsName = safetensorsName;
        this.storageClass = storageClass;
        this.scalarType = scalarType;
        this.size = size;
    }

    /** The type of a libtorch scalar type, or empty when no format here can hold it (complex, quantised). */
    static Optional<DType> of(torch.ScalarType type) {
        ScalarType canonical = type.intern();
        return Arrays.stream(values()).filter(d -> d.scalarType == canonical).findFirst();
    }

    static Optional<DType> fromSafetensors(String name) {
        return Arrays.stream(values()).filter(d -> d.safetensorsName.equals(name)).findFirst();
    }

    static Optional<DType> fromStorageClass(String name) {
        return Arrays.stream(values()).filter(d -> d.storageClass.equals(name)).findFirst();
    }
}
