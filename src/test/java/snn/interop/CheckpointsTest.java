package snn.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.InteropException;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

class CheckpointsTest {

    static final int T = 8;

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    /**
     * A trained network of every kind survives save/load and every export format and layout with bit-identical
     * logits, whether rebuilt from the file's config or loaded into a differently initialised network.
     */
    @TestFactory
    Stream<DynamicTest> roundTripsGiveIdenticalLogits(@TempDir Path dir) {
        return Fixtures.models().entrySet().stream().map(m -> DynamicTest.dynamicTest(m.getKey(), () -> {
            ExperimentConfig config = Fixtures.config(m.getValue(), T);
            SpikingNetwork net = Fixtures.network(config, 11);
            Map<String, Tensor> initial = copies(net);
            Fixtures.train(net, T, 5);
            assertChanged(initial, Parameters.named(net));
            Tensor input = Fixtures.spikes(5, T, 3);
            float[] logits = Fixtures.logits(net, input);

            Path saved = dir.resolve(m.getKey() + "/checkpoint.pt");
            Checkpoints.save(net, config, saved);
            Checkpoint loaded = Checkpoints.load(saved);
            assertEquals(config, loaded.config());
            assertEquals(Fixtures.INPUTS, loaded.inputs());
            assertEquals(Fixtures.CLASSES, loaded.classes());
            assertArrayEquals(logits, Fixtures.logits(loaded.network(), input), m.getKey() + ": save/load");

            for (ExportFormat format : Fixtures.PYTORCH_FORMATS) {
                for (Layout layout : Layout.values()) {
                    String what = m.getKey() + " " + format + " " + layout;
                    Path out = dir.resolve(m.getKey() + "/export-" + format + "-" + layout);
                    Exporter.export(loaded, format, layout, out);
                    Checkpoint back = Checkpoints.load(out);
                    Fixtures.assertSameTensors(loaded.parameters(), back.parameters(), what);
                    assertArrayEquals(logits, Fixtures.logits(back.network(), input), what + ": rebuilt");
                    SpikingNetwork other = Fixtures.network(config, 12345);
                    Checkpoints.loadInto(out, other);
                    assertArrayEquals(logits, Fixtures.logits(other, input), what + ": loaded into a network");
                }
            }
        }));
    }

    /**
     * The zero reset travels with the network: the checkpoint and the torch and safetensors exports carry
     * {@code model.reset} in their config, so a network rebuilt from them resets as it was trained; the reference
     * layout, whose models reset by subtraction only, refuses it.
     */
    @Test
    void theZeroResetTravelsWithTheNetwork(@TempDir Path dir) {
        ExperimentConfig config = Fixtures.config("{\"kind\": \"standard\", \"hidden\": [6], \"recurrent\": true,"
                + " \"reset\": \"zero\"}", T);
        SpikingNetwork net = Fixtures.network(config, 11);
        Fixtures.train(net, T, 5);
        Tensor input = Fixtures.spikes(5, T, 3);
        float[] logits = Fixtures.logits(net, input);
        Path saved = dir.resolve("zero.pt");
        Checkpoints.save(net, config, saved);
        Checkpoint loaded = Checkpoints.load(saved);
        assertEquals(snn.neurons.LifLayer.Reset.ZERO, loaded.config().model().reset());
        assertArrayEquals(logits, Fixtures.logits(loaded.network(), input), "save/load");
        for (ExportFormat format : Fixtures.PYTORCH_FORMATS) {
            Path out = dir.resolve("zero-export." + format);
            Exporter.export(loaded, format, Layout.SNN, out);
            Checkpoint back = Checkpoints.load(out);
            assertEquals(config, back.config(), format + ": the stored config");
            assertArrayEquals(logits, Fixtures.logits(back.network(), input), format + ": rebuilt");
            InteropException e = assertThrows(InteropException.class,
                    () -> Exporter.export(loaded, format, Layout.REFERENCE, dir.resolve("reference." + format)));
            assertTrue(e.getMessage().contains("model.reset") && e.getMessage().contains("--layout snn"),
                    e.getMessage());
            assertFalse(Files.exists(dir.resolve("reference." + format)), "nothing written on failure");
        }
        // The same weights with the subtractive reset compute another function (the input makes neurons fire).
        ExperimentConfig subtract = Fixtures.config("{\"kind\": \"standard\", \"hidden\": [6], \"recurrent\": true}",
                T);
        SpikingNetwork other = Fixtures.network(subtract, 12);
        Checkpoints.loadInto(saved, other);
        assertFalse(java.util.Arrays.equals(logits, Fixtures.logits(other, input)), "the reset changes the logits");
    }

    @Test
    void savingReplacesTheFileAtomically(@TempDir Path dir) throws IOException {
        ExperimentConfig config = Fixtures.config(Fixtures.models().get("block"), T);
        SpikingNetwork net = Fixtures.network(config, 1);
        Path file = dir.resolve("epochs/epoch-1.pt");
        Checkpoints.save(net, config, file);
        byte[] first = Files.readAllBytes(file);
        Fixtures.train(net, T, 2);
        Checkpoints.save(net, config, file);
        assertFalse(java.util.Arrays.equals(first, Files.readAllBytes(file)), "replaced by the new state");
        try (Stream<Path> s = Files.list(file.getParent())) {
            assertEquals(List.of(file.getFileName().toString()), s.map(p -> p.getFileName().toString()).toList(),
                    "no temporary files left behind");
        }
        byte[] second = Files.readAllBytes(file);
        InteropException e = assertThrows(InteropException.class, () -> AtomicFile.write(file, out -> {
            out.write(new byte[1000]);
            throw new IOException("disk full");
        }));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("disk full"), e.getMessage());
        assertArrayEquals(second, Files.readAllBytes(file), "a failed write leaves the previous checkpoint");
        try (Stream<Path> s = Files.list(file.getParent())) {
            assertEquals(1, s.count(), "the failed write's temporary file is removed");
        }
    }

    @Test
    void metadataKeepsTheConfigExactly() {
        ExperimentConfig config = ConfigLoader.parse("""
                {"name": "shd-run", "seed": 3, "data": {"dataset": "shd", "root": "data/shd", "t_len": 50},
                 "model": {"kind": "dblock", "hidden": [7], "d": 5, "recurrent": true, "recurrent_input": "sum",
                           "readout": "max", "surrogate": {"kind": "arctan", "scale": 2.0}},
                 "training": {"epochs": 2, "milestones": [1]}}""", List.of(), "test");
        CheckpointMetadata meta = new CheckpointMetadata(Layout.REFERENCE, 700, 20, config);
        String json = meta.toJson();
        assertTrue(json.contains("\"root\":\"data/shd\""), "paths stay as written: " + json);
        assertEquals(meta, CheckpointMetadata.parse(json, Path.of("x.pt")));
    }

    @Test
    void plainWeightFilesLoadOnlyIntoANetwork(@TempDir Path dir) {
        ExperimentConfig config = Fixtures.config(Fixtures.models().get("standard-multi-rec"), T);
        SpikingNetwork net = Fixtures.network(config, 5);
        Map<String, Tensor> params = Parameters.named(net);
        Path plain = dir.resolve("plain.pt");
        TorchFormat.write(new TensorFile(params, Map.of()), plain);

        InteropException noMeta = assertThrows(InteropException.class, () -> Checkpoints.load(plain));
        assertTrue(noMeta.getMessage().contains("loadInto"), noMeta.getMessage());

        SpikingNetwork other = Fixtures.network(config, 6);
        Checkpoints.loadInto(plain, other);
        Fixtures.assertSameTensors(params, Parameters.named(other), "loaded");

        Map<String, Tensor> missing = new LinkedHashMap<>(params);
        missing.remove("hidden.0.recurrent.bias");
        assertLoadIntoFails(dir, "missing.pt", missing, "hidden.0.recurrent.bias", config);

        Map<String, Tensor> extra = new LinkedHashMap<>(params);
        extra.put("hidden.3.beta", Tensors.zeros(6));
        assertLoadIntoFails(dir, "extra.pt", extra, "'hidden.3.beta' is not a parameter", config);

        Map<String, Tensor> misshapen = new LinkedHashMap<>(params);
        misshapen.put("readout.input.weight", Tensors.zeros(3, 7));
        assertLoadIntoFails(dir, "shape.pt", misshapen, "[3, 7]", config);

        Map<String, Tensor> mixed = new LinkedHashMap<>(params);
        mixed.put("_layers.0._beta", mixed.remove("hidden.0.beta"));
        assertLoadIntoFails(dir, "mixed.pt", mixed, "mixes reference names", config);
    }

    @Test
    void checkpointOfRejectsAConfigForAnotherNetwork() {
        ExperimentConfig block = Fixtures.config(Fixtures.models().get("block"), T);
        ExperimentConfig dblock = Fixtures.config(Fixtures.models().get("dblock-rec"), T);
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.of(Fixtures.network(block, 1), dblock));
    }

    static void assertLoadIntoFails(Path dir, String name, Map<String, Tensor> tensors, String fragment,
            ExperimentConfig config) {
        Path file = dir.resolve(name);
        SafetensorsFormat.write(new TensorFile(tensors, Map.of()), file);
        InteropException e = assertThrows(InteropException.class,
                () -> Checkpoints.loadInto(file, Fixtures.network(config, 1)));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(fragment), e.getMessage());
    }

    static Map<String, Tensor> copies(SpikingNetwork net) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Parameters.named(net).forEach((k, v) -> out.put(k, v.detach().clone()));
        return out;
    }

    /** Training moved the first layer's weights and at least half of all parameter tensors. */
    static void assertChanged(Map<String, Tensor> before, Map<String, Tensor> after) {
        List<String> changed = before.keySet().stream().filter(k -> !java.util.Arrays.equals(
                Fixtures.values(before.get(k)), Fixtures.values(after.get(k)))).toList();
        assertTrue(changed.contains("hidden.0.input.weight") && 2 * changed.size() >= before.size(),
                "trained parameters: " + changed);
    }
}
