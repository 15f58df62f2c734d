package snn.interop;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Device;
import snn.runtime.Tensors;

/**
 * Reads the subset of pickle that {@code torch.save} emits for containers of tensors: dicts, lists, tuples,
 * strings, numbers, booleans, None, tensors and parameters ({@code torch._utils._rebuild_tensor_v2},
 * {@code _rebuild_parameter}) over storages given by persistent ids, and the {@code collections.OrderedDict} used
 * for backward hooks and {@code state_dict()} (its {@code _metadata} attribute is read and dropped). A GLOBAL that
 * PyTorch's own {@code weights_only} loader refuses ({@link WeightsOnlyGlobals}) is an error naming it before
 * anything is called; of the allowed ones, nothing but the above is constructed, so a file cannot make the reader
 * run code.
 */
final class PickleReader {

    /** Failure to read the pickle; TorchFormat adds the file name. */
    static final class PickleException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PickleException(String message) {
            super(message);
        }
    }

    /** Loads the storage of a persistent id as a flat tensor. */
    @FunctionalInterface
    interface StorageLoader {
        Tensor load(DType type, String key);
    }

    /** A Python {@code collections.OrderedDict}. */
    static final class OrderedDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
    }

    /** A Python tuple. */
    record Tuple(List<Object> items) {
    }

    /** A module-level name pushed by GLOBAL. */
    record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    /** A storage referenced by a persistent id. */
    private record Storage(DType type, Tensor flat) {
    }

    private static final Object MARK = new Object();

    private final ByteBuffer in;
    private final StorageLoader storages;
    private final Map<Integer, Object> memo = new HashMap<>();
    private final List<Object> stack = new ArrayList<>();

    private PickleReader(byte[] pickle, StorageLoader storages) {
        this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
        this.storages = storages;
    }

    /** Unpickles {@code pickle}; persistent ids are resolved through {@code storages}. */
    static Object read(byte[] pickle, StorageLoader storages) {
        try {
            return new PickleReader(pickle, storages).run();
        } catch (java.nio.BufferUnderflowException e) {
            throw new PickleException("the pickle ends early (truncated or corrupt file)");
        } catch (IndexOutOfBoundsException | ArithmeticException | IllegalArgumentException e) {
            throw new PickleException("the pickle is malformed (" + e.getMessage() + ")");
        }
    }

    private Object run() {
        while (true) {
            int op = in.get() & 0xFF;
            switch (op) {
                case 0x80 -> in.get(); // PROTO
                case 0x95 -> in.getLong(); // FRAME
                case '.' -> {
                    return pop();
                }
                case '(' -> stack.add(MARK);
                case '}' -> stack.add(new LinkedHashMap<>());
                case ']' -> stack.add(new ArrayList<>());
                case ')' -> stack.add(new Tuple(List.of()));
                case 't' -> stack.add(new Tuple(popMark()));
                case 0x85, 0x86, 0x87 -> {
                    int n = op - 0x84;
                    List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
                    stack.subList(stack.size() - n, stack.size()).clear();
                    stack.add(new Tuple(items));
                }
                case 'q' -> memo.put(in.get() & 0xFF, top());
                case 'r' -> memo.put(in.getInt(), top());
                case 0x94 -> memo.put(memo.size(), top()); // MEMOIZE
                case 'h' -> stack.add(memoGet(in.get() & 0xFF));
                case 'j' -> stack.add(memoGet(in.getInt()));
                case 'X' -> stack.add(utf8(in.getInt()));
                case 0x8c -> stack.add(utf8(in.get() & 0xFF));
                case 0x8d -> stack.add(utf8(Math.toIntExact(in.getLong())));
                case 'U' -> stack.add(bytes(in.get() & 0xFF));
                case 'T', 'B' -> stack.add(bytes(in.getInt()));
                case 'C' -> stack.add(bytes(in.get() & 0xFF));
                case 'J' -> stack.add((long) in.getInt());
                case 'K' -> stack.add((long) (in.get() & 0xFF));
                case 'M' -> stack.add((long) (in.getShort() & 0xFFFF));
                case 0x8a -> stack.add(long1(in.get() & 0xFF));
                case 'G' -> stack.add(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // big-endian
                case 'N' -> stack.add(null);
                case 0x88 -> stack.add(Boolean.TRUE);
                case 0x89 -> stack.add(Boolean.FALSE);
                case 'c' -> stack.add(allowedGlobal(new Global(line(), line())));
                case 0x93 -> { // STACK_GLOBAL
                    String name = asString(pop());
                    stack.add(allowedGlobal(new Global(asString(pop()), name)));
                }
                case 'R' -> {
                    Tuple args = as(Tuple.class, pop(), "REDUCE arguments");
                    Object callable = pop();
                    stack.add(reduce(callable, args.items()));
                }
                case 0x81 -> { // NEWOBJ
                    pop();
                    throw new PickleException("holds an instance of " + describe(pop())
                            + ", which is not a tensor, dict or list");
                }
                case 'Q' -> stack.add(persistent(pop()));
                case 'b' -> build(pop(), top());
                case 's' -> {
                    Object value = pop();
                    Object key = pop();
                    dict(top()).put(key, value);
                }
                case 'u' -> {
                    List<Object> items = popMark();
                    Map<Object, Object> dict = dict(top());
                    for (int i = 0; i + 1 < items.size(); i += 2) {
                        dict.put(items.get(i), items.get(i + 1));
                    }
                }
                case 'a' -> {
                    Object item = pop();
                    list(top()).add(item);
                }
                case 'e' -> {
                    List<Object> items = popMark();
                    list(top()).addAll(items);
                }
                default -> throw new PickleException(String.format(
                        "uses pickle opcode 0x%02x, which torch.save does not emit for dicts of tensors", op));
            }
        }
    }

    /** {@code g}, unless PyTorch's weights_only loader refuses it: then nothing more of the file is read. */
    private static Global allowedGlobal(Global g) {
        if (!WeightsOnlyGlobals.allowed(g.qualified())) {
            throw new PickleException("refers to the global " + g.qualified() + ", which PyTorch's weights_only loader"
                    + " refuses as well (unpickling it could run code), so snn reads nothing of this file. Only files"
                    + " of tensors are read: in Python, save the weights alone, torch.save(model.state_dict(), path)");
        }
        return g;
    }

    private Object reduce(Object callable, List<Object> args) {
        if (!(callable instanceof Global g)) {
            throw new PickleException("calls " + describe(callable) + ", which is not a known function");
        }
        return switch (g.qualified()) {
            case "torch._utils._rebuild_tensor_v2" -> rebuildTensor(args);
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> {
                if (args.isEmpty() || !(args.get(0) instanceof Tensor t)) {
                    throw new PickleException("a parameter without tensor data");
                }
                yield t;
            }
            case "collections.OrderedDict" -> {
                if (!args.isEmpty()) {
                    throw new PickleException("an OrderedDict built from arguments, which torch.save does not emit");
                }
                yield new OrderedDict();
            }
            default -> throw new PickleException("holds an object made by " + g.qualified()
                    + ", which is not a tensor, dict or list (only plain containers of tensors are read)");
        };
    }

    /** {@code _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])}. */
    private Tensor rebuildTensor(List<Object> args) {
        if (args.size() < 6 || !(args.get(0) instanceof Storage storage)) {
            throw new PickleException("a tensor with unexpected rebuild arguments");
        }
        long offset = asLong(args.get(1));
        long[] size = longs(as(Tuple.class, args.get(2), "tensor size"));
        long[] stride = longs(as(Tuple.class, args.get(3), "tensor stride"));
        if (size.length != stride.length) {
            throw new PickleException("a tensor whose size and stride have different lengths");
        }
        long numel = TensorBytes.numel(size);
        long available = storage.flat().numel();
        if (numel > 0) {
            long last = offset;
            for (int i = 0; i < size.length; i++) {
                if (stride[i] < 0) {
                    throw new PickleException("a tensor with a negative stride");
                }
                last += (size[i] - 1) * stride[i];
            }
            if (offset < 0 || last >= available) {
                throw new PickleException("a tensor reaching past the end of its storage (corrupt file)");
            }
        }
        Tensor out = Tensors.empty(Device.CPU, storage.type().scalarType, size);
        if (numel > 0) {
            out.copy_(storage.flat().as_strided(size, stride, new LongOptional(offset)));
        }
        return out;
    }

    private Storage persistent(Object pid) {
        Tuple t = as(Tuple.class, pid, "persistent id");
        List<Object> p = t.items();
        if (p.size() < 5 || !"storage".equals(p.get(0)) || !(p.get(1) instanceof Global type)) {
            throw new PickleException("a persistent id that is not a storage: " + describe(pid));
        }
        DType dtype = type.module().equals("torch") ? DType.fromStorageClass(type.name()).orElse(null) : null;
        if (dtype == null) {
            throw new PickleException("a storage of type " + type.qualified() + ", which snn does not read");
        }
        return new Storage(dtype, storages.load(dtype, asString(p.get(2))));
    }

    private void build(Object state, Object target) {
        if (target instanceof OrderedDict) {
            return; // state_dict()'s _metadata (versions of submodules): not needed
        }
        throw new PickleException("sets the state of " + describe(target) + ", which snn does not read");
    }

    // ----- stack helpers ------------------------------------------------------------------------------------

    private Object pop() {
        if (stack.isEmpty()) {
            throw new PickleException("the pickle is malformed (stack underflow)");
        }
        Object o = stack.remove(stack.size() - 1);
        if (o == MARK) {
            throw new PickleException("the pickle is malformed (unexpected mark)");
        }
        return o;
    }

    private Object top() {
        if (stack.isEmpty()) {
            throw new PickleException("the pickle is malformed (stack underflow)");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() {
        for (int i = stack.size() - 1; i >= 0; i--) {
            if (stack.get(i) == MARK) {
                List<Object> items = new ArrayList<>(stack.subList(i + 1, stack.size()));
                stack.subList(i, stack.size()).clear();
                return items;
            }
        }
        throw new PickleException("the pickle is malformed (no mark)");
    }

    private Object memoGet(int index) {
        if (!memo.containsKey(index)) {
            throw new PickleException("the pickle is malformed (memo " + index + " unset)");
        }
        return memo.get(index);
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o) {
        if (o instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw new PickleException("sets an item on " + describe(o) + ", which is not a dict");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        if (o instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw new PickleException("appends to " + describe(o) + ", which is not a list");
    }

    // ----- value helpers ------------------------------------------------------------------------------------

    private String utf8(int n) {
        byte[] b = new byte[n];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private String line() {
        int start = in.position();
        while (in.get() != '\n') {
            // scan to the newline
        }
        return new String(in.array(), start, in.position() - start - 1, StandardCharsets.US_ASCII);
    }

    private long long1(int n) {
        if (n > 8) {
            throw new PickleException("an integer wider than 64 bits");
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (in.get() & 0xFFL) << (8 * i);
        }
        if (n > 0 && n < 8 && (v & (1L << (8 * n - 1))) != 0) {
            v |= -1L << (8 * n); // sign-extend
        }
        return v;
    }

    private static long asLong(Object o) {
        if (o instanceof Long l) {
            return l;
        }
        throw new PickleException("expected an integer, found " + describe(o));
    }

    private static String asString(Object o) {
        if (o instanceof String s) {
            return s;
        }
        throw new PickleException("expected a string, found " + describe(o));
    }

    private static long[] longs(Tuple t) {
        long[] out = new long[t.items().size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = asLong(t.items().get(i));
        }
        return out;
    }

    private static <T> T as(Class<T> type, Object o, String what) {
        if (type.isInstance(o)) {
            return type.cast(o);
        }
        throw new PickleException("expected a " + what + ", found " + describe(o));
    }

    /** A short Python-like description of an unpickled value, for messages. */
    static String describe(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Global g) {
            return g.qualified();
        }
        if (o instanceof OrderedDict) {
            return "an OrderedDict";
        }
        if (o instanceof Map<?, ?>) {
            return "a dict";
        }
        if (o instanceof List<?>) {
            return "a list";
        }
        if (o instanceof Tuple) {
            return "a tuple";
        }
        if (o instanceof Tensor) {
            return "a tensor";
        }
        if (o instanceof String) {
            return "a string";
        }
        if (o instanceof Long) {
            return "an int";
        }
        if (o instanceof Double) {
            return "a float";
        }
        if (o instanceof Boolean) {
            return "a bool";
        }
        if (o instanceof byte[]) {
            return "bytes";
        }
        return o.getClass().getSimpleName();
    }
}
