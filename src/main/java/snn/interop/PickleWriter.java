package snn.interop;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes the pickle (protocol 2) of a {@code dict} whose values are tensors or strings, exactly in the form
 * {@code torch.save} gives it: each tensor is {@code torch._utils._rebuild_tensor_v2} applied to a storage named by
 * a persistent id {@code ('storage', torch.<Type>Storage, key, 'cpu', numel)}. Only opcodes that PyTorch's
 * {@code weights_only} unpickler accepts are used (1.13 and later: no memo, no short strings).
 */
final class PickleWriter {

    private static final int PROTO = 0x80;
    private static final int EMPTY_DICT = '}';
    private static final int EMPTY_TUPLE = ')';
    private static final int MARK = '(';
    private static final int TUPLE = 't';
    private static final int TUPLE1 = 0x85;
    private static final int TUPLE2 = 0x86;
    private static final int TUPLE3 = 0x87;
    private static final int SETITEMS = 'u';
    private static final int STOP = '.';
    private static final int BINUNICODE = 'X';
    private static final int BININT = 'J';
    private static final int BININT1 = 'K';
    private static final int BININT2 = 'M';
    private static final int LONG1 = 0x8a;
    private static final int GLOBAL = 'c';
    private static final int REDUCE = 'R';
    private static final int BINPERSID = 'Q';
    private static final int NEWFALSE = 0x89;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private boolean inDict;

    /** Starts the top-level dict. */
    PickleWriter beginDict() {
        op(PROTO);
        out.write(2);
        op(EMPTY_DICT);
        op(MARK);
        inDict = true;
        return this;
    }

    /** Adds {@code key: value} for a string value. */
    PickleWriter stringEntry(String key, String value) {
        requireDict();
        string(key);
        string(value);
        return this;
    }

    /**
     * Adds {@code key: tensor} for a contiguous tensor of {@code shape} stored whole in the storage {@code storageKey}
     * (the archive entry {@code data/<storageKey>}).
     */
    PickleWriter tensorEntry(String key, DType type, long[] shape, String storageKey) {
        requireDict();
        string(key);
        global("torch._utils", "_rebuild_tensor_v2");
        op(MARK);
        op(MARK);
        string("storage");
        global("torch", type.storageClass);
        string(storageKey);
        string("cpu");
        integer(TensorBytes.numel(shape));
        op(TUPLE);
        op(BINPERSID);
        integer(0); // storage offset
        longTuple(shape);
        longTuple(contiguousStrides(shape));
        op(NEWFALSE); // requires_grad
        global("collections", "OrderedDict"); // backward hooks: OrderedDict()
        op(EMPTY_TUPLE);
        op(REDUCE);
        op(TUPLE);
        op(REDUCE);
        return this;
    }

    /** Closes the dict and returns the pickle. */
    byte[] finish() {
        requireDict();
        op(SETITEMS);
        op(STOP);
        inDict = false;
        return out.toByteArray();
    }

    static long[] contiguousStrides(long[] shape) {
        long[] strides = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return strides;
    }

    private void requireDict() {
        if (!inDict) {
            throw new IllegalStateException("beginDict() first");
        }
    }

    private void op(int code) {
        out.write(code);
    }

    private void string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op(BINUNICODE);
        int32(b.length);
        out.writeBytes(b);
    }

    private void global(String module, String name) {
        op(GLOBAL);
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private void longTuple(long[] values) {
        switch (values.length) {
            case 0 -> op(EMPTY_TUPLE);
            case 1, 2, 3 -> {
                for (long v : values) {
                    integer(v);
                }
                op(values.length == 1 ? TUPLE1 : values.length == 2 ? TUPLE2 : TUPLE3);
            }
            default -> {
                op(MARK);
                for (long v : values) {
                    integer(v);
                }
                op(TUPLE);
            }
        }
    }

    private void integer(long v) {
        if (v >= 0 && v < 0x100) {
            op(BININT1);
            out.write((int) v);
        } else if (v >= 0 && v < 0x10000) {
            op(BININT2);
            out.write((int) (v & 0xFF));
            out.write((int) (v >>> 8));
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            op(BININT);
            int32((int) v);
        } else {
            op(LONG1); // little-endian two's complement, 8 bytes is always enough for a long
            out.write(8);
            for (int i = 0; i < 8; i++) {
                out.write((int) (v >>> (8 * i)) & 0xFF);
            }
        }
    }

    private void int32(int v) {
        for (int i = 0; i < 4; i++) {
            out.write((v >>> (8 * i)) & 0xFF);
        }
    }
}
