package snn.nativekernels;

import java.util.Locale;

/**
 * An instruction set the native kernels are built for (docs/native-kernels.md, "Instruction sets"). The library
 * runs on the best one the CPU supports, unless the environment variable {@code SNN_CPU_ISA} names another that it
 * supports; {@link KernelLibrary#onIsa} runs one thread's calls on another for a while.
 */
public enum Isa {
    /** Plain C for any CPU (on x86-64: SSE4.2, x86-64-v2), 4 lanes. */
    PORTABLE(KernelAbi.ISA_PORTABLE),
    /** AVX2 and FMA (x86-64-v3), 8 lanes. */
    AVX2(KernelAbi.ISA_AVX2),
    /** AVX-512 F, DQ, BW, VL, CD (x86-64-v4), 16 lanes. */
    AVX512(KernelAbi.ISA_AVX512);

    final int code;

    Isa(int code) {
        this.code = code;
    }

    /** {@return the name {@code SNN_CPU_ISA} takes: portable, avx2 or avx512} */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Isa of(int code) {
        for (Isa i : values()) {
            if (i.code == code) {
                return i;
            }
        }
        throw new IllegalStateException("the kernel library reports an unknown instruction set " + code);
    }
}
