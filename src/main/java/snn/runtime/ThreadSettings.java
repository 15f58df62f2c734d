package snn.runtime;

/**
 * Sizes of libtorch's intra-op (OpenMP) pool and of OpenBLAS's pool.
 *
 * @param torchThreads threads for libtorch's parallel kernels, at least 1
 * @param blasThreads  threads for OpenBLAS GEMM, at least 1
 */
public record ThreadSettings(int torchThreads, int blasThreads) {

    /**
     * Checks the counts.
     *
     * @throws IllegalArgumentException when a count is below 1
     */
    public ThreadSettings {
        if (torchThreads < 1 || blasThreads < 1) {
            throw new IllegalArgumentException("thread counts must be >= 1, got torch=" + torchThreads
                    + ", blas=" + blasThreads);
        }
    }

    /**
     * The measured best on this project's machines: every core for libtorch, one thread for OpenBLAS (GEMMs run
     * inside libtorch's parallel regions, so a second BLAS pool only competes for the same cores).
     *
     * @return the available processors for libtorch, 1 for OpenBLAS
     */
    public static ThreadSettings defaults() {
        return sharedBy(1);
    }

    /**
     * The defaults for one of {@code processes} processes training on this machine at once (data-parallel workers):
     * the cores split evenly between them, so that their pools do not oversubscribe the machine.
     *
     * @param processes the processes on this machine, at least 1
     * @return {@code max(1, cores / processes)} threads for libtorch, 1 for OpenBLAS
     */
    public static ThreadSettings sharedBy(int processes) {
        int cores = Runtime.getRuntime().availableProcessors();
        return new ThreadSettings(Math.max(1, cores / Math.max(1, processes)), 1);
    }
}
