package snn.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
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
import snn.models.NetworkOutput;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * The repository's Python runtime ({@code python/snn_pytorch}) runs every kind of network snn trains as snn runs
 * it: each network is trained briefly here, exported, and run by the real Python PyTorch (torch_interop.py's runtime_* tasks) on
 * the inputs snn ran it on; the logits agree to 1e-5 of the sample's largest logit and the spikes are identical.
 */
class PyTorchRuntimeTest {

    /** Relative tolerance of the logits (relative to each sample's largest logit). */
    static final double RTOL = 1e-5;
    static final Path PACKAGE = Path.of("python").toAbsolutePath();

    /**
     * Every kind snn trains (the standard LIF with either reset), with the time steps it runs over (over 128 steps
     * the membrane goes in chunks).
     */
    record Case(String model, int steps) {
    }

    static Map<String, Case> cases() {
        Map<String, Case> m = new LinkedHashMap<>();
        m.put("standard-multi-ff-2-layers", new Case("{\"kind\": \"standard\", \"hidden\": [7, 5]}", 20));
        m.put("standard-multi-rec-shared-beta", new Case("{\"kind\": \"standard\", \"hidden\": [7], \"recurrent\":"
                + " true, \"per_neuron_beta\": false}", 20));
        m.put("standard-single-ff-max", new Case("{\"kind\": \"standard\", \"hidden\": [7], \"single_spike\": true,"
                + " \"readout\": \"max\"}", 20));
        m.put("standard-single-rec", new Case("{\"kind\": \"standard\", \"hidden\": [7, 5], \"single_spike\": true,"
                + " \"recurrent\": true}", 20));
        m.put("standard-multi-rec-torch-ops-arctan", new Case("{\"kind\": \"standard\", \"hidden\": [7],"
                + " \"recurrent\": true, \"kernels\": \"torch\", \"surrogate\": {\"kind\": \"arctan\", \"scale\": 2}}",
                20));
        m.put("standard-multi-zero-reset-ff", new Case("{\"kind\": \"standard\", \"hidden\": [7, 5], \"reset\":"
                + " \"zero\"}", 20));
        m.put("standard-multi-zero-reset-rec", new Case("{\"kind\": \"standard\", \"hidden\": [7], \"recurrent\":"
                + " true, \"reset\": \"zero\", \"readout\": \"max\"}", 20));
        m.put("block-2-layers", new Case("{\"kind\": \"block\", \"hidden\": [7, 5]}", 20));
        m.put("block-shared-beta-max", new Case("{\"kind\": \"block\", \"hidden\": [7], \"per_neuron_beta\": false,"
                + " \"readout\": \"max\"}", 20));
        m.put("block-long-torch-ops", new Case("{\"kind\": \"block\", \"hidden\": [7], \"kernels\": \"torch\"}",
                150));
        m.put("block-fixed-beta-triangle", new Case("{\"kind\": \"block\", \"hidden\": [7], \"learn_beta\": false,"
                + " \"surrogate\": {\"kind\": \"triangle\", \"scale\": 5}}", 20));
        m.put("dblock-rec-max-detached-uneven", new Case("{\"kind\": \"dblock\", \"hidden\": [7, 5], \"d\": 3,"
                + " \"recurrent\": true}", 20));
        m.put("dblock-rec-sum-attached", new Case("{\"kind\": \"dblock\", \"hidden\": [7], \"d\": 4, \"recurrent\":"
                + " true, \"detach_recurrent\": false, \"recurrent_input\": \"sum\"}", 20));
        m.put("dblock-rec-max-attached-torch-ops", new Case("{\"kind\": \"dblock\", \"hidden\": [7], \"d\": 3,"
                + " \"recurrent\": true, \"detach_recurrent\": false, \"kernels\": \"torch\", \"readout\": \"max\"}",
                20));
        m.put("dblock-ff-shared-beta", new Case("{\"kind\": \"dblock\", \"hidden\": [7], \"d\": 5,"
                + " \"per_neuron_beta\": false}", 20));
        m.put("dblock-rec-long-torch-ops", new Case("{\"kind\": \"dblock\", \"hidden\": [7], \"d\": 2,"
                + " \"recurrent\": true, \"kernels\": \"torch\"}", 300));
        return m;
    }

    @BeforeAll
    static void requirePythonTorch() {
        assertTrue(Files.isDirectory(PACKAGE.resolve("snn_pytorch")), "the package is not at " + PACKAGE
                + " (the tests run from the repository's root)");
        PythonTorch.requireTorch();
        TorchRuntime.ensureInitialised();
    }

    /** Every kind, trained, exported (torch format), run in Python: the same logits and spikes as in snn. */
    @Test
    void everyKindRunsInPythonAsInSnn(@TempDir Path dir) throws IOException {
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        int index = 0;
        for (Map.Entry<String, Case> e : cases().entrySet()) {
            String label = e.getKey();
            int steps = e.getValue().steps();
            ExperimentConfig config = Fixtures.config(e.getValue().model(), steps);
            SpikingNetwork net = excitable(Fixtures.network(config, 40 + index));
            Fixtures.train(net, steps, 3);
            Tensor input = Fixtures.spikes(6, steps, 70 + index++);
            Path pt = dir.resolve(label + ".pt");
            Checkpoints.save(net, config, pt);
            ObjectNode task = runTask("runtime_run", label, pt, input, net, dir);
            tasks.add(task);
            if (label.startsWith("dblock-rec-max-detached")) {
                Path st = dir.resolve(label + ".safetensors");
                Exporter.export(net, config, ExportFormat.SAFETENSORS, Layout.SNN, st);
                tasks.add(runTask("runtime_safetensors", label + " safetensors", st, input, net, dir));
            }
        }
        String report = PythonTorch.run(tasks, dir);
        assertEquals(tasks.size(), PyTorchInteropTest.count(report, "\nok   "), report);
    }

    /** A network fine-tuned in PyTorch and saved with snn_pytorch.save loads in snn with the logits Python gives. */
    @Test
    void networksFineTunedInPythonComeBackToSnn(@TempDir Path dir) throws IOException {
        ArrayNode tasks = Fixtures.JSON.createArrayNode();
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (String label : List.of("standard-multi-rec-shared-beta", "standard-multi-zero-reset-rec", "block-2-layers",
                "dblock-rec-sum-attached")) {
            Case c = cases().get(label);
            ExperimentConfig config = Fixtures.config(c.model(), c.steps());
            SpikingNetwork net = excitable(Fixtures.network(config, 5));
            Tensor input = Fixtures.spikes(6, c.steps(), 6);
            inputs.put(label, input);
            Path pt = dir.resolve(label + ".pt");
            Checkpoints.save(net, config, pt);
            ObjectNode task = runTask("runtime_finetune", label + " fine-tuned", pt, input, net, dir);
            task.put("out", dir.resolve(label + "-tuned.pt").toString())
                    .put("logits_out", dir.resolve(label + "-tuned.json").toString())
                    .put("state_dict_out", dir.resolve(label + "-tuned-state-dict.pt").toString());
            tasks.add(task);
        }
        String report = PythonTorch.run(tasks, dir);
        assertEquals(tasks.size(), PyTorchInteropTest.count(report, "\nok   "), report);
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            Checkpoint tuned = Checkpoints.load(dir.resolve(e.getKey() + "-tuned.pt"));
            float[] python = Fixtures.values(Fixtures.readTensorsJson(dir.resolve(e.getKey() + "-tuned.json"))
                    .get("logits"));
            assertClose(python, Fixtures.logits(tuned.network(), e.getValue()), e.getKey() + " (snn_pytorch.save)");
            SpikingNetwork fresh = Fixtures.network(tuned.config(), 99);
            Checkpoints.loadInto(dir.resolve(e.getKey() + "-tuned-state-dict.pt"), fresh);
            assertClose(python, Fixtures.logits(fresh, e.getValue()), e.getKey() + " (torch.save(net.state_dict()))");
        }
    }

    /** Each logit within {@link #RTOL} of the largest of {@code python}. */
    private static void assertClose(float[] python, float[] java, String what) {
        assertEquals(python.length, java.length);
        float largest = 0;
        for (float v : python) {
            largest = Math.max(largest, Math.abs(v));
        }
        for (int i = 0; i < java.length; i++) {
            assertEquals(python[i], java[i], RTOL * largest, what + ": logit " + i + " of the network fine-tuned in"
                    + " Python");
        }
    }

    /**
     * {@code net} with its hidden layers' input weights scaled by 4, so that every hidden layer fires on the
     * fixtures' 4 sparse input channels (a silent layer would make the comparison of spikes vacuous).
     */
    private static SpikingNetwork excitable(SpikingNetwork net) {
        Map<String, Tensor> scaled = new LinkedHashMap<>();
        Parameters.named(net).forEach((name, t) -> {
            if (name.startsWith("hidden.") && name.endsWith(".input.weight")) {
                scaled.put(name, t.detach().mul(Tensors.scalar(4)));
            }
        });
        Parameters.load(net, scaled);
        return net;
    }

    /** The Python task for {@code file}: the input and what snn computes on it, written as JSON next to it. */
    private static ObjectNode runTask(String kind, String label, Path file, Tensor input, SpikingNetwork net, Path dir)
            throws IOException {
        NetworkOutput out = net.forward(input);
        ObjectNode expected = Fixtures.JSON.createObjectNode();
        expected.set("logits", Fixtures.tensorJson(out.logits()));
        ArrayNode spikes = expected.putArray("spikes");
        int total = 0;
        for (Tensor s : out.hiddenSpikes()) {
            spikes.add(Fixtures.tensorJson(s));
            float count = 0;
            for (float v : Fixtures.values(s)) {
                count += v;
            }
            assertTrue(count > 0, label + ": a hidden layer that never fires would make the comparison vacuous");
            total += (int) count;
        }
        String stem = file.getFileName().toString();
        Path inputJson = dir.resolve(stem + "-input.json");
        Files.writeString(inputJson, Fixtures.JSON.writeValueAsString(Fixtures.tensorJson(input)));
        Path expectedJson = dir.resolve(stem + "-expected.json");
        Files.writeString(expectedJson, Fixtures.JSON.writeValueAsString(expected));
        return Fixtures.JSON.createObjectNode().put("task", kind).put("label", label + " (" + total + " spikes)")
                .put("file", file.toString()).put("python_path", PACKAGE.toString())
                .put("input", inputJson.toString()).put("expected", expectedJson.toString()).put("rtol", RTOL);
    }
}
