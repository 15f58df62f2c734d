package snn.launcher;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A command run to completion in a real child process, for tests: its exit status and what it printed.
 *
 * @param code the exit status
 * @param out  its standard output
 * @param err  its standard error
 */
public record ProcessRun(int code, String out, String err) {

    /** The machine's Java 17, the default {@code java} of the project's CI machines. */
    public static final Path JAVA_17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");

    /** {@return the {@code java} of the JVM running the tests} */
    public static Path testJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** {@return the test JVM's class path, as a list of absolute paths} */
    public static List<Path> testClassPath() {
        List<Path> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(Path.of(entry).toAbsolutePath());
        }
        return entries;
    }

    /**
     * Starts {@code command} in {@code workDir} with the test JVM's environment changed by {@code env} (a null value
     * removes the variable), its output and error going to {@code out.txt} and {@code err.txt} in {@code logDir}.
     */
    public static Process start(List<String> command, Map<String, String> env, Path workDir, Path logDir)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectOutput(logDir.resolve("out.txt").toFile()).redirectError(logDir.resolve("err.txt").toFile());
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        return pb.start();
    }

    /** Runs {@code command} as {@link #start} does and waits for it, at most {@code seconds}. */
    public static ProcessRun run(List<String> command, Map<String, String> env, Path workDir, long seconds)
            throws IOException, InterruptedException {
        Path logDir = Files.createTempDirectory("snn-process");
        try {
            Process p = start(command, env, workDir, logDir);
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor();
                throw new AssertionError(command + " did not end within " + seconds + " s; output:\n"
                        + output(logDir));
            }
            return new ProcessRun(p.exitValue(), Files.readString(logDir.resolve("out.txt")),
                    Files.readString(logDir.resolve("err.txt")));
        } finally {
            Files.deleteIfExists(logDir.resolve("out.txt"));
            Files.deleteIfExists(logDir.resolve("err.txt"));
            Files.delete(logDir);
        }
    }

    /** {@return what the process started with {@code logDir} has printed so far, output then error} */
    public static String output(Path logDir) throws IOException {
        Path out = logDir.resolve("out.txt");
        Path err = logDir.resolve("err.txt");
        return (Files.exists(out) ? Files.readString(out) : "") + (Files.exists(err) ? Files.readString(err) : "");
    }
}
