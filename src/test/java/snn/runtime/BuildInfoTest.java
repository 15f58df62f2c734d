package snn.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import com.fasterxml.jackson.databind.JsonNode;

import snn.cli.CliRun;
import snn.config.ConfigLoader;
import snn.launcher.ProcessRun;

/**
 * The build's version and commit ({@code src/main/scripts/build-info.sh} into {@code snn/build.properties}) reach
 * {@code snn -V} and run manifests, and the script tells a commit, a dirty checkout and no checkout apart.
 */
class BuildInfoTest {

    static final Path SCRIPT = Path.of("src/main/scripts/build-info.sh");

    /** The project's version, read from pom.xml's own {@code <version>}. */
    static String pomVersion() throws Exception {
        Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile())
                .getDocumentElement();
        for (Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals("version")) {
                return e.getTextContent().strip();
            }
        }
        throw new AssertionError("pom.xml has no <version>");
    }

    /**
     * {@code git rev-parse HEAD} of the checkout whose top folder is {@code dir}, or null without git or when
     * {@code dir} is not the top of a checkout.
     */
    static String gitHead(Path dir) throws InterruptedException {
        try {
            ProcessRun top = git(dir, "rev-parse", "--show-toplevel");
            if (top.code() != 0 || !Path.of(top.out().strip()).toRealPath().equals(dir.toRealPath())) {
                return null;
            }
            ProcessRun r = git(dir, "rev-parse", "HEAD");
            return r.code() == 0 ? r.out().strip() : null;
        } catch (IOException e) {
            return null;
        }
    }

    static ProcessRun git(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("git", "-c", "user.name=snn test", "-c",
                "user.email=test@example.org", "-c", "commit.gpgsign=false"));
        command.addAll(List.of(args));
        return ProcessRun.run(command, Map.of(), dir, 60);
    }

    static boolean gitAvailable() throws InterruptedException {
        try {
            return git(Path.of("."), "--version").code() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The commit this build should name: HEAD, possibly marked dirty, or "unknown" outside a git checkout. */
    static void assertCommitOfThisCheckout(String commit) throws InterruptedException {
        String head = gitHead(Path.of("."));
        if (head == null) {
            assertEquals(BuildInfo.UNKNOWN, commit, "no git checkout here");
        } else {
            assertTrue(commit.equals(head) || commit.equals(head + "-dirty"), "HEAD is " + head + ", build says "
                    + commit);
        }
    }

    static Properties runScript(Path script, Path dir, String version) throws Exception {
        Path out = dir.resolve("out/snn/build.properties");
        ProcessRun r = ProcessRun.run(List.of("bash", script.toAbsolutePath().toString(), "write", version,
                out.toString()), Map.of(), dir, 60);
        assertEquals(0, r.code(), r.err());
        Properties p = new Properties();
        p.load(new ByteArrayInputStream(Files.readAllBytes(out)));
        return p;
    }

    @Test
    void theBuildNamesThePomsVersionAndTheCheckoutsCommit() throws Exception {
        BuildInfo build = BuildInfo.current();
        assertEquals(pomVersion(), build.version());
        assertCommitOfThisCheckout(build.commit());
        assertTrue(build.built().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), build.built());
    }

    @Test
    void versionOutputAndTrainingManifestNameTheBuild(@TempDir Path dir) throws Exception {
        CliRun v = CliRun.run("-V");
        assertEquals(0, v.code(), v.err());
        List<String> lines = v.out().lines().toList();
        assertEquals("snn " + pomVersion() + " (commit " + BuildInfo.current().commit() + ", built "
                + BuildInfo.current().built() + ")", lines.get(0));
        assertTrue(lines.get(1).startsWith("Java " + Runtime.version()), v.out());
        assertTrue(lines.get(2).matches("LibTorch \\d+\\.\\d+\\.\\d+ \\(org\\.bytedeco:pytorch .+\\)"), v.out());

        Path cfg = dir.resolve("tiny.json");
        Files.writeString(cfg, """
                {"name": "tiny",
                 "data": {"synthetic": {"classes": 2, "channels": 10, "t_len": 12, "train_samples": 32,
                          "test_samples": 16}},
                 "model": {"kind": "block", "hidden": [8]},
                 "training": {"epochs": 1, "batch_size": 16}}""");
        CliRun train = CliRun.run("train", "--config", cfg.toString(), "--out", dir.resolve("run").toString());
        assertEquals(0, train.code(), train.err());
        JsonNode manifest = ConfigLoader.mapper().readTree(dir.resolve("run/manifest.json").toFile());
        assertEquals(pomVersion(), manifest.get("snn_version").asText());
        assertEquals(BuildInfo.current().commit(), manifest.get("git_commit").asText());
        assertCommitOfThisCheckout(manifest.get("git_commit").asText());
    }

    @Test
    void outsideAGitCheckoutTheCommitIsUnknown(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("project/src/main/scripts/build-info.sh");
        Files.createDirectories(script.getParent());
        Files.copy(SCRIPT, script);
        Properties p = runScript(script, dir, "1.2.3");
        assertEquals("1.2.3", p.getProperty("version"));
        assertEquals(BuildInfo.UNKNOWN, p.getProperty("commit"), "a source tarball: no .git folder");
        BuildInfo read = BuildInfo.read(Files.newInputStream(dir.resolve("out/snn/build.properties")));
        assertEquals(new BuildInfo("1.2.3", BuildInfo.UNKNOWN, p.getProperty("built")), read);
    }

    @Test
    void onlyChangesToTrackedFilesMarkTheCommitDirty(@TempDir Path dir) throws Exception {
        assumeTrue(gitAvailable(), "needs git on PATH to make a test repository; it is absent here");
        Path project = Files.createDirectories(dir.resolve("project"));
        Path script = project.resolve("src/main/scripts/build-info.sh");
        Files.createDirectories(script.getParent());
        Files.copy(SCRIPT, script);
        Files.writeString(project.resolve("tracked.txt"), "one\n");
        assertEquals(0, git(project, "init", "-q").code());
        assertEquals(0, git(project, "add", ".").code());
        assertEquals(0, git(project, "commit", "-q", "-m", "first").code());
        String head = gitHead(project);

        assertEquals(head, runScript(script, dir, "1.0").getProperty("commit"), "a clean checkout");
        Files.writeString(project.resolve("untracked.txt"), "new\n");
        assertEquals(head, runScript(script, dir, "1.0").getProperty("commit"), "untracked files do not count");
        Files.writeString(project.resolve("tracked.txt"), "two\n");
        assertEquals(head + "-dirty", runScript(script, dir, "1.0").getProperty("commit"));
        ProcessRun printed = ProcessRun.run(List.of("bash", script.toString(), "commit"), Map.of(), project, 60);
        assertEquals(head + "-dirty\n", printed.out(), "the form bin/snn compares with the jar's");

        Path nested = Files.createDirectories(project.resolve("nested"));
        Path nestedScript = nested.resolve("src/main/scripts/build-info.sh");
        Files.createDirectories(nestedScript.getParent());
        Files.copy(SCRIPT, nestedScript);
        assertEquals(BuildInfo.UNKNOWN, runScript(nestedScript, dir, "1.0").getProperty("commit"),
                "a project folder inside another project's checkout is not that checkout");
    }

    @Test
    void missingValuesReadAsUnknown() throws IOException {
        BuildInfo none = BuildInfo.read(null);
        assertEquals(new BuildInfo(BuildInfo.UNKNOWN, BuildInfo.UNKNOWN, BuildInfo.UNKNOWN), none);
        BuildInfo partial = BuildInfo.read(new ByteArrayInputStream("version=2.0\ncommit= \n"
                .getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals(new BuildInfo("2.0", BuildInfo.UNKNOWN, BuildInfo.UNKNOWN), partial);
        assertEquals("snn 2.0 (commit unknown, built unknown)", partial.describe());
        assertThrows(IllegalArgumentException.class, () -> new BuildInfo("1", null, "x"));
    }
}
