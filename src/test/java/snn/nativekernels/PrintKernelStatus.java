package snn.nativekernels;

/** Prints {@link KernelLibrary#status()}: a process of its own for the tests of {@code SNN_CPU_ISA}. */
public final class PrintKernelStatus {

    private PrintKernelStatus() {
    }

    /**
     * Prints the status line.
     *
     * @param args none
     */
    public static void main(String[] args) {
        System.out.println(KernelLibrary.status());
    }
}
