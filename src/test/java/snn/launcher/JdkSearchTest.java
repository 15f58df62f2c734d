package snn.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the launcher reads Java versions, finds a JDK, and builds the child's command line. */
class JdkSearchTest {

    /** A fake installation: an executable {@code bin/java} and a {@code release} file naming {@code version}. */
    static Path fakeJdk(Path home, String version) throws IOException {
        Files.createDirectories(home.resolve("bin"));
        Path java = home.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (version != null) {
            Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + version + "\"\n");
        }
        return home;
    }

    static List<String> homes(JdkSearch search) {
        return search.candidates().stream().map(j -> j.home().getFileName() + "=" + j.feature()).toList();
    }

    @Test
    void versionStringsGiveTheirFeatureRelease() {
        assertEquals(8, Jdk.feature("1.8.0_392"));
        assertEquals(8, Jdk.feature("1.8"));
        assertEquals(17, Jdk.feature("17"));
        assertEquals(17, Jdk.feature("17.0.15"));
        assertEquals(25, Jdk.feature("25.0.3+9-LTS"));
        assertEquals(26, Jdk.feature("26-ea"));
        assertEquals(0, Jdk.feature("abc"));
        assertEquals(0, Jdk.feature(""));
        assertEquals(0, Jdk.feature(null));
        assertEquals(Runtime.version().feature(), Jdk.feature(System.getProperty("java.specification.version")));
    }

    @Test
    void anInstallationIsReadFromItsReleaseFile(@TempDir Path dir) throws IOException {
        Jdk jdk = Jdk.at(fakeJdk(dir.resolve("a"), "25.0.3"));
        assertEquals(25, jdk.feature());
        assertEquals(dir.resolve("a/bin/java"), jdk.java());
        assertNull(Jdk.at(fakeJdk(dir.resolve("no-release"), null)), "no release file: not a usable JDK");
        Files.createDirectories(dir.resolve("no-java"));
        Files.writeString(dir.resolve("no-java/release"), "JAVA_VERSION=\"25\"\n");
        assertNull(Jdk.at(dir.resolve("no-java")), "no bin/java");
        Jdk real = Jdk.at(Path.of(System.getProperty("java.home")));
        assertEquals(Runtime.version().feature(), real.feature(), "the test JVM's own release file");
    }

    @Test
    void javaHomeComesFirstThenPathThenTheNewestInTheFolders(@TempDir Path dir) throws IOException {
        Path jvms = Files.createDirectories(dir.resolve("jvm"));
        fakeJdk(jvms.resolve("jdk-17"), "17.0.15");
        fakeJdk(jvms.resolve("jdk-25"), "25.0.3");
        fakeJdk(jvms.resolve("jdk-22"), "22.0.2");
        fakeJdk(jvms.resolve("jre-8"), "1.8.0_392");
        Files.createSymbolicLink(jvms.resolve("java-1.25-link"), jvms.resolve("jdk-25")); // listed once
        fakeJdk(jvms.resolve("broken"), null);
        Files.createDirectories(jvms.resolve("not-a-jdk"));
        Path other = fakeJdk(dir.resolve("other/jdk-23"), "23");
        Path onPath = fakeJdk(dir.resolve("path-jdk"), "21");
        Path bin = Files.createDirectories(dir.resolve("usr-bin"));
        Files.createSymbolicLink(bin.resolve("java"), onPath.resolve("bin/java"));

        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", other.toString());
        env.put("PATH", dir.resolve("empty") + ":" + bin);
        env.put(JdkSearch.DIRS_VARIABLE, jvms + ":" + dir.resolve("missing"));
        JdkSearch search = JdkSearch.of(env);
        assertEquals(List.of("jdk-23=23", "path-jdk=21", "jdk-25=25", "jdk-22=22", "jdk-17=17", "jre-8=8"),
                homes(search).stream().map(s -> s.replace("java-1.25-link", "jdk-25")).toList());
        assertEquals(other, search.find(22).home(), "JAVA_HOME when it is new enough");
        assertEquals(25, search.find(24).feature(), "else the newest that is");
        assertNull(search.find(26));
        assertEquals("JAVA_HOME (" + other + "), PATH, " + jvms + ", " + dir.resolve("missing"), search.places());

        env.remove("JAVA_HOME");
        env.remove(JdkSearch.DIRS_VARIABLE);
        JdkSearch defaults = JdkSearch.of(env);
        assertTrue(defaults.places().startsWith("JAVA_HOME (unset), PATH, " + JdkSearch.DEFAULT_DIRS),
                defaults.places());
        assertEquals("path-jdk=21", homes(defaults).get(0), "the installation behind the first java on PATH");
    }

    @Test
    void theFlagsFollowTheJavaRelease() {
        assertEquals(List.of("--enable-native-access=ALL-UNNAMED"), Launcher.jvmFlags(22),
                "JDK 22 has no --sun-misc-unsafe-memory-access and would refuse to start with it");
        assertEquals(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"),
                Launcher.jvmFlags(23));
        assertEquals(Launcher.jvmFlags(23), Launcher.jvmFlags(25));
    }

    @Test
    void theChildGetsTheFlagsThisJvmsOptionsAndTheArguments(@TempDir Path dir) throws IOException {
        Map<String, String> env = Map.of("JAVA_TOOL_OPTIONS", "-Dfrom.tool=1", "JDK_JAVA_OPTIONS", " -Xss2m  -Dx=2 ");
        List<String> options = Launcher.forwardableOptions(List.of("-Dfrom.tool=1", "-Xss2m", "-Dx=2", "-Xmx3g",
                "--enable-native-access=ALL-UNNAMED", "-XX:GCTimeRatio=2", "-Dsnn.launcher.relaunched=true", "-Dx=2",
                "-Duser=me"), env);
        assertEquals(List.of("-Xmx3g", "-Dx=2", "-Duser=me"), options,
                "options from the environment are inherited through it, once; the launcher's own flags are set anew");
        Jdk jdk = Jdk.at(fakeJdk(dir.resolve("jdk"), "22"));
        assertEquals(List.of(dir.resolve("jdk/bin/java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-XX:GCTimeRatio=2", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-Xmx3g",
                "-Dx=2", "-Duser=me", "-Dsnn.launcher.relaunched=true", "-cp", "a.jar:b", "snn.launcher.Launcher",
                "train", "--config", "x y.json"),
                Launcher.childCommand(jdk, options, "a.jar:b", new String[] {"train", "--config", "x y.json"}));
    }
}
