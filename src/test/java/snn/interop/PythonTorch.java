package snn.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * Runs the real Python PyTorch ({@code /usr/bin/python3}, Debian's {@code python3-torch}; override with
 * {@code -Dsnn.python=PATH}) on {@code torch_interop.py}, or the same Python with h5py on {@code nir_interop.py}. A
 * missing Python, PyTorch or h5py fails the tests with the install command: these tests are never skipped.
 */
final class PythonTorch {

    static final String PYTHON = System.getProperty("snn.python", "/usr/bin/python3");
    private static final String SCRIPT = "/snn/interop/torch_interop.py";
    private static final String INSTALL = "Install it with: apt-get install -y --no-install-recommends python3-torch"
            + " (CI installs it; see docs/interop.md), or point -Dsnn.python=PATH at a Python with torch.";

    private PythonTorch() {
    }

    record Result(int code, String output) {
    }

    /** Fails unless {@code PYTHON -c 'import torch'} works. */
    static void requireTorch() {
        require("torch", INSTALL);
    }

    /** Fails unless {@code PYTHON -c 'import h5py, numpy'} works (the NIR tests' independent reader). */
    static void requireH5py() {
        require("h5py, numpy", "Install it with: apt-get install -y --no-install-recommends python3-h5py (CI installs"
                + " it; see docs/interop.md), or point -Dsnn.python=PATH at a Python with h5py.");
    }

    private static void require(String modules, String install) {
        Result r;
        try {
            r = exec(List.of(PYTHON, "-c", "import " + modules));
        } catch (IOException e) {
            fail("these tests need Python with " + modules + ", but " + PYTHON + " cannot run (" + e.getMessage()
                    + "). " + install);
            return;
        }
        if (r.code() != 0) {
            fail("these tests need Python with " + modules + ", but `" + PYTHON + " -c 'import " + modules
                    + "'` failed:\n" + r.output() + install);
        }
    }

    /** Runs the tasks in Python (see torch_interop.py); fails with Python's report unless all pass. */
    static String run(ArrayNode tasks, Path workDir) throws IOException {
        return run(SCRIPT, tasks, workDir);
    }

    /**
     * Runs the tasks with a script of this folder's resources; fails with Python's report unless all pass.
     *
     * @param resource the script, e.g. {@code /snn/interop/nir_interop.py}
     */
    static String run(String resource, ArrayNode tasks, Path workDir) throws IOException {
        Path script = workDir.resolve(Path.of(resource).getFileName().toString());
        try (InputStream in = PythonTorch.class.getResourceAsStream(resource)) {
            if (in == null) {
                fail("test resource " + resource + " is missing");
            }
            Files.write(script, in.readAllBytes());
        }
        Path job = Files.createTempFile(workDir, "job", ".json");
        Files.writeString(job, Fixtures.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tasks));
        Result r = exec(List.of(PYTHON, script.toString(), job.toString()));
        System.out.println("python " + script.getFileName() + ":\n" + r.output());
        if (r.code() != 0) {
            fail("Python reported failures (exit " + r.code() + "):\n" + r.output());
        }
        return r.output();
    }

    private static Result exec(List<String> command) throws IOException {
        Path log = Files.createTempFile("snn-python", ".log");
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("OMP_NUM_THREADS", "1"); // the machine is shared: keep Python's torch on one core
        Process p = pb.start();
        try {
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("Python did not finish within 300 s: " + command);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            fail("interrupted while waiting for Python");
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.deleteIfExists(log);
        return new Result(p.exitValue(), output);
    }
}
