package snn.nativekernels;

import java.util.Arrays;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.Executable;

/**
 * Runs native-kernel tests once per instruction set the library is built for ({@link Isa}), with the kernel calls of
 * the test's thread on it for the duration of each test. An instruction set this CPU lacks gives one aborted test that says so: it is
 * reported as not run, never as passed.
 */
public final class EveryIsa {

    private EveryIsa() {
    }

    /**
     * One container per instruction set, holding the tests made by {@code tests}.
     *
     * @param tests makes the tests (once per instruction set)
     * @return the containers, in the order of {@link Isa}
     */
    public static Stream<DynamicNode> containers(Supplier<Stream<DynamicTest>> tests) {
        KernelLibrary library = NativeRequirement.library();
        return Arrays.stream(Isa.values()).map(isa -> DynamicContainer.dynamicContainer(isa.label(),
                library.supports(isa)
                        ? tests.get().map(t -> DynamicTest.dynamicTest(t.getDisplayName(),
                                () -> on(library, isa, t.getExecutable())))
                        : Stream.of(DynamicTest.dynamicTest("not run: this CPU lacks " + isa.label(),
                                () -> Assumptions.abort("this CPU cannot run the " + isa.label() + " kernels")))));
    }

    /**
     * Runs {@code body} with the kernel calls this thread starts on {@code isa} ({@link KernelLibrary#onIsa}), then
     * restores the thread's instruction set; other threads are not affected.
     *
     * @param library the loaded kernels
     * @param isa     an instruction set this CPU supports
     * @param body    the test
     * @throws Throwable what {@code body} throws
     */
    public static void on(KernelLibrary library, Isa isa, Executable body) throws Throwable {
        try (KernelLibrary.IsaScope scope = library.onIsa(isa)) {
            body.execute();
        }
    }
}
