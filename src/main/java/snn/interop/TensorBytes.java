package snn.interop;

import java.lang.ref.Reference;
import java.nio.ByteOrder;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.runtime.Device;
import snn.runtime.Tensors;

/** Copies between tensors and the raw little-endian, row-major bytes both file formats store. */
final class TensorBytes {

    private TensorBytes() {
    }

    static {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("snn's interop formats are little-endian; this platform is big-endian");
        }
    }

    /** The element type of {@code t}. */
    static DType dtype(Tensor t, String name) {
        return DType.of(t.scalar_type()).orElseThrow(() -> new IllegalArgumentException("tensor '" + name
                + "' has element type " + t.scalar_type() + ", which the torch and safetensors writers do not support"));
    }

    /** The values of {@code t} (moved to the CPU, made contiguous) as little-endian bytes. */
    static byte[] bytes(Tensor t, String name) {
        Tensor c = t.detach();
        if (!c.is_cpu()) {
            c = c.cpu();
        }
        c = c.contiguous();
        long n = c.nbytes();
        if (n > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + n + " bytes; at most 2 GB per tensor");
        }
        byte[] out = new byte[(int) n];
        if (n > 0) {
            new BytePointer(c.data_ptr()).capacity(n).get(out, 0, (int) n);
        }
        // c may be a fresh copy: keep it (and so its memory) alive until its bytes are read.
        Reference.reachabilityFence(c);
        return out;
    }

    /** A new CPU tensor of {@code shape} and {@code type} holding {@code data[offset, offset + numel * size)}. */
    static Tensor tensor(DType type, long[] shape, byte[] data, int offset) {
        Tensor t = Tensors.empty(Device.CPU, type.scalarType, shape); // CPU memory, written from the file's bytes
        long n = t.nbytes();
        if (n > 0) {
            new BytePointer(t.data_ptr()).capacity(n).put(data, offset, (int) n);
        }
        return t;
    }

    /** Number of elements of a tensor of {@code shape}, failing on overflow. */
    static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative dimension " + s);
            }
            n = Math.multiplyExact(n, s);
        }
        return n;
    }
}
