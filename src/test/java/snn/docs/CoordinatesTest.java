package snn.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The coordinates the documentation gives are the build's: the README's Maven and Gradle snippets and
 * examples/consumer name snn's groupId, artifactId and version, and the consumer project reaches snn only through
 * the local Maven repository (no path into this tree). {@code .ci/run} builds and runs the consumer.
 */
class CoordinatesTest {

    static String pomValue(String pom, String element) {
        Matcher m = Pattern.compile("<" + element + ">([^<]+)</" + element + ">").matcher(pom);
        assertTrue(m.find(), element);
        return m.group(1);
    }

    @Test
    void documentedCoordinatesAreTheBuilds() throws Exception {
        String pom = Files.readString(Path.of("pom.xml"));
        String group = pomValue(pom, "groupId");
        String artifact = pomValue(pom, "artifactId");
        String version = pomValue(pom, "version");
        assertEquals("dev.snn:snn", group + ":" + artifact);

        String readme = Files.readString(Path.of("README.md"));
        assertTrue(readme.contains("<groupId>" + group + "</groupId>\n  <artifactId>" + artifact
                + "</artifactId>\n  <version>" + version + "</version>"), "README's Maven dependency");
        assertTrue(readme.contains("implementation(\"" + group + ":" + artifact + ":" + version + "\")"),
                "README's Gradle dependency");
        assertTrue(readme.contains("~/.m2/repository/dev/snn/snn/" + version + "/"), "README's install folder");

        String consumer = Files.readString(Path.of("examples/consumer/pom.xml"));
        assertEquals(version, pomValue(consumer, "snn.version"), "examples/consumer depends on this version");
        assertTrue(consumer.contains("<groupId>" + group + "</groupId>\n      <artifactId>" + artifact
                + "</artifactId>\n      <version>${snn.version}</version>"), "examples/consumer's dependency");
        for (String outside : new String[] {"../", "systemPath", "<relativePath", "<repositories>", "${basedir}/.."}) {
            assertFalse(consumer.contains(outside), "examples/consumer/pom.xml must not use " + outside);
        }
    }

    @Test
    void ciBuildsAndRunsTheConsumer() throws Exception {
        String ci = Files.readString(Path.of(".ci/run"));
        int install = ci.indexOf("bin/mvn -B -q -DskipTests install");
        int build = ci.indexOf("-f examples/consumer/pom.xml");
        int run = ci.indexOf("example.Consumer");
        assertTrue(install > ci.indexOf("bin/mvn -B test") && build > install && run > build, ".ci/run's order");
    }
}
