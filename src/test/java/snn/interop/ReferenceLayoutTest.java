package snn.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import com.fasterxml.jackson.databind.JsonNode;

import snn.config.ExperimentConfig;
import snn.config.ModelConfig;
import snn.config.SurrogateConfig;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

class ReferenceLayoutTest {

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    @Test
    void namesMapBothWays() {
        Fixtures.models().forEach((label, json) -> {
            ExperimentConfig config = Fixtures.config(json, 8);
            for (String name : Parameters.named(Fixtures.network(config, 1)).keySet()) {
                String reference = ReferenceLayout.toReference(name, config.model());
                assertEquals(name, ReferenceLayout.toSnn(reference).orElseThrow(), label + ": " + reference);
                assertTrue(ReferenceLayout.isReferenceKey(reference), reference);
                assertFalse(ReferenceLayout.isReferenceKey(name), name);
            }
        });
        ModelConfig dblock = Fixtures.config(Fixtures.models().get("dblock-rec"), 8).model();
        ModelConfig block = Fixtures.config(Fixtures.models().get("block"), 8).model();
        assertEquals("_readout_layer._to_input_current.weight",
                ReferenceLayout.toReference("readout.input.weight", dblock));
        assertEquals("_layers.1._to_current.bias", ReferenceLayout.toReference("hidden.1.input.bias", block));
        assertEquals("_layers.0._to_recurrent_current.weight",
                ReferenceLayout.toReference("hidden.0.recurrent.weight", dblock));
        assertEquals("_layers.12._beta", ReferenceLayout.toReference("hidden.12.beta", block));
        assertThrows(IllegalArgumentException.class, () -> ReferenceLayout.toReference("hidden.0.gamma", block));
    }

    /**
     * For every golden model case, the reference state we write has exactly the keys and shapes of the reference
     * module's state_dict there, plus the derived kernels that the golden files leave out.
     */
    @TestFactory
    Stream<DynamicTest> referenceStateMatchesEveryGoldenModel() throws IOException {
        List<Path> files = snn.golden.GoldenFolders.caseFiles("golden_model_");
        return files.stream().map(f -> DynamicTest.dynamicTest(snn.golden.GoldenFolders.displayName(f),
                () -> checkGolden(f)));
    }

    static void checkGolden(Path file) throws IOException {
        JsonNode root = Fixtures.JSON.readTree(file.toFile());
        JsonNode spec = root.get("spec");
        ModelConfig model = goldenModel(spec);
        SpikingNetwork net = new SpikingNetwork(model, spec.get("n_in").asInt(), spec.get("n_out").asInt());
        int tLen = spec.get("t_len").asInt();
        Map<String, Tensor> written = ReferenceLayout.toReferenceState(Parameters.named(net), model, tLen);

        Map<String, String> expected = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.get("state_dict").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            expected.put(e.getKey(), e.getValue().get("shape").toString().replace(",", ", "));
        }
        Map<String, String> ours = new TreeMap<>();
        List<String> kernels = new ArrayList<>();
        written.forEach((k, v) -> {
            if (ReferenceLayout.isDerivedKernel(k)) {
                kernels.add(k);
            } else {
                ours.put(k, java.util.Arrays.toString(Tensors.shape(v)));
            }
        });
        assertEquals(expected, ours, file.getFileName() + ": keys and shapes besides the derived kernels");
        int layers = spec.get("n_layers").asInt() + 1;
        int kernelSets = switch (spec.get("family").asText()) {
            case "dblock" -> 3;
            case "block" -> spec.get("method").asText().equals("fast_naive") ? 1 : 0;
            default -> 0;
        };
        assertEquals(layers * kernelSets * 4, kernels.size(), file.getFileName() + ": derived kernels " + kernels);
    }

    /** The snn model of a golden model case's spec (golden/README.md). */
    static ModelConfig goldenModel(JsonNode spec) {
        String family = spec.get("family").asText();
        ModelConfig.Kind kind = switch (family) {
            case "block" -> spec.get("method").asText().equals("fast_naive") ? ModelConfig.Kind.BLOCK
                    : ModelConfig.Kind.STANDARD;
            case "dblock" -> ModelConfig.Kind.DBLOCK;
            default -> ModelConfig.Kind.STANDARD;
        };
        boolean singleSpike = family.equals("block") && kind == ModelConfig.Kind.STANDARD;
        List<Integer> hidden = new ArrayList<>();
        for (int i = 0; i < spec.get("n_layers").asInt(); i++) {
            hidden.add(spec.get("n_hidden").asInt());
        }
        ModelConfig.Builder b = switch (kind) {
            case STANDARD -> ModelConfig.standard().singleSpike(singleSpike);
            case BLOCK -> ModelConfig.block();
            case DBLOCK -> ModelConfig.dblock(spec.get("d").asInt());
        };
        return b.hidden(hidden.toArray(Integer[]::new)).recurrent(spec.path("recurrent").asBoolean(false))
                .beta(spec.get("heterogeneous_beta").asBoolean(), true).surrogate(SurrogateConfig.DEFAULT).build();
    }

    @Test
    void kernelsHaveTheValuesTheReferenceComputes() {
        ExperimentConfig config = Fixtures.config("{\"kind\": \"block\", \"hidden\": [2]}", 4);
        SpikingNetwork net = Fixtures.network(config, 1);
        Parameters.load(net, Map.of("hidden.0.beta", Tensors.fromArray(new float[] {0.5f, 1.2f}, 2)));
        Map<String, Tensor> state = ReferenceLayout.toReferenceState(Parameters.named(net), config.model(), 4);
        String k = "_layers.0._method_func.";
        // beta 1.2 is clamped to 1, as the reference's beta property does
        assertTensor(state.get(k + "_beta_kernel"), new long[] {2, 1, 1, 4}, 0.125f, 0.25f, 0.5f, 1, 1, 1, 1, 1);
        assertTensor(state.get(k + "_beta_exp"), new long[] {2, 4}, 3, 2, 1, 0, 3, 2, 1, 0);
        assertTensor(state.get(k + "_beta_ident_base"), new long[] {2, 4}, 1, 1, 1, 1, 1, 1, 1, 1);
        assertTensor(state.get(k + "_phi_kernel"), new long[] {1, 1, 1, 4}, 4, 3, 2, 1);
        assertTensor(state.get("_layers.0._beta"), new long[] {2}, 0.5f, 1.2f);
    }

    @Test
    void dblockKernelsCoverBlockAndRemainder() {
        ExperimentConfig config = Fixtures.config(
                "{\"kind\": \"dblock\", \"hidden\": [3], \"d\": 3, \"per_neuron_beta\": false}", 11);
        Map<String, Tensor> state = ReferenceLayout.toReferenceState(
                Parameters.named(Fixtures.network(config, 1)), config.model(), 11);
        for (String layer : List.of("_layers.0.", "_readout_layer.")) {
            assertArrayEquals(new long[] {1, 11}, Tensors.shape(state.get(layer + "_method_func._beta_exp")));
            assertArrayEquals(new long[] {1, 1, 1, 3}, Tensors.shape(state.get(layer + "_block._beta_kernel")));
            assertArrayEquals(new long[] {1, 1, 1, 2}, Tensors.shape(state.get(layer + "_last_block._phi_kernel")));
        }
        // Unused recurrent projections (feed-forward hidden layer, readout) are written as zeros.
        assertTensor(state.get("_readout_layer._to_recurrent_current.weight"), new long[] {3, 3}, new float[9]);
        assertTensor(state.get("_layers.0._to_recurrent_current.bias"), new long[] {3}, 0, 0, 0);

        ExperimentConfig even = Fixtures.config("{\"kind\": \"dblock\", \"hidden\": [3], \"d\": 4}", 8);
        Map<String, Tensor> evenState = ReferenceLayout.toReferenceState(
                Parameters.named(Fixtures.network(even, 1)), even.model(), 8);
        assertArrayEquals(new long[] {3, 0}, Tensors.shape(evenState.get("_layers.0._last_block._beta_exp")),
                "t_len divisible by d: the reference's last block is empty");
    }

    @Test
    void referenceStateMapsBackToTheNetworkParameters() {
        for (String label : List.of("dblock-ff-even", "standard-multi-ff", "block")) {
            ExperimentConfig config = Fixtures.config(Fixtures.models().get(label), 8);
            Map<String, Tensor> params = Parameters.named(Fixtures.network(config, 3));
            Map<String, Tensor> reference = ReferenceLayout.toReferenceState(params, config.model(), 8);
            Fixtures.assertSameTensors(params, ReferenceLayout.toSnnState(reference, params.keySet()), label);
        }
        Set<String> names = Set.of("hidden.0.beta");
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> ReferenceLayout.toSnnState(Map.of("_layers.0.gain", Tensors.zeros(1)), names));
        assertTrue(unknown.getMessage().contains("_layers.0.gain"), unknown.getMessage());
        IllegalArgumentException lacking = assertThrows(IllegalArgumentException.class,
                () -> ReferenceLayout.toSnnState(Map.of("_layers.1._beta", Tensors.zeros(1)), names));
        assertTrue(lacking.getMessage().contains("hidden.1.beta"), lacking.getMessage());
        assertEquals(Map.of(), ReferenceLayout.toSnnState(new LinkedHashMap<>(Map.of(
                "_layers.0._to_recurrent_current.weight", Tensors.zeros(1, 1),
                "_layers.0._block._phi_kernel", Tensors.zeros(1))), names), "unused projections and kernels skipped");
    }

    static void assertTensor(Tensor t, long[] shape, float... values) {
        assertArrayEquals(shape, Tensors.shape(t));
        assertArrayEquals(values, Fixtures.values(t), 1e-7f);
    }
}
