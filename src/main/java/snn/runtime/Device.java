package snn.runtime;

import java.util.Locale;

import org.bytedeco.pytorch.Tensor;

/**
 * Where tensors live. Only {@link #CPU} is exercised on the project's machines; CUDA is accepted and checked, and
 * {@link #META} (shapes without data) proves in tests that code places its tensors where the run says.
 */
public enum Device {
    /** The CPU, LibTorch's default. */
    CPU("cpu"),
    /** The default CUDA GPU; needs a CUDA build of LibTorch and a driver. */
    CUDA("cuda"),
    /** LibTorch's meta device: tensors with shapes and types but no memory; for tests, not selectable in configs. */
    META("meta");

    private final String name;
    private volatile org.bytedeco.pytorch.Device torch;

    Device(String name) {
        this.name = name;
    }

    /**
     * Parses a device name (case-insensitive).
     *
     * @param name {@code cpu} or {@code cuda} ({@code gpu} is accepted for {@code cuda}), or {@code meta}
     * @return the device
     * @throws IllegalArgumentException for any other name
     */
    public static Device parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "cpu" -> CPU;
            case "cuda", "gpu" -> CUDA;
            case "meta" -> META;
            default -> throw new IllegalArgumentException("unknown device '" + name + "', expected cpu or cuda");
        };
    }

    /**
     * The device a tensor lives on.
     *
     * @param t a tensor
     * @return its device
     * @throws IllegalArgumentException for a device snn does not use (e.g. MPS)
     */
    public static Device of(Tensor t) {
        org.bytedeco.pytorch.Device d = t.device();
        if (d.is_cpu()) {
            return CPU;
        } else if (d.is_cuda()) {
            return CUDA;
        } else if (d.is_meta()) {
            return META;
        }
        throw new IllegalArgumentException("a tensor on device " + d.str().getString() + ", which snn does not use");
    }

    /** {@return LibTorch's device object for this device (made once, kept for the process)} */
    public org.bytedeco.pytorch.Device torch() {
        org.bytedeco.pytorch.Device d = torch;
        if (d == null) {
            d = new org.bytedeco.pytorch.Device(name).retainReference();
            torch = d;
        }
        return d;
    }

    /** {@return the lower-case name, as in configs: {@code cpu}, {@code cuda} or {@code meta}} */
    @Override
    public String toString() {
        return name;
    }
}
