package snn.interop;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The module-level names that PyTorch's own restricted unpickler ({@code torch.load(path, weights_only=True)},
 * {@code torch/_weights_only_unpickler.py}, {@code _get_allowed_globals}) lets a pickle refer to: the union over
 * PyTorch 1.13 to 2.x of its containers, dtypes, tensor and storage classes and tensor rebuild functions.
 * {@link PickleReader} refuses a GLOBAL outside this list before anything else happens, so snn never reads a file
 * that PyTorch's safe loader would refuse; of the names inside it, it constructs only tensors, parameters and
 * {@code OrderedDict}s.
 */
final class WeightsOnlyGlobals {

    private static final List<String> DENSE = List.of("BFloat16", "Bool", "Byte", "Char", "Double", "Float", "Half",
            "Int", "Long", "Short");
    private static final List<String> COMPLEX_AND_QUANTIZED_STORAGES = List.of("ComplexDouble", "ComplexFloat",
            "QInt32", "QInt8", "QUInt2x4", "QUInt4x2", "QUInt8");
    private static final List<String> DTYPES = List.of("float64", "float32", "float16", "bfloat16", "int64", "int32",
            "int16", "int8", "uint8", "uint16", "uint32", "uint64", "bool", "complex32", "complex64", "complex128",
            "qint8", "qint32", "quint8", "quint4x2", "quint2x4", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
            "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "bits8", "bits16", "bits1x8", "bits2x4",
            "bits4x2", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7", "int1", "int2", "int3", "int4",
            "int5", "int6", "int7");
    private static final List<String> REBUILD_FUNCTIONS = List.of("_rebuild_parameter",
            "_rebuild_parameter_with_state", "_rebuild_qtensor", "_rebuild_tensor", "_rebuild_tensor_v2",
            "_rebuild_tensor_v3", "_rebuild_sparse_tensor", "_rebuild_sparse_csr_tensor",
            "_rebuild_meta_tensor_no_storage", "_rebuild_wrapper_subclass", "_rebuild_device_tensor_from_numpy",
            "_rebuild_device_tensor_from_cpu_tensor");
    private static final List<String> OTHERS = List.of("collections.OrderedDict", "collections.Counter",
            "torch.nn.parameter.Parameter", "torch.serialization._get_layout", "torch.Size", "torch.Tensor",
            "torch.device", "_codecs.encode", "builtins.bytearray", "builtins.set", "builtins.complex",
            "torch.storage.TypedStorage", "torch.storage.UntypedStorage", "torch._tensor._rebuild_from_type_v2",
            "torch.per_tensor_affine", "torch.per_tensor_symmetric", "torch.per_channel_affine",
            "torch.per_channel_symmetric", "torch.per_channel_affine_float_qparams");

    private static final Set<String> ALLOWED = build();

    private WeightsOnlyGlobals() {
    }

    /**
     * {@return whether PyTorch's weights_only unpickler lets a pickle name {@code qualified}}
     *
     * @param qualified the module and name of a GLOBAL, e.g. {@code torch._utils._rebuild_tensor_v2}
     */
    static boolean allowed(String qualified) {
        return ALLOWED.contains(qualified);
    }

    private static Set<String> build() {
        Set<String> s = new HashSet<>(OTHERS);
        DTYPES.forEach(t -> s.add("torch." + t));
        REBUILD_FUNCTIONS.forEach(f -> s.add("torch._utils." + f));
        for (String t : DENSE) {
            s.add("torch." + t + "Storage");
            s.add("torch.cuda." + t + "Storage");
            s.add("torch." + t + "Tensor");
            s.add("torch.cuda." + t + "Tensor");
            if (!t.equals("Bool")) {
                s.add("torch.sparse." + t + "Tensor");
                s.add("torch.cuda.sparse." + t + "Tensor");
            }
        }
        for (String t : COMPLEX_AND_QUANTIZED_STORAGES) {
            s.add("torch." + t + "Storage");
            if (t.startsWith("Complex")) {
                s.add("torch.cuda." + t + "Storage");
            }
        }
        return Set.copyOf(s);
    }
}
