package snn.interop;

import static snn.cli.CliRun.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.cli.CliRun;
import snn.config.ExperimentConfig;
import snn.models.Parameters;
import snn.models.SpikingNetwork;

class ExportCommandTest {



    @Test
    void exportsACheckpointInTheRequestedFormatAndLayout(@TempDir Path dir) {
        ExperimentConfig config = Fixtures.config(Fixtures.models().get("dblock-rec"), 8);
        SpikingNetwork net = Fixtures.network(config, 4);
        Path checkpoint = dir.resolve("run/checkpoint.pt");
        Checkpoints.save(net, config, checkpoint);

        Path out = dir.resolve("export/net.safetensors");
        CliRun o = run("export", "--checkpoint", checkpoint.toString(), "--format", "safetensors", "--layout",
                "reference", "--out", out.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains(out.toString()), o.out());
        TensorFile written = SafetensorsFormat.read(out);
        assertTrue(written.tensors().containsKey("_layers.1._to_input_current.weight"), "reference names");
        assertTrue(written.tensors().containsKey("_readout_layer._last_block._beta_kernel"), "derived kernels");
        Fixtures.assertSameTensors(Parameters.named(net), Checkpoints.load(out).parameters(), "exported");

        Path torchOut = dir.resolve("net.pt");
        CliRun t = run("export", "--checkpoint", checkpoint.toString(), "--format", "TORCH", "--out",
                torchOut.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(TorchFormat.read(torchOut).tensors().containsKey("hidden.0.input.weight"), "snn layout default");
    }

    @Test
    void badInputsGiveOneClearMessage(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nothing.pt");
        CliRun o = run("export", "--checkpoint", missing.toString(), "--format", "torch", "--out",
                dir.resolve("x.pt").toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains(missing.toString()) && o.err().contains("no such file"), o.err());
        assertFalse(o.err().contains("\tat "), "no stack trace: " + o.err());

        CliRun format = run("export", "--checkpoint", missing.toString(), "--format", "onnx", "--out", "x");
        assertEquals(2, format.code());
        assertTrue(format.err().contains("onnx") && format.err().contains("torch, safetensors"), format.err());

        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "not a checkpoint");
        CliRun notCheckpoint = run("export", "--checkpoint", text.toString(), "--format", "torch", "--out",
                dir.resolve("y.pt").toString());
        assertEquals(2, notCheckpoint.code());
        assertTrue(notCheckpoint.err().contains("neither a torch.save file nor a safetensors file"),
                notCheckpoint.err());
        assertFalse(Files.exists(dir.resolve("y.pt")));
    }
}
