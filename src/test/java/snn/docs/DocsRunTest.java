package snn.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.launcher.Launcher;

/**
 * The documentation's code runs: {@code examples/GettingStarted.java} as a program using the library, and every
 * {@code java} block of {@code docs/tutorial.md} and of {@code docs/java-api.md}, in order, each page as one program;
 * the README's Java example compiles.
 */
class DocsRunTest {

    record Run(int exitCode, String output) {
    }

    /** Runs a single-file Java program with the test classpath (the library and its dependencies). */
    static Run runSource(Path source, Path workDir, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(Launcher.jvmFlags(Runtime.version().feature()));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), source.toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        Path log = workDir.resolve("output.txt");
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), source + " did not finish");
        return new Run(p.exitValue(), Files.readString(log));
    }

    static double accuracy(String output) {
        Matcher m = Pattern.compile("test accuracy ([0-9.]+)%").matcher(output);
        double last = -1;
        while (m.find()) {
            last = Double.parseDouble(m.group(1));
        }
        return last;
    }

    @Test
    void exampleProgramRuns(@TempDir Path dir) throws Exception {
        Run r = runSource(Path.of("examples/GettingStarted.java"), dir, dir.resolve("out").toString());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("reloaded copy agrees"), r.output());
        assertTrue(accuracy(r.output()) > 40, "5 classes, chance 20 %: " + r.output());
    }

    /**
     * The {@code java} blocks of a Markdown page as one program: their {@code import} lines first, then every other
     * line, in order, as the body of {@code main} (so a later block sees an earlier block's variables; classes and
     * records are declared as local ones).
     *
     * @return the source, and how many blocks it holds
     */
    static Map.Entry<String, Integer> program(Path markdown, String className) throws Exception {
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(markdown));
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        int blocks = 0;
        while (block.find()) {
            blocks++;
            for (String line : block.group(1).split("\n")) {
                (line.startsWith("import ") ? imports : body).append(line).append('\n');
            }
        }
        return Map.entry(imports + "\npublic class " + className + " {\n"
                + "    public static void main(String[] args) throws Exception {\n" + body + "    }\n}\n", blocks);
    }

    /**
     * The README's {@code java} blocks compile against the library (they train into {@code results/}, so they are
     * compiled, not run; the tutorial and docs/java-api.md run the same calls).
     */
    @Test
    void readmeCodeBlocksCompile(@TempDir Path dir) throws Exception {
        var program = program(Path.of("README.md"), "Readme");
        assertTrue(program.getValue() >= 1, "the README has its Java example");
        Path source = dir.resolve("Readme.java");
        Files.writeString(source, "import java.nio.file.Path;\nimport snn.api.Snn;\nimport snn.config.*;\n"
                + program.getKey());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter errors = new StringWriter();
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, null)) {
            boolean ok = javac.getTask(errors, files, null,
                    List.of("-cp", System.getProperty("java.class.path"), "-d", dir.toString()), null,
                    files.getJavaFileObjects(source)).call();
            assertTrue(ok, "README's Java example does not compile:\n" + errors);
        }
    }

    @Test
    void tutorialCodeBlocksRunInOrder(@TempDir Path dir) throws Exception {
        var program = program(Path.of("docs/tutorial.md"), "Tutorial");
        assertTrue(program.getValue() >= 5, "the tutorial has its code blocks");
        Path source = dir.resolve("Tutorial.java");
        Files.writeString(source, program.getKey());
        Run r = runSource(source, dir);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(accuracy(r.output()) > 40, r.output());
        assertTrue(r.output().contains("raster written") && r.output().contains("exported"), r.output());
    }

    /**
     * Every {@code java} block of docs/java-api.md, run in order as one program, in a folder whose {@code data/}
     * holds each known dataset's test fixture in its published format, as data/README.md lays the folder out (MNIST,
     * which has no fixture of its own, gets the Fashion-MNIST subset: the same IDX files and shapes).
     */
    @Test
    void javaApiCodeBlocksRunInOrder(@TempDir Path dir) throws Exception {
        var program = program(Path.of("docs/java-api.md"), "JavaApi");
        assertTrue(program.getValue() >= 11, "docs/java-api.md has its code blocks");
        Path fixtures = Path.of("src/test/resources/fixtures").toAbsolutePath();
        Path data = Files.createDirectories(dir.resolve("data"));
        for (var link : Map.of("fashion-mnist", "fashion-mnist", "mnist", "fashion-mnist", "nmnist", "hdf5/nmnist",
                "shd", "hdf5/shd", "ssc", "hdf5/ssc").entrySet()) {
            Files.createSymbolicLink(data.resolve(link.getKey()), fixtures.resolve(link.getValue()));
        }
        Path source = dir.resolve("JavaApi.java");
        Files.writeString(source, program.getKey());
        Run r = runSource(source, dir);
        String out = r.output();
        assertEquals(0, r.exitCode(), out);
        for (String dataset : List.of("fashion-mnist", "mnist", "nmnist", "shd", "ssc", "synthetic")) {
            assertTrue(Pattern.compile("(?m)^" + dataset + " +\\d+ train, \\d+ test samples").matcher(out).find(),
                    dataset + " opened: " + out);
        }
        assertTrue(out.contains("from the file: BLOCK [16], epochs 1"), out);
        assertTrue(out.contains("Fashion-MNIST: ") && out.contains("validation"), out);
        Matcher own = Pattern.compile("own data: test accuracy ([0-9.]+)%").matcher(out);
        assertTrue(own.find() && Double.parseDouble(own.group(1)) > 75, "2 classes, chance 50 %: " + out);
        assertTrue(accuracy(out) > 40, "5 classes, chance 20 %: " + out);
        assertTrue(out.contains("epoch 3: loss") && out.contains("selected epoch"), "the listener heard: " + out);
        assertTrue(out.contains("the log's first line: training api: dblock"), out);
        assertTrue(out.contains("reloaded copy predicts the same: true"), out);
        assertTrue(Pattern.compile("NIR round trip \\(dt [0-9.eE-]+ s\\) predicts the same: true").matcher(out).find(),
                out);
        assertTrue(out.contains("d-block to NIR refused: "), out);
        assertTrue(out.contains("torch threads=1, OpenBLAS threads=1"), out);
        assertTrue(out.contains("config: model.d") && out.contains("config: training.lr"), out);
        assertTrue(out.contains("missing: ") && out.contains("status 2"), out);
    }
}
