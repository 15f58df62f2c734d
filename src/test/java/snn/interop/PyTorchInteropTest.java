package snn.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.config.ExperimentConfig;
import snn.core.InteropException;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.runtime.TorchRuntime;

/**
 * snn and the real Python PyTorch (1.13 from Debian's python3-torch, or newer) exchange files both ways. Python runs
 * torch_interop.py; a missing Python PyTorch fails these tests with the install command.
 */
class PyTorchInteropTest {

    static final int T = 8;

    /** How each test network looks in the authors' code (written out by hand, independently of ReferenceLayout). */
    record ReferenceSpec(String family, boolean sharedBeta, Integer d, int kernelSets) {
    }

    static final Map<String, ReferenceSpec> REFERENCE = Map.of(
            "standard-multi-ff", new ReferenceSpec("standard_dblock_repo", false, null, 0),
            "standard-multi-rec", new ReferenceSpec("standard_dblock_repo", false, null, 0),
            "standard-single", new ReferenceSpec("standard_block_repo", false, null, 0),
            "block", new ReferenceSpec("block", false, null, 3),
            "block-shared-beta", new ReferenceSpec("block", true, null, 2),
            "dblock-rec", new ReferenceSpec("dblock", false, 3, 9),
            "dblock-ff-even", new ReferenceSpec("dblock", false, 4, 6));

    @BeforeAll
    static void requirePythonTorch() {
        PythonTorch.requireTorch();
        TorchRuntime.ensureInitialised();
    }

    /** Java writes both formats in the snn layout; Python reads them (torch with weights_only=True). */
    @Test
    void javaFilesLoadInPythonWithNamesShapesValuesAndMetadata(@TempDir Path dir) throws IOException {
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        for (String label : Fixtures.models().keySet()) {
            ExperimentConfig config = Fixtures.config(Fixtures.models().get(label), T);
            SpikingNetwork net = Fixtures.network(config, 21);
            Fixtures.train(net, T, 3);
            Path expected = dir.resolve(label + "-expected.json");
            Fixtures.writeTensorsJson(Parameters.named(net), expected);
            Path pt = dir.resolve(label + ".pt");
            Checkpoints.save(net, config, pt);
            Path st = dir.resolve(label + ".safetensors");
            Exporter.export(net, config, ExportFormat.SAFETENSORS, Layout.SNN, st);
            ObjectNode metadata = Fixtures.JSON.createObjectNode().put("format", "snn").put("layout", "snn")
                    .put("inputs", Fixtures.INPUTS).put("classes", Fixtures.CLASSES);
            tasks.addObject().put("task", "check_torch").put("label", label + " torch").put("file", pt.toString())
                    .put("expected", expected.toString()).set("metadata", metadata);
            tasks.addObject().put("task", "check_safetensors").put("label", label + " safetensors")
                    .put("file", st.toString()).put("expected", expected.toString()).set("metadata", metadata);
        }
        String report = PythonTorch.run(tasks, dir);
        assertEquals(tasks.size(), count(report, "\nok   "), report);
    }

    /**
     * Reference-layout exports load with load_state_dict(strict=True) into modules shaped like the authors' (both
     * formats); the module's state_dict saved again by Python loads back into snn with identical logits.
     */
    @Test
    void referenceExportsLoadStrictlyIntoReferenceModulesAndComeBackIdentical(@TempDir Path dir) throws IOException {
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        Map<String, float[]> logits = new LinkedHashMap<>();
        Tensor input = Fixtures.spikes(4, T, 8);
        for (String label : Fixtures.models().keySet()) {
            ExperimentConfig config = Fixtures.config(Fixtures.models().get(label), T);
            SpikingNetwork net = Fixtures.network(config, 31);
            Fixtures.train(net, T, 3);
            logits.put(label, Fixtures.logits(net, input));
            Map<String, Tensor> reference = new LinkedHashMap<>(ReferenceLayout.toReferenceState(
                    Parameters.named(net), config.model(), T));
            reference.keySet().removeIf(ReferenceLayout::isDerivedKernel);
            Path expected = dir.resolve(label + "-reference.json");
            Fixtures.writeTensorsJson(reference, expected);
            for (ExportFormat format : Fixtures.PYTORCH_FORMATS) {
                Path file = dir.resolve(label + "-reference." + format.name().toLowerCase());
                Exporter.export(net, config, format, Layout.REFERENCE, file);
                ReferenceSpec spec = REFERENCE.get(label);
                ObjectNode task = tasks.addObject().put("task", "strict_load").put("label", label + " " + format)
                        .put("file", file.toString()).put("format", format.name().toLowerCase())
                        .put("expected", expected.toString()).put("kernel_sets", spec.kernelSets());
                task.set("model", modelSpec(config, spec));
                if (format == ExportFormat.TORCH) {
                    task.put("resave_to", dir.resolve(label + "-resaved.pt").toString());
                }
            }
        }
        String report = PythonTorch.run(tasks, dir);
        assertEquals(tasks.size(), count(report, "\nok   "), report);
        for (String label : Fixtures.models().keySet()) {
            Checkpoint back = Checkpoints.load(dir.resolve(label + "-resaved.pt"));
            assertArrayEquals(logits.get(label), Fixtures.logits(back.network(), input),
                    label + ": logits after the round trip through Python's reference module");
        }
    }

    /** Python writes plain dicts (also views into shared storages, float64, reference names) and safetensors. */
    @Test
    void pythonFilesLoadIntoJava(@TempDir Path dir) throws IOException {
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        List<String> labels = List.of("dblock-rec", "standard-multi-rec", "block");
        List<String> kinds = List.of("plain", "views", "safetensors");
        for (String label : labels) {
            ExperimentConfig config = Fixtures.config(Fixtures.models().get(label), T);
            ObjectNode shapes = Fixtures.shapesJson(config);
            for (String kind : kinds) {
                tasks.addObject().put("task", "write").put("label", label + " " + kind).put("kind", kind)
                        .put("file", dir.resolve(label + "-" + kind).toString())
                        .put("expected_out", dir.resolve(label + "-" + kind + ".json").toString())
                        .put("seed", 5).set("shapes", shapes);
            }
            tasks.addObject().put("task", "write").put("label", label + " reference module")
                    .put("kind", "reference_module").put("file", dir.resolve(label + "-module.pt").toString())
                    .put("expected_out", dir.resolve(label + "-module.json").toString()).put("seed", 6)
                    .set("model", modelSpec(config, REFERENCE.get(label)));
        }
        String report = PythonTorch.run(tasks, dir);
        assertEquals(tasks.size(), count(report, "\nok   "), report);

        for (String label : labels) {
            ExperimentConfig config = Fixtures.config(Fixtures.models().get(label), T);
            for (String kind : kinds) {
                SpikingNetwork net = Fixtures.network(config, 2);
                Checkpoints.loadInto(dir.resolve(label + "-" + kind), net);
                Fixtures.assertSameTensors(Fixtures.readTensorsJson(dir.resolve(label + "-" + kind + ".json")),
                        Parameters.named(net), label + " " + kind);
            }
            SpikingNetwork net = Fixtures.network(config, 2);
            Checkpoints.loadInto(dir.resolve(label + "-module.pt"), net);
            Map<String, Tensor> params = Parameters.named(net);
            Map<String, Tensor> expected = ReferenceLayout.toSnnState(
                    Fixtures.readTensorsJson(dir.resolve(label + "-module.json")), params.keySet());
            Fixtures.assertSameTensors(expected, params, label + " from dict(model.state_dict())");
        }
        TensorFile safetensors = Checkpoints.read(dir.resolve("block-safetensors"));
        assertEquals(Map.of("origin", "python"), safetensors.metadata());
    }

    /**
     * The legacy format gets a message with the Python line that fixes it (OrderedDicts and nested state dicts load:
     * PythonStateDictTest).
     */
    @Test
    void legacyPythonFilesExplainTheFix(@TempDir Path dir) throws IOException {
        ExperimentConfig config = Fixtures.config(Fixtures.models().get("block"), T);
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        tasks.addObject().put("task", "write").put("kind", "legacy").put("label", "legacy")
                .put("file", dir.resolve("legacy.pt").toString())
                .put("expected_out", dir.resolve("legacy.json").toString()).put("seed", 1)
                .set("shapes", Fixtures.shapesJson(config));
        PythonTorch.run(tasks, dir);
        assertFix(dir.resolve("legacy.pt"), config, "legacy", "_use_new_zipfile_serialization=True");
    }

    static void assertFix(Path file, ExperimentConfig config, String problem, String fix) {
        InteropException e = assertThrows(InteropException.class,
                () -> Checkpoints.loadInto(file, Fixtures.network(config, 1)));
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toString()) && m.contains(problem) && m.contains(fix), m);
    }

    static ObjectNode modelSpec(ExperimentConfig config, ReferenceSpec spec) {
        ObjectNode model = Fixtures.JSON.createObjectNode().put("family", spec.family())
                .put("n_in", Fixtures.INPUTS).put("n_out", Fixtures.CLASSES).put("t_len", T)
                .put("shared_beta", spec.sharedBeta());
        if (spec.d() != null) {
            model.put("d", spec.d());
        }
        ArrayNode hidden = model.putArray("hidden");
        config.model().hidden().forEach(hidden::add);
        return model;
    }

    static int count(String text, String fragment) {
        int n = 0;
        for (int i = text.indexOf(fragment); i >= 0; i = text.indexOf(fragment, i + 1)) {
            n++;
        }
        return n;
    }
}
