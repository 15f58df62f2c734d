package snn.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/** Small networks, inputs and tensor comparisons shared by the interop tests. */
final class Fixtures {

    static final ObjectMapper JSON = new ObjectMapper();
    static final int INPUTS = 4;
    static final int CLASSES = 3;
    /** The formats that hold tensors under parameter names (NIR holds a graph and has tests of its own, Nir*Test). */
    static final List<ExportFormat> PYTORCH_FORMATS = List.of(ExportFormat.TORCH, ExportFormat.SAFETENSORS);

    private Fixtures() {
    }

    /** A valid experiment config on the synthetic task (INPUTS channels, CLASSES classes) with this model. */
    static ExperimentConfig config(String modelJson, int tLen) {
        TorchRuntime.ensureInitialised();
        String json = """
                {"name": "interop", "seed": 7,
                 "data": {"dataset": "synthetic", "synthetic": {"channels": %d, "classes": %d, "t_len": %d}},
                 "model": %s}""".formatted(INPUTS, CLASSES, tLen, modelJson);
        return ConfigLoader.parse(json, List.of(), "test config");
    }

    /** The networks the interop tests cover: every kind, recurrent and not, per-neuron and shared beta. */
    static Map<String, String> models() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("standard-multi-ff", "{\"kind\": \"standard\", \"hidden\": [6, 5]}");
        m.put("standard-multi-rec", "{\"kind\": \"standard\", \"hidden\": [6], \"recurrent\": true}");
        m.put("standard-single", "{\"kind\": \"standard\", \"hidden\": [6], \"single_spike\": true}");
        m.put("block", "{\"kind\": \"block\", \"hidden\": [6, 5]}");
        m.put("block-shared-beta", "{\"kind\": \"block\", \"hidden\": [6], \"per_neuron_beta\": false}");
        m.put("dblock-rec", "{\"kind\": \"dblock\", \"hidden\": [6, 5], \"d\": 3, \"recurrent\": true}");
        m.put("dblock-ff-even", "{\"kind\": \"dblock\", \"hidden\": [6], \"d\": 4}");
        return m;
    }

    static SpikingNetwork network(ExperimentConfig config, long seed) {
        TorchRuntime.seed(seed);
        return new SpikingNetwork(config.model(), INPUTS, CLASSES);
    }

    /** Random binary spikes {@code [batch, INPUTS, tLen]}. */
    static Tensor spikes(int batch, int tLen, long seed) {
        TorchRuntime.seed(seed);
        return torch.rand(new long[] {batch, INPUTS, tLen}, Tensors.float32()).lt(new org.bytedeco.pytorch.Scalar(0.3))
                .to(torch.ScalarType.Float);
    }

    /** A few Adam steps on random data and targets, so weights, biases and betas all move away from their init. */
    static void train(SpikingNetwork net, int tLen, int steps) {
        Adam adam = new Adam(net.parameters(), new AdamOptions(0.05));
        Tensor x = spikes(8, tLen, 99);
        Tensor target = Tensors.labels(new long[] {0, 1, 2, 0, 1, 2, 0, 1});
        for (int i = 0; i < steps; i++) {
            adam.zero_grad();
            Tensor loss = torch.cross_entropy_loss(net.forward(x).logits(), target);
            loss.backward();
            adam.step();
        }
    }

    static float[] logits(SpikingNetwork net, Tensor input) {
        return values(net.forward(input).logits());
    }

    /** The values of any tensor as float32, row-major (also for empty tensors). */
    static float[] values(Tensor t) {
        return t.numel() == 0 ? new float[0] : Tensors.toArray(t);
    }

    static void assertSameTensors(Map<String, Tensor> expected, Map<String, Tensor> actual, String what) {
        assertArrayEquals(expected.keySet().stream().sorted().toArray(), actual.keySet().stream().sorted().toArray(),
                what + ": names");
        expected.forEach((k, v) -> {
            assertArrayEquals(Tensors.shape(v), Tensors.shape(actual.get(k)), what + ": shape of " + k);
            assertArrayEquals(values(v), values(actual.get(k)), what + ": values of " + k);
        });
    }

    /** Writes tensors as {@code {name: {"shape": [...], "data": [...]}}} (float32 values, exact as doubles). */
    static void writeTensorsJson(Map<String, Tensor> tensors, Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        tensors.forEach((name, t) -> root.set(name, tensorJson(t)));
        Files.writeString(file, JSON.writeValueAsString(root));
    }

    /** {@code {name: shape}} of the parameters of the network {@code config} describes. */
    static ObjectNode shapesJson(ExperimentConfig config) {
        ObjectNode shapes = JSON.createObjectNode();
        Parameters.named(network(config, 1)).forEach((name, t) -> {
            ArrayNode shape = shapes.putArray(name);
            for (long s : Tensors.shape(t)) {
                shape.add(s);
            }
        });
        return shapes;
    }

    static ObjectNode tensorJson(Tensor t) {
        ObjectNode node = JSON.createObjectNode();
        ArrayNode shape = node.putArray("shape");
        for (long s : Tensors.shape(t)) {
            shape.add(s);
        }
        ArrayNode data = node.putArray("data");
        for (float f : values(t)) {
            data.add((double) f);
        }
        return node;
    }

    /** Reads tensors written by {@link #writeTensorsJson} (or by the Python helper) as float32. */
    static Map<String, Tensor> readTensorsJson(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode shapeNode = e.getValue().get("shape");
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong();
            }
            JsonNode data = e.getValue().get("data");
            float[] values = new float[data.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) data.get(i).asDouble();
            }
            out.put(e.getKey(), Tensors.fromArray(values, shape));
        }
        return out;
    }
}
