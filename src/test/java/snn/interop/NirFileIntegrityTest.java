package snn.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.config.ExperimentConfig;
import snn.core.InteropException;
import snn.interop.nir.NirFile;
import snn.launcher.Launcher;
import snn.launcher.ProcessRun;
import snn.models.SpikingNetwork;

/**
 * NIR files are quiet and strict: the NIR commands print nothing of jhdf's on a good file, and a file with bytes
 * missing at its end is refused by snn exactly where NIR's reader (h5py, the HDF5 library) refuses it.
 */
class NirFileIntegrityTest {

    /** {@code java FLAGS -cp TEST_CLASS_PATH snn.cli.Main args...}: a JVM of its own, where SLF4J starts afresh. */
    private static ProcessRun snn(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessRun.testJava().toString()));
        command.addAll(Launcher.jvmFlags(Runtime.version().feature()));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "snn.cli.Main"));
        command.addAll(List.of(args));
        return ProcessRun.run(command, Map.of(), dir, 180);
    }

    private static Path checkpoint(Path dir, String model) {
        ExperimentConfig config = Fixtures.config(model, NirRoundTripTest.T);
        SpikingNetwork net = NirRoundTripTest.trained(config, 5);
        Path file = dir.resolve("model.pt");
        Checkpoints.save(net, config, file);
        return file;
    }

    @Test
    void nirCommandsPrintNoWarningsOfTheHdf5Library(@TempDir Path dir) throws Exception {
        Path model = checkpoint(dir, "{\"kind\": \"standard\", \"hidden\": [6], \"recurrent\": true}");
        ProcessRun export = snn(dir, "export", "--checkpoint", model.toString(), "--format", "nir", "--out", "net.nir");
        assertEquals(0, export.code(), export.err());
        assertEquals("", export.err(), "jhdf's writer says 'Writing files is in alpha' on every write");
        ProcessRun back = snn(dir, "import", "--nir", "net.nir", "--out", "back.pt");
        assertEquals(0, back.code(), back.err());
        assertEquals("", back.err());
        assertFalse(back.out().contains("jHDF") || back.out().contains("alpha") || back.out().contains("remaining"),
                back.out());
        // A real error still surfaces, as one message of snn's.
        Files.write(dir.resolve("cut.nir"), java.util.Arrays.copyOf(Files.readAllBytes(dir.resolve("net.nir")),
                (int) Files.size(dir.resolve("net.nir")) - 3));
        ProcessRun cut = snn(dir, "import", "--nir", "cut.nir", "--out", "cut.pt");
        assertEquals(2, cut.code(), cut.out() + cut.err());
        assertTrue(cut.err().contains("cut.nir: the file is truncated"), cut.err());
        assertFalse(Files.exists(dir.resolve("cut.pt")));
    }

    @Test
    void aFileWithBytesMissingIsRefusedAsH5pyRefusesIt(@TempDir Path dir) throws Exception {
        Path model = checkpoint(dir, "{\"kind\": \"standard\", \"hidden\": [5, 4]}");
        Path whole = dir.resolve("whole.nir");
        Exporter.export(Checkpoints.load(model), ExportFormat.NIR, Layout.SNN, whole);
        long size = Files.size(whole);
        List<Long> cuts = new ArrayList<>();
        for (long c = 1; c <= 40; c++) {
            cuts.add(c);
        }
        for (long c = 41; c < size; c += 97) {
            cuts.add(c);
        }
        cuts.add(size - 8);
        List<String> names = new ArrayList<>();
        for (long c : cuts) {
            Path cut = dir.resolve("cut-" + c + ".nir");
            Files.copy(whole, cut);
            try (RandomAccessFile f = new RandomAccessFile(cut.toFile(), "rw")) {
                f.setLength(size - c);
            }
            names.add(cut.toString());
            InteropException e = assertThrows(InteropException.class, () -> NirFile.read(cut), "cut by " + c);
            assertTrue(e.getMessage().startsWith(cut.toString() + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("not a readable HDF5 file"),
                    "cut by " + c + ": " + e.getMessage());
        }
        NirFile.read(whole);

        // NIR's reader opens files with h5py: it reads the whole file and refuses every cut one.
        String script = """
                import sys, h5py
                with h5py.File(sys.argv[1], "r") as f:
                    assert f["node"]["type"][()] in (b"NIRGraph", "NIRGraph")
                opened = []
                for name in sys.argv[2:]:
                    try:
                        with h5py.File(name, "r") as f:
                            opened.append(name)
                    except OSError:
                        pass
                if opened:
                    sys.exit("h5py opened truncated files: " + ", ".join(opened))
                print("h5py refused", len(sys.argv) - 2, "truncated files")
                """;
        List<String> command = new ArrayList<>(List.of(PythonTorch.PYTHON, "-c", script, whole.toString()));
        command.addAll(names);
        PythonTorch.requireH5py();
        ProcessRun py = ProcessRun.run(command, Map.of(), dir, 120);
        assertEquals(0, py.code(), py.out() + py.err());
        assertTrue(py.out().contains("h5py refused " + cuts.size()), py.out());
    }
}
