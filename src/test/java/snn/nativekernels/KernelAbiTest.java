package snn.nativekernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import snn.runtime.TorchRuntime;

/**
 * The library describes its ABI (structs, field offsets and sizes, codes) and the Java side refuses a library that
 * differs from its own layouts, naming the field or code.
 */
class KernelAbiTest {

    static KernelLibrary library;

    @BeforeAll
    static void load() {
        TorchRuntime.ensureInitialised();
        library = NativeRequirement.library();
    }

    @Test
    void theLibraryMatchesThisBuildsLayoutsAndCodes() {
        assertEquals(Optional.empty(), KernelAbi.mismatch(KernelAbi.STRUCTS, KernelAbi.CODES, library.description()));
        // every struct and every code of the library is known here
        for (KernelAbi.Entry e : library.description()) {
            if (e.scope().equals("code")) {
                assertTrue(KernelAbi.CODES.containsKey(e.name()), e.name());
            } else {
                assertTrue(KernelAbi.STRUCTS.stream().anyMatch(s -> s.name().orElseThrow().equals(e.scope())),
                        e.scope());
            }
        }
    }

    @Test
    void aLayoutWithTwoFieldsSwappedIsRefusedNamingTheField() {
        // snn_layer_args with "scale" and "threads" in each other's place: same sizes, other offsets
        List<MemoryLayout> members = new ArrayList<>(KernelAbi.LAYER_ARGS.memberLayouts());
        members.set(2, JAVA_INT.withName("threads"));
        members.set(3, JAVA_FLOAT.withName("scale"));
        StructLayout swapped = MemoryLayout.structLayout(members.toArray(MemoryLayout[]::new))
                .withName("snn_layer_args");
        KernelLibrary.Loaded refused = KernelLibrary.open(library.path(), replace(swapped), KernelAbi.CODES);
        assertNull(refused.library());
        assertTrue(refused.problem().contains("does not match this build's kernel ABI")
                && refused.problem().contains("field snn_layer_args.threads is at offset 16 (4 bytes) in the library,"
                        + " at offset 12 (4 bytes) in this build"), refused.problem());
    }

    @Test
    void aFieldOfAnotherSizeIsRefused() {
        List<MemoryLayout> members = new ArrayList<>(KernelAbi.GRAD_ARGS.memberLayouts());
        members.set(5, JAVA_INT.withName("b_rec"));
        members.add(6, MemoryLayout.paddingLayout(4));
        StructLayout narrower = MemoryLayout.structLayout(members.toArray(MemoryLayout[]::new))
                .withName("snn_grad_args");
        Optional<String> problem = KernelAbi.mismatch(replace(narrower), KernelAbi.CODES, library.description());
        assertEquals(Optional.of("field snn_grad_args.b_rec is at offset 40 (8 bytes) in the library, at offset 40"
                + " (4 bytes) in this build"), problem);
    }

    @Test
    void aMissingFieldIsRefused() {
        StructLayout shorter = MemoryLayout.structLayout(KernelAbi.GRAD_ARGS.memberLayouts().subList(0, 5)
                .toArray(MemoryLayout[]::new)).withName("snn_grad_args");
        Optional<String> problem = KernelAbi.mismatch(replace(shorter), KernelAbi.CODES, library.description());
        assertEquals(Optional.of("field snn_grad_args.b_rec of the library is missing from this build"), problem);
    }

    @Test
    void aCodeOfAnotherValueIsRefused() {
        Map<String, Integer> codes = new HashMap<>(KernelAbi.CODES);
        codes.put("SNN_REDUCE_SUM", 2);
        KernelLibrary.Loaded refused = KernelLibrary.open(library.path(), KernelAbi.STRUCTS, codes);
        assertNull(refused.library());
        assertTrue(refused.problem().endsWith("code SNN_REDUCE_SUM is 1 in the library, 2 in this build (rebuild"
                + " with bin/mvn package)"), refused.problem());
    }

    /** The structs of this build with one replaced by a layout of the same name. */
    private static List<StructLayout> replace(StructLayout other) {
        return KernelAbi.STRUCTS.stream().map(s -> s.name().equals(other.name()) ? other : s).toList();
    }
}
