package snn.interop;

import static snn.cli.CliRun.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.node.ArrayNode;

import snn.cli.CliRun;
import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.InteropException;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.runtime.TorchRuntime;

/**
 * Python's usual weights files, written by the real Python PyTorch (torch_interop.py), load into snn through
 * {@link Checkpoints#loadInto} and {@code snn import --torch}: {@code torch.save(model.state_dict(), p)} (an
 * {@code OrderedDict} with {@code _metadata}), state dicts nested under {@code 'state_dict'} (beside an optimizer's
 * state) or {@code 'model'}, in snn's names or the reference's; a file PyTorch's weights_only loader refuses is
 * refused by name, and a wrong name or shape is one error naming the entry, with nothing written.
 */
class PythonStateDictTest {

    static final int T = 8;
    static final List<String> KINDS = List.of("state_dict", "nested_state_dict", "nested_model", "ordered_dict",
            "nested");

    @BeforeAll
    static void requirePythonTorch() {
        PythonTorch.requireTorch();
        TorchRuntime.ensureInitialised();
    }

    /** Each form loads with exactly Python's values, and the CLI's checkpoint predicts what loadInto's network does. */
    @Test
    void stateDictsLoadAsPythonSavedThem(@TempDir Path dir) throws IOException {
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        List<String> labels = List.of("dblock-rec", "standard-multi-rec", "block-shared-beta");
        for (String label : labels) {
            ExperimentConfig config = Fixtures.config(Fixtures.models().get(label), T);
            for (String kind : KINDS) {
                tasks.addObject().put("task", "write").put("label", label + " " + kind).put("kind", kind)
                        .put("file", dir.resolve(label + "-" + kind + ".pt").toString())
                        .put("expected_out", dir.resolve(label + "-" + kind + ".json").toString()).put("seed", 11)
                        .set("shapes", Fixtures.shapesJson(config));
            }
            tasks.addObject().put("task", "write").put("label", label + " reference module under 'model'")
                    .put("kind", "reference_module_nested").put("file", dir.resolve(label + "-ref.pt").toString())
                    .put("expected_out", dir.resolve(label + "-ref.json").toString()).put("seed", 12)
                    .set("model", PyTorchInteropTest.modelSpec(config, PyTorchInteropTest.REFERENCE.get(label)));
        }
        String report = PythonTorch.run(tasks, dir);
        assertEquals(tasks.size(), PyTorchInteropTest.count(report, "\nok   "), report);

        Tensor input = Fixtures.spikes(6, T, 3);
        for (String label : labels) {
            ExperimentConfig config = Fixtures.config(Fixtures.models().get(label), T);
            Path configFile = dir.resolve(label + "-config.json");
            Files.writeString(configFile, ConfigLoader.mapper().writeValueAsString(config));
            for (String kind : KINDS) {
                Path file = dir.resolve(label + "-" + kind + ".pt");
                SpikingNetwork net = Fixtures.network(config, 2);
                Checkpoints.loadInto(file, net);
                Fixtures.assertSameTensors(Fixtures.readTensorsJson(dir.resolve(label + "-" + kind + ".json")),
                        Parameters.named(net), label + " " + kind);

                Path out = dir.resolve(label + "-" + kind + "-imported.pt");
                CliRun o = run("import", "--torch", file.toString(), "--config", configFile.toString(), "--out",
                        out.toString());
                assertEquals(0, o.code(), o.err());
                assertTrue(o.out().contains("snn eval --checkpoint " + out), o.out());
                assertArrayEquals(Fixtures.logits(net, input), Fixtures.logits(Checkpoints.load(out).network(), input),
                        label + " " + kind + ": the imported checkpoint's logits");
            }
            SpikingNetwork net = Fixtures.network(config, 2);
            Checkpoints.loadInto(dir.resolve(label + "-ref.pt"), net);
            Map<String, Tensor> params = Parameters.named(net);
            Fixtures.assertSameTensors(ReferenceLayout.toSnnState(Fixtures.readTensorsJson(
                    dir.resolve(label + "-ref.json")), params.keySet()), params, label + " reference module");
        }
    }

    /** A pickle that would run a command is refused before anything runs, naming the file and the global. */
    @Test
    void aMaliciousPickleIsRefusedByName(@TempDir Path dir) throws IOException {
        ExperimentConfig config = Fixtures.config(Fixtures.models().get("block"), T);
        Path file = dir.resolve("evil.pt");
        Path marker = dir.resolve("pwned");
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        tasks.addObject().put("task", "write").put("kind", "malicious").put("label", "malicious")
                .put("file", file.toString()).put("marker", marker.toString());
        PythonTorch.run(tasks, dir);

        InteropException e = assertThrows(InteropException.class,
                () -> Checkpoints.loadInto(file, Fixtures.network(config, 1)));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains("global posix.system")
                && e.getMessage().contains("weights_only"), e.getMessage());

        Path configFile = dir.resolve("config.json");
        Files.writeString(configFile, ConfigLoader.mapper().writeValueAsString(config));
        Path out = dir.resolve("out.pt");
        CliRun o = run("import", "--torch", file.toString(), "--config", configFile.toString(), "--out",
                out.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains(file.toString()) && o.err().contains("posix.system"), o.err());
        assertFalse(o.err().contains("\tat "), "no stack trace: " + o.err());
        assertFalse(Files.exists(out), "nothing written");
        assertFalse(Files.exists(marker), "the command never ran");
    }

    /** A misnamed or misshapen entry is one error naming it; the CLI writes nothing. */
    @Test
    void aWrongNameOrShapeIsOneErrorNamingTheEntry(@TempDir Path dir) throws IOException {
        ExperimentConfig config = Fixtures.config(Fixtures.models().get("standard-multi-rec"), T);
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        for (String kind : List.of("wrong_name", "wrong_shape")) {
            tasks.addObject().put("task", "write").put("kind", kind).put("label", kind)
                    .put("file", dir.resolve(kind + ".pt").toString())
                    .put("expected_out", dir.resolve(kind + ".json").toString()).put("seed", 1)
                    .set("shapes", Fixtures.shapesJson(config));
        }
        PythonTorch.run(tasks, dir);
        Path configFile = dir.resolve("config.json");
        Files.writeString(configFile, ConfigLoader.mapper().writeValueAsString(config));
        Map<String, String> named = Map.of("wrong_name", "'hidden.0.input.wieght' is not a parameter",
                "wrong_shape", "'readout.input.weight' has shape [2, 2], the network's parameter has [3, 6]");
        for (Map.Entry<String, String> e : named.entrySet()) {
            Path file = dir.resolve(e.getKey() + ".pt");
            InteropException x = assertThrows(InteropException.class,
                    () -> Checkpoints.loadInto(file, Fixtures.network(config, 1)));
            assertTrue(x.getMessage().startsWith(file.toString()) && x.getMessage().contains(e.getValue()),
                    x.getMessage());
            Path out = dir.resolve(e.getKey() + "-out.pt");
            CliRun o = run("import", "--torch", file.toString(), "--config", configFile.toString(), "--out",
                    out.toString());
            assertEquals(2, o.code(), o.err());
            assertTrue(o.err().contains(e.getValue()), o.err());
            assertFalse(Files.exists(out), "nothing written");
        }
        CliRun both = run("import", "--torch", "a.pt", "--nir", "b.nir", "--out", dir.resolve("c.pt").toString());
        assertEquals(2, both.code());
        assertTrue(both.err().contains("one of --nir FILE or --torch FILE"), both.err());
        CliRun noConfig = run("import", "--torch", "a.pt", "--out", dir.resolve("c.pt").toString());
        assertEquals(2, noConfig.code());
        assertTrue(noConfig.err().contains("--torch needs --config FILE"), noConfig.err());
    }
}
