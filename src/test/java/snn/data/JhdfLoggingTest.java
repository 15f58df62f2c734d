package snn.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.launcher.Launcher;
import snn.launcher.ProcessRun;

/**
 * jhdf logs through SLF4J: in a JVM of its own (where SLF4J starts afresh), a data command prints no SLF4J notice,
 * none of jhdf's info messages, and jhdf's warnings in the form of snn's messages.
 */
class JhdfLoggingTest {

    static final String PYTHON = System.getProperty("snn.python", "/usr/bin/python3");

    /** {@code java FLAGS -cp TEST_CLASS_PATH snn.cli.Main args...} on the test JDK. */
    static ProcessRun snn(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessRun.testJava().toString()));
        command.addAll(Launcher.jvmFlags(Runtime.version().feature()));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "snn.cli.Main"));
        command.addAll(List.of(args));
        return ProcessRun.run(command, Map.of(), dir, 120);
    }

    @Test
    void aDataCommandPrintsOnlyItsReport(@TempDir Path dir) throws Exception {
        ProcessRun r = snn(dir, "data", "inspect", "--dataset", "shd", "--root", Fixtures.resource("hdf5/shd").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("shd: 700 channels, 500 steps of 2 ms, 20 classes"), r.out());
        assertEquals("", r.err(), "no SLF4J notice and no jhdf info line (e.g. its version)");
        assertTrue(!r.out().contains("SLF4J") && !r.out().contains("jHDF"), r.out());
    }

    @Test
    void jhdfWarningsReadLikeSnnsMessages(@TempDir Path dir) throws Exception {
        // The SHD fixture rewritten with Fletcher-32 checksums on its labels, which jhdf reads without checking.
        String script = """
                import sys, h5py
                src, dst = sys.argv[1], sys.argv[2]
                for split in ("train", "test"):
                    with h5py.File(f"{src}/shd_{split}.h5") as s, h5py.File(f"{dst}/shd_{split}.h5", "w") as d:
                        s.copy("spikes", d)
                        d.create_dataset("labels", data=s["labels"][...], fletcher32=True)
                """;
        ProcessRun py = ProcessRun.run(List.of(PYTHON, "-c", script, Fixtures.resource("hdf5/shd").toString(),
                dir.toString()), Map.of(), dir, 120);
        assertEquals(0, py.code(), "writing the HDF5 file needs " + PYTHON + " with h5py (CI installs"
                + " python3-h5py; -Dsnn.python=PATH points elsewhere): " + py.err());
        ProcessRun r = snn(dir, "data", "inspect", "--dataset", "shd", "--root", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("snn: warning from the HDF5 reader (jhdf): Fletcher 32 checksum will not be verified\n",
                r.err());
        assertTrue(r.out().contains("train          8"), r.out());
    }
}
