package snn.nativekernels;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The kernels' ABI as this build expects it ({@code src/main/native/snn_kernels.h}): the argument structs as
 * {@link MemoryLayout}s, the integer codes, and the check of both against the library's own description
 * ({@code snn_abi_describe}), which refuses a library whose structs or codes differ, naming the first field or code
 * that does.
 */
final class KernelAbi {

    /** The ABI version this build expects ({@code SNN_ABI_VERSION}). */
    static final int VERSION = 10;

    // ----- integer codes (snn_kernels.h), checked against the library's -----------------------------------------

    static final int OK = 0;
    static final int ERR_MEMORY = -1;
    static final int ERR_ARGS = -2;
    static final int ERR_STRUCT_SIZE = -3;
    static final int ERR_UNSUPPORTED = -4;
    static final int ERR_EVENTS = -5;
    static final int LIF_MULTI = 0;
    static final int LIF_SINGLE = 1;
    static final int LIF_INTEGRATOR = 2;
    static final int RESET_SUBTRACT = 0;
    static final int RESET_ZERO = 1;
    static final int SURR_FAST_SIGMOID = 0;
    static final int SURR_ARCTAN = 1;
    static final int SURR_TRIANGLE = 2;
    static final int REDUCE_MAX = 0;
    static final int REDUCE_SUM = 1;
    static final int ISA_PORTABLE = 0;
    static final int ISA_AVX2 = 1;
    static final int ISA_AVX512 = 2;

    /** The codes by their C names, as the library lists them. */
    static final Map<String, Integer> CODES = codes();

    private static Map<String, Integer> codes() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("SNN_OK", OK);
        m.put("SNN_ERR_MEMORY", ERR_MEMORY);
        m.put("SNN_ERR_ARGS", ERR_ARGS);
        m.put("SNN_ERR_STRUCT_SIZE", ERR_STRUCT_SIZE);
        m.put("SNN_LIF_MULTI", LIF_MULTI);
        m.put("SNN_LIF_SINGLE", LIF_SINGLE);
        m.put("SNN_LIF_INTEGRATOR", LIF_INTEGRATOR);
        m.put("SNN_RESET_SUBTRACT", RESET_SUBTRACT);
        m.put("SNN_RESET_ZERO", RESET_ZERO);
        m.put("SNN_SURR_FAST_SIGMOID", SURR_FAST_SIGMOID);
        m.put("SNN_SURR_ARCTAN", SURR_ARCTAN);
        m.put("SNN_SURR_TRIANGLE", SURR_TRIANGLE);
        m.put("SNN_REDUCE_MAX", REDUCE_MAX);
        m.put("SNN_REDUCE_SUM", REDUCE_SUM);
        m.put("SNN_ERR_UNSUPPORTED", ERR_UNSUPPORTED);
        m.put("SNN_ISA_PORTABLE", ISA_PORTABLE);
        m.put("SNN_ISA_AVX2", ISA_AVX2);
        m.put("SNN_ISA_AVX512", ISA_AVX512);
        m.put("SNN_ERR_EVENTS", ERR_EVENTS);
        return Map.copyOf(m);
    }

    // ----- structs ---------------------------------------------------------------------------------------------

    /**
     * {@code snn_input_args}: the dense current, or the projected input with its event cache, or the projected input
     * as the caller's events (CSR: per-sample offsets, positions channel << 16 | step, values).
     */
    static final StructLayout INPUT_ARGS = MemoryLayout.structLayout(
            ADDRESS.withName("cur"),
            ADDRESS.withName("x"),
            ADDRESS.withName("w_in"),
            ADDRESS.withName("b_in"),
            JAVA_LONG.withName("m"),
            ADDRESS.withName("ev_pos"),
            ADDRESS.withName("ev_val"),
            ADDRESS.withName("ev_count"),
            JAVA_LONG.withName("ev_cap"),
            ADDRESS.withName("in_off"),
            ADDRESS.withName("in_pos"),
            ADDRESS.withName("in_val"),
            ADDRESS.withName("x_bits"),
            ADDRESS.withName("x_nan")).withName("snn_input_args");

    /** {@code snn_grad_args}: the gradient outputs of a backward call. */
    static final StructLayout GRAD_ARGS = MemoryLayout.structLayout(
            ADDRESS.withName("cur"),
            ADDRESS.withName("w_in"),
            ADDRESS.withName("b_in"),
            ADDRESS.withName("beta"),
            ADDRESS.withName("w_rec"),
            ADDRESS.withName("b_rec"),
            ADDRESS.withName("x"),
            ADDRESS.withName("cur_steps")).withName("snn_grad_args");

    /** {@code snn_next_args}: a consumer's share of the spikes' gradient, handed to their producer's backward call. */
    static final StructLayout NEXT_ARGS = MemoryLayout.structLayout(
            ADDRESS.withName("g"),
            ADDRESS.withName("w"),
            JAVA_LONG.withName("k")).withName("snn_next_args");

    /** {@code snn_layer_args}: what every layer kernel reads and writes, the first member of each family's struct. */
    static final StructLayout LAYER_ARGS = MemoryLayout.structLayout(
            JAVA_LONG.withName("size"),
            JAVA_INT.withName("surrogate"),
            JAVA_FLOAT.withName("scale"),
            JAVA_INT.withName("threads"),
            JAVA_INT.withName("spiking"),
            JAVA_INT.withName("isa"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("batch"),
            JAVA_LONG.withName("neurons"),
            JAVA_LONG.withName("steps"),
            INPUT_ARGS.withName("in"),
            ADDRESS.withName("beta"),
            ADDRESS.withName("w_rec"),
            ADDRESS.withName("b_rec"),
            ADDRESS.withName("spk"),
            ADDRESS.withName("mem"),
            ADDRESS.withName("first"),
            ADDRESS.withName("g_spk"),
            ADDRESS.withName("g_mem"),
            GRAD_ARGS.withName("grad"),
            ADDRESS.withName("spk_bits"),
            ADDRESS.withName("spk_nan"),
            NEXT_ARGS.withName("next")).withName("snn_layer_args");

    /** {@code snn_lif_args}: one standard LIF call, forward and backward. */
    static final StructLayout LIF_ARGS = MemoryLayout.structLayout(
            LAYER_ARGS.withName("layer"),
            JAVA_INT.withName("mode"),
            JAVA_INT.withName("reset"),
            ADDRESS.withName("pre")).withName("snn_lif_args");

    /** {@code snn_dblock_args}: one block or d-block call, forward and backward. */
    static final StructLayout DBLOCK_ARGS = MemoryLayout.structLayout(
            LAYER_ARGS.withName("layer"),
            JAVA_INT.withName("detach"),
            JAVA_INT.withName("reduction"),
            JAVA_LONG.withName("blocks")).withName("snn_dblock_args");

    /** {@code snn_abi_entry}: one line of the library's self-description. */
    static final StructLayout ABI_ENTRY = MemoryLayout.structLayout(
            ADDRESS.withName("scope"),
            ADDRESS.withName("name"),
            JAVA_LONG.withName("value"),
            JAVA_LONG.withName("size")).withName("snn_abi_entry");

    /** Every struct the Java side lays out, checked at load. */
    static final List<StructLayout> STRUCTS = List.of(INPUT_ARGS, GRAD_ARGS, NEXT_ARGS, LAYER_ARGS, LIF_ARGS,
            DBLOCK_ARGS, ABI_ENTRY);

    // ----- fields, as typed handles derived once from the layouts above ---------------------------------------

    // snn_layer_args: the first member of every family's struct (at offset 0, checked below), so these handles serve
    // every family's struct and snn_project's plain snn_layer_args alike.
    static final StructField.Int64 SIZE = StructField.int64(LAYER_ARGS, "size");
    static final StructField.Int32 SURROGATE = StructField.int32(LAYER_ARGS, "surrogate");
    static final StructField.Float32 SCALE = StructField.float32(LAYER_ARGS, "scale");
    static final StructField.Int32 THREADS = StructField.int32(LAYER_ARGS, "threads");
    static final StructField.Int32 SPIKING = StructField.int32(LAYER_ARGS, "spiking");
    static final StructField.Int32 ISA = StructField.int32(LAYER_ARGS, "isa");
    static final StructField.Int64 BATCH = StructField.int64(LAYER_ARGS, "batch");
    static final StructField.Int64 NEURONS = StructField.int64(LAYER_ARGS, "neurons");
    static final StructField.Int64 STEPS = StructField.int64(LAYER_ARGS, "steps");
    static final StructField.Address IN_CUR = StructField.address(LAYER_ARGS, "in", "cur");
    static final StructField.Address IN_X = StructField.address(LAYER_ARGS, "in", "x");
    static final StructField.Address IN_W_IN = StructField.address(LAYER_ARGS, "in", "w_in");
    static final StructField.Address IN_B_IN = StructField.address(LAYER_ARGS, "in", "b_in");
    static final StructField.Int64 IN_M = StructField.int64(LAYER_ARGS, "in", "m");
    static final StructField.Address IN_EV_POS = StructField.address(LAYER_ARGS, "in", "ev_pos");
    static final StructField.Address IN_EV_VAL = StructField.address(LAYER_ARGS, "in", "ev_val");
    static final StructField.Address IN_EV_COUNT = StructField.address(LAYER_ARGS, "in", "ev_count");
    static final StructField.Int64 IN_EV_CAP = StructField.int64(LAYER_ARGS, "in", "ev_cap");
    static final StructField.Address IN_EVENT_OFFSETS = StructField.address(LAYER_ARGS, "in", "in_off");
    static final StructField.Address IN_EVENT_POSITIONS = StructField.address(LAYER_ARGS, "in", "in_pos");
    static final StructField.Address IN_EVENT_VALUES = StructField.address(LAYER_ARGS, "in", "in_val");
    static final StructField.Address IN_X_BITS = StructField.address(LAYER_ARGS, "in", "x_bits");
    static final StructField.Address IN_X_NAN = StructField.address(LAYER_ARGS, "in", "x_nan");
    static final StructField.Address BETA = StructField.address(LAYER_ARGS, "beta");
    static final StructField.Address W_REC = StructField.address(LAYER_ARGS, "w_rec");
    static final StructField.Address B_REC = StructField.address(LAYER_ARGS, "b_rec");
    static final StructField.Address SPK = StructField.address(LAYER_ARGS, "spk");
    static final StructField.Address MEM = StructField.address(LAYER_ARGS, "mem");
    static final StructField.Address FIRST = StructField.address(LAYER_ARGS, "first");
    static final StructField.Address G_SPK = StructField.address(LAYER_ARGS, "g_spk");
    static final StructField.Address G_MEM = StructField.address(LAYER_ARGS, "g_mem");
    static final StructField.Address GRAD_CUR = StructField.address(LAYER_ARGS, "grad", "cur");
    static final StructField.Address GRAD_W_IN = StructField.address(LAYER_ARGS, "grad", "w_in");
    static final StructField.Address GRAD_B_IN = StructField.address(LAYER_ARGS, "grad", "b_in");
    static final StructField.Address GRAD_BETA = StructField.address(LAYER_ARGS, "grad", "beta");
    static final StructField.Address GRAD_W_REC = StructField.address(LAYER_ARGS, "grad", "w_rec");
    static final StructField.Address GRAD_B_REC = StructField.address(LAYER_ARGS, "grad", "b_rec");
    static final StructField.Address GRAD_X = StructField.address(LAYER_ARGS, "grad", "x");
    static final StructField.Address GRAD_CUR_STEPS = StructField.address(LAYER_ARGS, "grad", "cur_steps");
    static final StructField.Address SPK_BITS = StructField.address(LAYER_ARGS, "spk_bits");
    static final StructField.Address SPK_NAN = StructField.address(LAYER_ARGS, "spk_nan");
    static final StructField.Address NEXT_G = StructField.address(LAYER_ARGS, "next", "g");
    static final StructField.Address NEXT_W = StructField.address(LAYER_ARGS, "next", "w");
    static final StructField.Int64 NEXT_K = StructField.int64(LAYER_ARGS, "next", "k");

    /** The upstream gradients and gradient outputs of a backward call, all cleared after it. */
    static final List<StructField.Address> GRADIENTS = List.of(G_SPK, G_MEM, GRAD_CUR, GRAD_W_IN, GRAD_B_IN,
            GRAD_BETA, GRAD_W_REC, GRAD_B_REC, GRAD_X, GRAD_CUR_STEPS, NEXT_G, NEXT_W);

    // snn_lif_args
    static final StructField.Int32 LIF_MODE = StructField.int32(LIF_ARGS, "mode");
    static final StructField.Int32 LIF_RESET = StructField.int32(LIF_ARGS, "reset");
    static final StructField.Address LIF_PRE = StructField.address(LIF_ARGS, "pre");

    // snn_dblock_args
    static final StructField.Int32 DBLOCK_DETACH = StructField.int32(DBLOCK_ARGS, "detach");
    static final StructField.Int32 DBLOCK_REDUCTION = StructField.int32(DBLOCK_ARGS, "reduction");
    static final StructField.Int64 DBLOCK_BLOCKS = StructField.int64(DBLOCK_ARGS, "blocks");

    static {
        for (StructLayout family : List.of(LIF_ARGS, DBLOCK_ARGS)) {
            if (family.byteOffset(groupElement("layer")) != 0) {
                throw new ExceptionInInitializerError(family.name().orElseThrow() + ".layer is not its first member");
            }
        }
    }

    /** A kernel family: its argument struct and its two entry points. */
    enum Family {
        /** The standard LIF layer ({@code snn_lif_*}). */
        LIF(LIF_ARGS, "snn_lif_forward", "snn_lif_backward"),
        /** The block and d-block layers ({@code snn_dblock_*}). */
        DBLOCK(DBLOCK_ARGS, "snn_dblock_forward", "snn_dblock_backward");

        final StructLayout layout;
        final String forward;
        final String backward;

        Family(StructLayout layout, String forward, String backward) {
            this.layout = layout;
            this.forward = forward;
            this.backward = backward;
        }
    }

    private KernelAbi() {
    }

    /**
     * One line of the library's self-description: a struct ({@code name} empty, {@code size} its size), a field
     * ({@code value} its offset) or a code ({@code scope} "code").
     */
    record Entry(String scope, String name, long value, long size) {
    }

    /** Reads {@code count} entries from the table the library filled. */
    static List<Entry> read(MemorySegment table, int count) {
        List<Entry> entries = new ArrayList<>(count);
        long stride = ABI_ENTRY.byteSize();
        long scope = ABI_ENTRY.byteOffset(groupElement("scope"));
        long name = ABI_ENTRY.byteOffset(groupElement("name"));
        long value = ABI_ENTRY.byteOffset(groupElement("value"));
        long size = ABI_ENTRY.byteOffset(groupElement("size"));
        for (int i = 0; i < count; i++) {
            MemorySegment e = table.asSlice(i * stride, stride);
            entries.add(new Entry(string(e.get(ADDRESS, scope)), string(e.get(ADDRESS, name)), e.get(JAVA_LONG, value),
                    e.get(JAVA_LONG, size)));
        }
        return entries;
    }

    private static String string(MemorySegment p) {
        return p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /**
     * Compares layouts and codes with a library's description. Nested structs (the {@code in} and {@code grad}
     * members) are checked as members of their parent (offset and size) and as structs of their own.
     *
     * @param structs the layouts this side writes, each named like its C struct
     * @param codes   the codes this side uses, by C name
     * @param library the library's description
     * @return empty when everything agrees, else the first difference, naming the struct and field or the code
     */
    static Optional<String> mismatch(List<StructLayout> structs, Map<String, Integer> codes, List<Entry> library) {
        Map<String, Entry> byName = new LinkedHashMap<>();
        for (Entry e : library) {
            byName.put(e.scope() + "." + e.name(), e);
        }
        for (StructLayout s : structs) {
            String struct = s.name().orElseThrow();
            Entry whole = byName.get(struct + ".");
            if (whole == null) {
                return Optional.of("struct " + struct + " is missing from the library");
            }
            List<String> fields = new ArrayList<>();
            for (MemoryLayout member : s.memberLayouts()) {
                if (member.name().isEmpty()) {
                    continue; // padding
                }
                String field = member.name().get();
                fields.add(field);
                Entry e = byName.get(struct + "." + field);
                long offset = s.byteOffset(groupElement(field));
                if (e == null) {
                    return Optional.of("field " + struct + "." + field + " is missing from the library");
                }
                if (e.value() != offset || e.size() != member.byteSize()) {
                    return Optional.of("field " + struct + "." + field + " is at offset " + e.value() + " ("
                            + e.size() + " bytes) in the library, at offset " + offset + " (" + member.byteSize()
                            + " bytes) in this build");
                }
            }
            for (Entry e : library) {
                if (e.scope().equals(struct) && !e.name().isEmpty() && !fields.contains(e.name())) {
                    return Optional.of("field " + struct + "." + e.name() + " of the library is missing from this"
                            + " build");
                }
            }
            if (whole.size() != s.byteSize()) {
                return Optional.of("struct " + struct + " has " + whole.size() + " bytes in the library, "
                        + s.byteSize() + " in this build");
            }
        }
        for (Map.Entry<String, Integer> c : codes.entrySet()) {
            Entry e = byName.get("code." + c.getKey());
            if (e == null) {
                return Optional.of("code " + c.getKey() + " is missing from the library");
            }
            if (e.value() != c.getValue()) {
                return Optional.of("code " + c.getKey() + " is " + e.value() + " in the library, " + c.getValue()
                        + " in this build");
            }
        }
        return Optional.empty();
    }
}
