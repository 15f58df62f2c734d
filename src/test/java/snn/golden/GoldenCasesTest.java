package snn.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import com.fasterxml.jackson.databind.JsonNode;

import snn.config.ModelConfig;
import snn.config.SurrogateConfig;
import snn.interop.ReferenceLayout;
import snn.models.NetworkOutput;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.nativekernels.EveryIsa;
import snn.nativekernels.NativeRequirement;
import snn.nativekernels.NativeKernels;
import snn.neurons.Beta;
import snn.neurons.BlockLayer;
import snn.neurons.DBlockLayer;
import snn.neurons.LayerOutput;
import snn.neurons.LifLayer;
import snn.neurons.NeuronKernels;
import snn.neurons.SpikingLayer;
import snn.neurons.Surrogate;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * Every {@code *.json} case bundled with the tests ({@code src/test/resources/golden}) and in each folder named by
 * {@code -Dsnn.golden.dir=DIR[:DIR...]} ({@link GoldenFolders}) is rebuilt, loaded with the reference parameters and run forward and backward. Spikes must match exactly,
 * membranes and logits to 1e-4, every gradient to 1e-3 of its largest magnitude. A case whose spec cannot be mapped
 * fails.
 */
class GoldenCasesTest {

    static final double VALUE_TOLERANCE = 1e-4;
    static final double GRADIENT_TOLERANCE = 1e-3;

    static List<Path> caseFiles() throws IOException {
        return GoldenFolders.caseFiles("");
    }

    @Test
    void bundledFolderHoldsEveryCaseKind() throws IOException {
        List<String> names = GoldenFolders.caseFiles("").stream().map(p -> p.getFileName().toString()).toList();
        for (String kind : List.of("layer_block", "layer_dblock", "layer_standard_multi", "layer_standard_single",
                "layer_standard_zero", "model_block", "model_dblock", "model_standard_multi", "model_standard_single",
                "model_standard_zero")) {
            assertTrue(names.stream().anyMatch(n -> n.startsWith("golden_" + kind)), "no golden_" + kind + " case");
        }
    }

    @TestFactory
    Stream<DynamicTest> everyGoldenCase() throws IOException {
        TorchRuntime.ensureInitialised();
        return caseFiles().stream().map(file -> DynamicTest.dynamicTest(GoldenFolders.displayName(file),
                () -> check(GoldenCase.read(file), ModelConfig.Kernels.TORCH)));
    }

    /**
     * The same cases with the neuron dynamics computed by the native kernels, on each instruction set they are built
     * for (skipped when they are not built).
     */
    @TestFactory
    Stream<DynamicNode> everyGoldenCaseWithNativeKernels() throws IOException {
        TorchRuntime.ensureInitialised();
        NativeRequirement.library();
        List<Path> files = caseFiles();
        return EveryIsa.containers(() -> files.stream().map(file -> DynamicTest.dynamicTest(
                GoldenFolders.displayName(file), () -> check(GoldenCase.read(file), ModelConfig.Kernels.NATIVE))));
    }

    static void check(GoldenCase c, ModelConfig.Kernels kernels) {
        switch (c.level()) {
            case "layer" -> checkLayer(c, NativeKernels.select(kernels));
            case "model" -> checkModel(c, kernels);
            default -> fail(c.file() + ": unknown level '" + c.level() + "'");
        }
    }

    // ----- layers -----------------------------------------------------------------------------------------

    static void checkLayer(GoldenCase c, NeuronKernels kernels) {
        JsonNode spec = c.spec();
        int nIn = spec.get("n_in").asInt();
        int nOut = spec.get("n_out").asInt();
        assertEquals(1.0, spec.path("threshold").asDouble(1.0), c.file() + ": only threshold 1 is supported");
        Beta beta = new Beta(spec.get("beta_init").asDouble(), spec.get("heterogeneous_beta").asBoolean(),
                spec.get("beta_requires_grad").asBoolean());
        Surrogate surrogate = new Surrogate.FastSigmoid(spec.get("surrogate_scale").asDouble());
        String kind = spec.get("kind").asText();
        SpikingLayer layer = switch (kind) {
            case "block" -> {
                requireMethod(c, "fast_naive");
                yield new BlockLayer(nIn, nOut, true, beta, surrogate, kernels);
            }
            case "standard" -> new LifLayer(nIn, nOut,
                    bool(c, "single_spike") ? LifLayer.Mode.SINGLE_SPIKE : LifLayer.Mode.MULTI_SPIKE, reset(c),
                    spec.path("recurrent").asBoolean(false), beta, surrogate, kernels);
            case "dblock" -> new DBlockLayer(nIn, nOut, spec.get("d").asInt(), bool(c, "recurrent"),
                    bool(c, "detach"), bool(c, "use_max") ? DBlockLayer.RecurrentInput.MAX
                            : DBlockLayer.RecurrentInput.SUM, true, beta, surrogate, kernels);
            default -> throw new AssertionError(c.file() + ": unknown layer kind '" + kind + "'");
        };
        loadReference(c, layer.module());

        Tensor input = c.tensor("input").set_requires_grad(true);
        LayerOutput out = layer.forward(input);
        assertSpikesEqual(c, "outputs.spikes", c.tensor("outputs", "spikes"), out.spikes());
        assertClose(c, "outputs.membrane", c.tensor("outputs", "membrane"), out.membrane(), VALUE_TOLERANCE);

        Tensor loss = out.spikes().mul(c.tensor("upstream", "spikes")).sum()
                .add(out.membrane().mul(c.tensor("upstream", "membrane")).sum());
        assertEquals(c.root().get("loss").asDouble(), loss.item_float(),
                1e-4 * Math.max(1, Math.abs(c.root().get("loss").asDouble())), c.file() + ": loss");
        loss.backward();
        Map<String, Tensor> grads = new HashMap<>();
        grads.put("input", Tensors.gradient(input));
        checkGradients(c, layer.module(), grads);
    }

    // ----- networks ---------------------------------------------------------------------------------------

    static void checkModel(GoldenCase c, ModelConfig.Kernels kernels) {
        JsonNode spec = c.spec();
        assertEquals(Math.exp(-1 / 10.0), spec.get("hidden_beta").asDouble(), 1e-12, c.file() + ": hidden_beta");
        assertEquals(Math.exp(-1 / 20.0), spec.get("readout_beta").asDouble(), 1e-12, c.file() + ": readout_beta");
        String family = spec.get("family").asText();
        ModelConfig.Kind kind;
        boolean singleSpike = false;
        boolean recurrent = spec.path("recurrent").asBoolean(false);
        switch (family) {
            case "block" -> {
                String method = spec.get("method").asText();
                if (method.equals("fast_naive")) {
                    kind = ModelConfig.Kind.BLOCK;
                } else if (method.equals("standard") && bool(c, "single_spike")) {
                    kind = ModelConfig.Kind.STANDARD;
                    singleSpike = true;
                } else {
                    throw new AssertionError(c.file() + ": unknown block-family method '" + method + "'");
                }
            }
            case "dblock" -> kind = ModelConfig.Kind.DBLOCK;
            case "standard" -> kind = ModelConfig.Kind.STANDARD;
            default -> throw new AssertionError(c.file() + ": unknown model family '" + family + "'");
        }
        int nLayers = spec.get("n_layers").asInt();
        List<Integer> hidden = new ArrayList<>();
        for (int i = 0; i < nLayers; i++) {
            hidden.add(spec.get("n_hidden").asInt());
        }
        ModelConfig.Readout readout = switch (spec.get("readout").asText()) {
            case "sum" -> ModelConfig.Readout.SUM;
            case "max" -> ModelConfig.Readout.MAX;
            default -> throw new AssertionError(c.file() + ": unknown readout " + spec.get("readout"));
        };
        ModelConfig config = new ModelConfig(kind, hidden, recurrent, singleSpike, reset(c),
                kind == ModelConfig.Kind.DBLOCK ? spec.get("d").asInt() : null,
                spec.path("detach").asBoolean(true), DBlockLayer.RecurrentInput.MAX, readout, 10.0, 20.0,
                spec.get("heterogeneous_beta").asBoolean(), spec.get("beta_requires_grad").asBoolean(),
                new SurrogateConfig(SurrogateConfig.Kind.FAST_SIGMOID, spec.get("surrogate_scale").asDouble()),
                kernels);
        SpikingNetwork net = new SpikingNetwork(config, spec.get("n_in").asInt(), spec.get("n_out").asInt());
        loadReference(c, net);

        NetworkOutput out = net.forward(c.tensor("input"));
        JsonNode refSpikes = c.required("hidden_spikes");
        assertEquals(refSpikes.size(), out.hiddenSpikes().size(), c.file() + ": hidden layer count");
        for (int i = 0; i < refSpikes.size(); i++) {
            assertSpikesEqual(c, "hidden_spikes[" + i + "]", GoldenCase.tensor(refSpikes.get(i)),
                    out.hiddenSpikes().get(i));
        }
        assertClose(c, "logits", c.tensor("logits"), out.logits(), VALUE_TOLERANCE);
        JsonNode targetNode = c.required("target");
        long[] targets = new long[targetNode.size()];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = targetNode.get(i).asLong();
        }
        Tensor target = Tensors.labels(targets);
        Tensor loss = torch.cross_entropy_loss(out.logits(), target);
        assertEquals(c.root().get("loss").asDouble(), loss.item_float(), VALUE_TOLERANCE, c.file() + ": loss");
        loss.backward();
        checkGradients(c, net, Map.of());
    }

    // ----- shared -----------------------------------------------------------------------------------------

    static boolean bool(GoldenCase c, String field) {
        JsonNode n = c.spec().get(field);
        assertNotNull(n, c.file() + ": spec." + field + " missing");
        return n.asBoolean();
    }

    /** The case's reset ({@code spec.reset}: {@code subtract}, the reference's only one and the default, or {@code zero}). */
    static LifLayer.Reset reset(GoldenCase c) {
        return switch (c.spec().path("reset").asText("subtract")) {
            case "subtract" -> LifLayer.Reset.SUBTRACT;
            case "zero" -> LifLayer.Reset.ZERO;
            default -> throw new AssertionError(c.file() + ": unknown reset " + c.spec().get("reset"));
        };
    }

    static void requireMethod(GoldenCase c, String method) {
        assertEquals(method, c.spec().path("method").asText(method), c.file() + ": unsupported method");
    }

    /** Loads the reference state; reference keys must map to a parameter unless they are unused projections. */
    static void loadReference(GoldenCase c, Module module) {
        Map<String, Tensor> ours = Parameters.named(module);
        Map<String, Tensor> mapped = new HashMap<>();
        c.tensors("state_dict").forEach((key, value) -> {
            String name = ReferenceLayout.toSnn(key).orElseThrow(
                    () -> new AssertionError(c.file() + ": cannot map reference key '" + key + "'"));
            if (ours.containsKey(name)) {
                mapped.put(name, value);
            } else if (!(ReferenceLayout.isRecurrentProjection(key) && !c.root().get("grads").has(key))) {
                fail(c.file() + ": reference key '" + key + "' maps to '" + name + "', which this model lacks");
            }
        });
        for (String name : ours.keySet()) {
            assertTrue(mapped.containsKey(name), c.file() + ": no reference value for parameter '" + name + "'");
        }
        Parameters.load(module, mapped);
    }

    static void checkGradients(GoldenCase c, Module module, Map<String, Tensor> extra) {
        Map<String, Tensor> ours = Parameters.named(module);
        c.tensors("grads").forEach((key, expected) -> {
            Tensor actual;
            if (extra.containsKey(key)) {
                actual = extra.get(key);
            } else {
                String name = ReferenceLayout.toSnn(key)
                        .orElseThrow(() -> new AssertionError(c.file() + ": cannot map gradient key '" + key + "'"));
                Tensor p = ours.get(name);
                assertNotNull(p, c.file() + ": gradient for '" + key + "' but no parameter '" + name + "'");
                actual = p.grad();
            }
            assertTrue(actual != null && actual.defined(), c.file() + ": no gradient computed for '" + key + "'");
            float[] e = Tensors.toArray(expected);
            double max = 0;
            for (float v : e) {
                max = Math.max(max, Math.abs(v));
            }
            assertClose(c, "grads." + key, expected, actual, GRADIENT_TOLERANCE * Math.max(max, 1e-12));
        });
        // Parameters the reference gives gradients must be exactly those that receive them here.
        for (Map.Entry<String, Tensor> p : ours.entrySet()) {
            boolean referenced = c.tensors("grads").keySet().stream()
                    .anyMatch(k -> ReferenceLayout.toSnn(k).map(p.getKey()::equals).orElse(false));
            if (!referenced) {
                Tensor g = p.getValue().grad();
                assertTrue(g == null || !g.defined(), c.file() + ": '" + p.getKey() + "' got a gradient the"
                        + " reference does not have");
            }
        }
    }

    static void assertSpikesEqual(GoldenCase c, String what, Tensor expected, Tensor actual) {
        assertArrayEquals(Tensors.shape(expected), Tensors.shape(actual), c.file() + ": shape of " + what);
        float[] e = Tensors.toArray(expected);
        float[] a = Tensors.toArray(actual);
        int mismatches = 0;
        int first = -1;
        for (int i = 0; i < e.length; i++) {
            if (e[i] != a[i]) {
                mismatches++;
                if (first < 0) {
                    first = i;
                }
            }
        }
        assertEquals(0, mismatches, c.file() + ": " + what + " differs in " + mismatches + " of " + e.length
                + " entries (first at flat index " + first + ")");
    }

    static void assertClose(GoldenCase c, String what, Tensor expected, Tensor actual, double tolerance) {
        assertArrayEquals(Tensors.shape(expected), Tensors.shape(actual), c.file() + ": shape of " + what);
        float[] e = Tensors.toArray(expected);
        float[] a = Tensors.toArray(actual);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs((double) e[i] - a[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= tolerance, c.file() + ": " + what + " differs by " + worst + " at flat index " + at
                + " (expected " + (at >= 0 ? e[at] : 0) + ", got " + (at >= 0 ? a[at] : 0) + "; tolerance "
                + tolerance + ")");
    }
}
