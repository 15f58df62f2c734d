package snn.runtime;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

import snn.core.DeviceUnavailableException;

/**
 * The one place where LibTorch is initialised: native libraries, thread pools, seeds and the device.
 *
 * <p>On a small machine libtorch's OpenMP pool and OpenBLAS's own pool both spin and oversubscribe the cores: with
 * both at their defaults a small training step ran 25x slower. {@link #init} therefore sets both pools explicitly;
 * the default ({@link ThreadSettings#defaults()}) is the setting measured fastest on the project's 2-core machines
 * (see README, "Threads").
 */
public final class TorchRuntime {

    private static volatile Report report;

    private TorchRuntime() {
    }

    /**
     * What {@link #init} settled on, for logs and manifests.
     *
     * @param torchThreads   libtorch's intra-op threads, as libtorch reports them
     * @param blasThreads    the OpenBLAS threads asked for
     * @param blasThreadsSet whether OpenBLAS was found and set (else it keeps its own default)
     * @param device         the device
     * @param torchVersion   the version of the PyTorch presets, or "unknown"
     */
    public record Report(int torchThreads, int blasThreads, boolean blasThreadsSet, Device device, String torchVersion) {
        /** {@return a one-line summary, e.g. {@code device=cpu, torch threads=2, OpenBLAS threads=1, libtorch ...}} */
        @Override
        public String toString() {
            return "device=" + device + ", torch threads=" + torchThreads + ", OpenBLAS threads="
                    + (blasThreadsSet ? blasThreads : "library default") + ", libtorch " + torchVersion;
        }
    }

    /**
     * Loads libtorch and applies the thread settings and device choice. Safe to call more than once: later calls
     * re-apply the thread settings (benchmarks compare settings in one process) and return the new report.
     *
     * @param threads the pool sizes
     * @param device  the device
     * @return what was applied
     * @throws DeviceUnavailableException when {@code device} is CUDA and no CUDA build or driver is present
     */
    public static synchronized Report init(ThreadSettings threads, Device device) {
        Loader.load(torch.class);
        if (device == Device.CUDA && !cudaAvailable()) {
            throw new DeviceUnavailableException(cudaBuild()
                    ? "device 'cuda' requested: this build has LibTorch's CUDA libraries, but LibTorch finds no CUDA"
                            + " device (check the NVIDIA driver with nvidia-smi, and that CUDA 13.1 with cuDNN 9 is"
                            + " installed), or use device 'cpu'"
                    : "device 'cuda' requested, but this build of snn has LibTorch's CPU libraries; build it with"
                            + " the CUDA ones (bin/mvn -Pcuda package) on a machine with an NVIDIA driver, or use"
                            + " device 'cpu'");
        }
        torch.set_num_threads(threads.torchThreads());
        boolean blasSet = setOpenBlasThreads(threads.blasThreads());
        report = new Report(torch.get_num_threads(), threads.blasThreads(), blasSet, device, torchVersion());
        return report;
    }

    /** {@return the current report, after initialising with the default threads on the CPU if nothing has} */
    public static Report ensureInitialised() {
        Report r = report;
        return r != null ? r : init(ThreadSettings.defaults(), Device.CPU);
    }

    /** {@return the run's device: the one {@link #init} last set, or the CPU when it has not run} */
    public static Device device() {
        Report r = report;
        return r != null ? r.device() : Device.CPU;
    }

    /** {@return the last report, or empty when {@link #init} has not run} */
    public static Optional<Report> current() {
        return Optional.ofNullable(report);
    }

    /**
     * Seeds libtorch's global generator (parameter initialisation, dropout-free sampling), initialising first if
     * needed.
     *
     * @param seed the seed
     */
    public static void seed(long seed) {
        ensureInitialised();
        torch.manual_seed(seed);
    }

    /** {@return whether this build carries LibTorch's CUDA libraries (the Maven profile {@code cuda})} */
    static boolean cudaBuild() {
        try {
            Class.forName("org.bytedeco.cuda.global.cudart", false, TorchRuntime.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** {@return whether LibTorch can use a CUDA device in this process} */
    public static boolean cudaAvailable() {
        Loader.load(torch.class);
        try {
            return torch.cuda_is_available();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return false;
        }
    }

    private static String torchVersion() {
        return MachineInfo.mavenVersion("org.bytedeco", "pytorch");
    }

    /** Calls {@code openblas_set_num_threads} in the already-loaded OpenBLAS, if present. */
    private static boolean setOpenBlasThreads(int n) {
        Optional<MethodHandle> setter = SymbolLookup.loaderLookup().find("openblas_set_num_threads")
                .or(() -> Linker.nativeLinker().defaultLookup().find("openblas_set_num_threads"))
                .map(addr -> Linker.nativeLinker().downcallHandle(addr, FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT)));
        if (setter.isEmpty()) {
            return false;
        }
        try {
            setter.get().invokeExact(n);
            return true;
        } catch (Throwable e) {
            throw new IllegalStateException("openblas_set_num_threads failed", e);
        }
    }
}
