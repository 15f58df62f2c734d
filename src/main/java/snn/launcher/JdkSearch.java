package snn.launcher;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where the launcher looks for a JDK, in the order of {@code bin/find-jdk}: {@code $JAVA_HOME}, then the installation
 * of the first {@code java} on {@code $PATH}, then every installation directly under the folders of
 * {@code $SNN_JDK_DIRS} (colon-separated; {@code /usr/lib/jvm} when unset), newest release first.
 */
final class JdkSearch {

    /** The environment variable listing the folders that hold JDKs; {@value #DEFAULT_DIRS} when unset. */
    static final String DIRS_VARIABLE = "SNN_JDK_DIRS";

    static final String DEFAULT_DIRS = "/usr/lib/jvm";

    private final String javaHome;
    private final String path;
    private final List<Path> dirs;

    private JdkSearch(String javaHome, String path, List<Path> dirs) {
        this.javaHome = javaHome;
        this.path = path;
        this.dirs = dirs;
    }

    /** The search an environment describes ({@code JAVA_HOME}, {@code PATH}, {@code SNN_JDK_DIRS}). */
    static JdkSearch of(Map<String, String> env) {
        String dirsValue = env.get(DIRS_VARIABLE);
        List<Path> dirs = new ArrayList<>();
        for (String dir : (dirsValue != null ? dirsValue : DEFAULT_DIRS).split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                dirs.add(Paths.get(dir));
            }
        }
        return new JdkSearch(blankToNull(env.get("JAVA_HOME")), blankToNull(env.get("PATH")), dirs);
    }

    /** The first installation of the search whose release is at least {@code minimum}, or null. */
    Jdk find(int minimum) {
        for (Jdk jdk : candidates()) {
            if (jdk.feature() >= minimum) {
                return jdk;
            }
        }
        return null;
    }

    /** Every Java installation of the search, in search order, each once. */
    List<Jdk> candidates() {
        Set<Path> seen = new LinkedHashSet<>();
        List<Jdk> found = new ArrayList<>();
        if (javaHome != null) {
            add(Paths.get(javaHome), seen, found);
        }
        Path onPath = javaOnPath();
        if (onPath != null) {
            add(onPath, seen, found);
        }
        for (Path dir : dirs) {
            List<Jdk> inDir = new ArrayList<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    add(entry, seen, inDir);
                }
            } catch (IOException | RuntimeException e) {
                continue; // a missing or unreadable folder holds no JDK
            }
            Collections.sort(inDir, (a, b) -> a.feature() != b.feature() ? Integer.compare(b.feature(), a.feature())
                    : b.home().toString().compareTo(a.home().toString()));
            found.addAll(inDir);
        }
        return found;
    }

    /** The places searched, for messages: e.g. {@code JAVA_HOME (unset), PATH, /usr/lib/jvm}. */
    String places() {
        StringBuilder s = new StringBuilder("JAVA_HOME (").append(javaHome != null ? javaHome : "unset")
                .append("), PATH");
        for (Path dir : dirs) {
            s.append(", ").append(dir);
        }
        return s.toString();
    }

    /** The installation holding the first {@code java} on {@code PATH} (symbolic links resolved), or null. */
    private Path javaOnPath() {
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            try {
                Path java = Paths.get(dir.isEmpty() ? "." : dir, "java");
                if (Files.isExecutable(java) && !Files.isDirectory(java)) {
                    Path bin = java.toRealPath().getParent();
                    return bin != null ? bin.getParent() : null;
                }
            } catch (IOException | InvalidPathException e) {
                continue;
            }
        }
        return null;
    }

    private static void add(Path home, Set<Path> seen, List<Jdk> found) {
        Path real;
        try {
            real = home.toRealPath();
        } catch (IOException e) {
            return;
        }
        if (seen.add(real)) {
            Jdk jdk = Jdk.at(home);
            if (jdk != null) {
                found.add(jdk);
            }
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.trim().isEmpty() ? null : s;
    }
}
