package snn;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import snn.runtime.Tensors;

/**
 * The package layers of {@code docs/architecture.md}: each package may use only the packages below it, there are no
 * cycles, and every package of the library has its place. The order here and the drawing in the document are the
 * same list; a new package must be added to both.
 */
class ArchitectureTest {

    /** Top to bottom. A package may depend on the packages after it, never on those before it. */
    static final List<String> LAYERS = List.of(
            "cli", "launcher", "api", "plots", "bench", "training", "distributed", "interop", "models", "nativekernels",
            "data", "config", "neurons", "runtime", "io", "core");

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS).importPackages("snn");
    }

    @Test
    void everyPackageIsALayer() {
        Set<String> packages = classes.stream().map(JavaClass::getPackageName).map(ArchitectureTest::layerOf)
                .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(packages.size() > 10, "the library's classes were found: " + packages);
        assertEquals(new TreeSet<>(), packages.stream().filter(p -> !LAYERS.contains(p))
                .collect(Collectors.toCollection(TreeSet::new)), "packages missing from the layers");
    }

    @Test
    void eachLayerUsesOnlyTheLayersBelowIt() {
        for (int i = 1; i < LAYERS.size(); i++) {
            String[] above = LAYERS.subList(0, i).stream().map(p -> "snn." + p + "..").toArray(String[]::new);
            noClasses().that().resideInAPackage("snn." + LAYERS.get(i) + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(above)
                    .because("snn." + LAYERS.get(i) + " lies below " + String.join(", ", LAYERS.subList(0, i))
                            + " (docs/architecture.md)")
                    .check(classes);
        }
    }

    @Test
    void theLauncherDependsOnNothingOfSnn() {
        // It must load and run on old Java releases, so it reaches snn.cli.Main only by reflection.
        noClasses().that().resideInAPackage("snn.launcher..").should().dependOnClassesThat()
                .resideInAnyPackage(LAYERS.stream().filter(p -> !p.equals("launcher")).map(p -> "snn." + p + "..")
                        .toArray(String[]::new))
                .check(classes);
    }

    /** LibTorch's functions that make a tensor from nothing, on a device chosen by their options. */
    static final Set<String> TENSOR_FACTORIES = Set.of("empty", "zeros", "ones", "full", "rand", "randn", "randint",
            "arange", "linspace", "logspace", "eye", "tensor", "from_blob", "scalar_tensor", "empty_strided",
            "randperm", "normal");

    @Test
    void tensorsAreMadeInOnePlace() {
        DescribedPredicate<JavaCall<?>> factory = new DescribedPredicate<>("make a tensor with LibTorch's factory"
                + " functions or TensorOptions") {
            @Override
            public boolean test(JavaCall<?> call) {
                return call.getTargetOwner().isEquivalentTo(torch.class) && TENSOR_FACTORIES.contains(call.getName())
                        || call.getTargetOwner().isEquivalentTo(TensorOptions.class)
                        && call.getName().equals("<init>");
            }
        };
        noClasses().that().doNotHaveFullyQualifiedName(Tensors.class.getName()).should().callCodeUnitWhere(factory)
                .because("snn.runtime.Tensors makes every tensor on the run's device (or on the CPU by name)")
                .check(classes);
    }

    @Test
    void noPackageCycles() {
        slices().matching("snn.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theDocumentDrawsTheSameLayers() throws IOException {
        String doc = Files.readString(Path.of("docs/architecture.md"));
        int previous = -1;
        for (String layer : LAYERS) {
            int at = doc.indexOf("`snn." + layer + "`");
            assertTrue(at > previous, "docs/architecture.md names `snn." + layer + "` after the layers above it");
            previous = at;
        }
    }

    /** {@code snn.interop.nir} belongs to the {@code interop} layer. */
    private static String layerOf(String pkg) {
        String rest = pkg.startsWith("snn.") ? pkg.substring(4) : pkg;
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }
}
