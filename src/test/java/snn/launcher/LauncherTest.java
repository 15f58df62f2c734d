package snn.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.runtime.BuildInfo;

/**
 * The launcher in real processes: started by the machine's Java 17 (the default {@code java} of the project's
 * machines) it re-launches snn on a JDK 22 or newer, passes the exit status on, stops its child when stopped, and
 * says what to install when there is no such JDK; started as {@code java -jar} it works as {@code target/snn.jar}
 * does, and on a JDK 24 or newer without the flags prints nothing but snn's own output.
 */
class LauncherTest {

    /** A run that trains until stopped: a tiny synthetic network for many epochs. */
    static final String ENDLESS_CONFIG = """
            {"name": "endless", "seed": 3,
             "data": {"synthetic": {"classes": 2, "channels": 10, "t_len": 12, "train_samples": 64,
                      "test_samples": 16}},
             "model": {"kind": "block", "hidden": [8]},
             "training": {"epochs": 100000, "batch_size": 16}}""";

    static void requireJava17() {
        assumeTrue(Files.isExecutable(ProcessRun.JAVA_17), "needs the machine's Java 17 at " + ProcessRun.JAVA_17
                + " (the default java of the project's CI machines); it is absent here");
    }

    /** {@code JAVA17 -cp TEST_CLASS_PATH snn.launcher.Launcher args...}. */
    static List<String> java17Launcher(String... args) {
        String classPath = String.join(File.pathSeparator,
                ProcessRun.testClassPath().stream().map(Path::toString).toList());
        List<String> command = new ArrayList<>(List.of(ProcessRun.JAVA_17.toString(), "-cp", classPath,
                Launcher.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * The environment of a machine whose default java is old: no JAVA_HOME, and the JDKs in the folder that holds
     * the test JVM's (for the project's machines, /usr/lib/jvm, where the launcher looks by default).
     */
    static Map<String, String> oldDefaultJava() {
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", null);
        env.put("JAVA_TOOL_OPTIONS", null);
        env.put("JDK_JAVA_OPTIONS", null);
        env.put(JdkSearch.DIRS_VARIABLE, Path.of(System.getProperty("java.home")).toAbsolutePath().getParent().toString());
        return env;
    }

    @Test
    void java17ReLaunchesOnANewerJdkAndPrintsTheVersion(@TempDir Path dir) throws Exception {
        requireJava17();
        ProcessRun r = ProcessRun.run(java17Launcher("-V"), oldDefaultJava(), dir, 120);
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith(BuildInfo.current().describe() + "\n"), r.out());
        assertFalse(BuildInfo.current().version().equals(BuildInfo.UNKNOWN), "the build wrote snn/build.properties");
        String java = r.out().lines().filter(l -> l.startsWith("Java ")).findFirst().orElse("");
        assertTrue(Jdk.feature(java.substring(Math.min(5, java.length()))) >= Launcher.MINIMUM_JAVA,
                "runs on a JDK >= 22: " + r.out());
        assertEquals("", r.err(), "nothing but the version");
    }

    @Test
    void theExitStatusPassesThrough(@TempDir Path dir) throws Exception {
        requireJava17();
        ProcessRun r = ProcessRun.run(java17Launcher("train", "--config", dir.resolve("missing.json").toString()),
                oldDefaultJava(), dir, 120);
        assertEquals(2, r.code(), "a user error's status: " + r.out() + r.err());
        assertTrue(r.err().startsWith("snn: invalid config " + dir.resolve("missing.json")), r.err());
    }

    @Test
    void sigtermToTheLauncherStopsTheChild(@TempDir Path dir) throws Exception {
        whileTraining(dir, (launcher, child) -> {
            launcher.destroy(); // SIGTERM
            assertTrue(launcher.waitFor(60, TimeUnit.SECONDS), "the launcher ends");
            assertEquals(143, launcher.exitValue(), "ended by SIGTERM");
            assertTrue(ended(child, 30), "the child JVM ends with its launcher");
            assertFalse(ProcessRun.output(dir).contains("snn: stopping"),
                    "stopped by the launcher, not by noticing later that it was gone: " + ProcessRun.output(dir));
        });
    }

    @Test
    void aChildWhoseLauncherIsKilledStopsByItself(@TempDir Path dir) throws Exception {
        whileTraining(dir, (launcher, child) -> {
            launcher.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook runs
            assertTrue(ended(child, 30), "the orphaned child notices and ends");
            assertTrue(ProcessRun.output(dir).contains("snn: stopping: the launcher that started this JVM"),
                    ProcessRun.output(dir));
        });
    }

    @Test
    void withoutASuitableJdkItSaysWhatToInstallInOneLine(@TempDir Path dir) throws Exception {
        requireJava17();
        Path jvms = Files.createDirectories(dir.resolve("jvm"));
        JdkSearchTest.fakeJdk(jvms.resolve("jdk-21"), "21.0.1");
        Map<String, String> env = oldDefaultJava();
        env.put("PATH", "/nonexistent");
        env.put(JdkSearch.DIRS_VARIABLE, jvms.toString());
        ProcessRun r = ProcessRun.run(java17Launcher("-V"), env, dir, 60);
        assertEquals(Launcher.NO_JDK_STATUS, r.code(), r.out() + r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertTrue(r.err().startsWith("snn: needs Java 22 or newer; this is Java 17 ("), r.err());
        assertTrue(r.err().contains("JAVA_HOME (unset), PATH, " + jvms) && r.err().contains("Install a JDK 22 or newer"),
                r.err());
    }

    @Test
    void theJarStartedByJava17ReLaunches(@TempDir Path dir) throws Exception {
        requireJava17();
        Path jar = jar(dir);
        ProcessRun r = ProcessRun.run(List.of(ProcessRun.JAVA_17.toString(), "-jar", jar.toString(), "-V"),
                oldDefaultJava(), dir, 120);
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith(BuildInfo.current().describe() + "\n"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void theJarOnThisJdkWithoutFlagsPrintsOnlySnnsOwnOutput(@TempDir Path dir) throws Exception {
        Path jar = jar(dir);
        Path shd = Path.of(LauncherTest.class.getResource("/fixtures/hdf5/shd").toURI());
        ProcessRun r = ProcessRun.run(List.of(ProcessRun.testJava().toString(), "-jar", jar.toString(), "data",
                "inspect", "--dataset", "shd", "--root", shd.toString()), oldDefaultJava(), dir, 120);
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("shd: 700 channels, 500 steps of 2 ms, 20 classes"), r.out());
        assertEquals("", r.err(), "no SLF4J notice, no restricted-method or sun.misc.Unsafe warning");
        assertFalse(r.out().contains("SLF4J") || r.out().contains("WARNING"), r.out());
    }

    /** What a test does to a launcher whose child JVM is training. */
    interface WhileTraining {
        void accept(Process launcher, ProcessHandle child) throws Exception;
    }

    /**
     * Starts Java 17 on the launcher with a training that does not end by itself (logging into {@code dir}), waits
     * until the child JVM trains, runs {@code test}, and kills whatever is left.
     */
    static void whileTraining(Path dir, WhileTraining test) throws Exception {
        requireJava17();
        Path cfg = dir.resolve("endless.json");
        Files.writeString(cfg, ENDLESS_CONFIG);
        Process launcher = ProcessRun.start(java17Launcher("train", "--config", cfg.toString(), "--out",
                dir.resolve("run").toString()), oldDefaultJava(), dir, dir);
        ProcessHandle child = childTraining(launcher, dir);
        try {
            test.accept(launcher, child);
        } finally {
            child.destroyForcibly();
            launcher.destroyForcibly();
        }
    }

    /**
     * Waits until the launcher's child JVM is training (its progress is in the output), and returns it.
     */
    static ProcessHandle childTraining(Process launcher, Path dir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> child = launcher.children().findFirst();
            if (child.isPresent() && ProcessRun.output(dir).contains("epoch 2/")) {
                return child.get();
            }
            assertTrue(launcher.isAlive(), "the launcher ended early: " + ProcessRun.output(dir));
            Thread.sleep(50);
        }
        launcher.descendants().forEach(ProcessHandle::destroyForcibly);
        launcher.destroyForcibly();
        throw new AssertionError("no training child within 120 s: " + ProcessRun.output(dir));
    }

    static boolean ended(ProcessHandle p, long seconds) throws Exception {
        try {
            p.onExit().get(seconds, TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return !p.isAlive();
        }
    }

    /**
     * A jar laid out like {@code target/snn.jar}: the compiled main classes and resources, and a manifest naming the
     * launcher, enabling native access and listing the rest of the test class path (absolute URLs, where
     * {@code target/snn.jar} lists {@code lib/*.jar}). {@code bin/mvn test} runs before {@code package}, so the tests
     * cannot use {@code target/snn.jar} itself.
     */
    static Path jar(Path dir) throws IOException, URISyntaxException {
        Path classes = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> classPath = new ArrayList<>();
        for (Path entry : ProcessRun.testClassPath()) {
            if (!entry.equals(classes)) {
                classPath.add(entry.toUri().toString());
            }
        }
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.put(Attributes.Name.MAIN_CLASS, Launcher.class.getName());
        main.put(Attributes.Name.CLASS_PATH, String.join(" ", classPath));
        main.put(new Attributes.Name("Enable-Native-Access"), "ALL-UNNAMED");
        Path jar = dir.resolve("snn.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        return jar;
    }
}
