package snn.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A Java installation: its home folder and its feature release (8, 17, 25, ...). */
final class Jdk {

    private final Path home;
    private final int feature;

    Jdk(Path home, int feature) {
        this.home = home;
        this.feature = feature;
    }

    /**
     * The Java installation in {@code home}, read from its {@code release} file (present in every JDK and JRE since
     * Java 9, so in every one snn can use), or null when {@code home} has no {@code bin/java} or no release file.
     */
    static Jdk at(Path home) {
        if (!Files.isExecutable(home.resolve("bin").resolve("java"))) {
            return null;
        }
        Path release = home.resolve("release");
        try {
            for (String line : Files.readAllLines(release, StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("JAVA_VERSION=")) {
                    int feature = feature(line.substring("JAVA_VERSION=".length()).replace("\"", "").trim());
                    return feature > 0 ? new Jdk(home, feature) : null;
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /**
     * The feature release of a Java version string: {@code "1.8.0_392"} is 8, {@code "17"} and {@code "17.0.15"}
     * are 17, {@code "26-ea"} is 26; 0 when the string is not a version.
     */
    static int feature(String version) {
        if (version == null) {
            return 0;
        }
        String v = version.startsWith("1.") ? version.substring(2) : version;
        int end = 0;
        while (end < v.length() && Character.isDigit(v.charAt(end))) {
            end++;
        }
        return end == 0 ? 0 : Integer.parseInt(v.substring(0, Math.min(end, 9)));
    }

    Path home() {
        return home;
    }

    int feature() {
        return feature;
    }

    Path java() {
        return home.resolve("bin").resolve("java");
    }

    @Override
    public String toString() {
        return "Java " + feature + " (" + home + ")";
    }
}
