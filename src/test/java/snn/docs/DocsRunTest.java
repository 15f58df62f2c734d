package snn.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.launcher.Launcher;

/**
 * The documentation's code runs: {@code examples/GettingStarted.java} as a program using the library, and every
 * {@code java} block of {@code docs/tutorial.md}, in order, as one program.
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

    @Test
    void tutorialCodeBlocksRunInOrder(@TempDir Path dir) throws Exception {
        String markdown = Files.readString(Path.of("docs/tutorial.md"));
        Matcher block = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        int blocks = 0;
        while (block.find()) {
            blocks++;
            for (String line : block.group(1).split("\n")) {
                (line.startsWith("import ") ? imports : body).append(line).append('\n');
            }
        }
        assertTrue(blocks >= 5, "the tutorial has its code blocks");
        Path source = dir.resolve("Tutorial.java");
        Files.writeString(source, imports + "\npublic class Tutorial {\n"
                + "    public static void main(String[] args) throws Exception {\n" + body + "    }\n}\n");
        Run r = runSource(source, dir);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(accuracy(r.output()) > 40, r.output());
        assertTrue(r.output().contains("raster written") && r.output().contains("exported"), r.output());
    }
}
