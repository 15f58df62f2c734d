package snn.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What this build of snn is: its Maven version, the git commit it was built from and when. The build writes them
 * into the resource {@value #RESOURCE} ({@code src/main/scripts/build-info.sh}); every value is {@value #UNKNOWN}
 * where the build could not tell (no git, a source tarball) or the resource is missing (classes compiled outside
 * Maven).
 *
 * @param version the Maven version, e.g. {@code 0.1.0-SNAPSHOT}
 * @param commit  the full commit hash, with {@code -dirty} when tracked files differed from it at build time
 * @param built   the build time in UTC, ISO-8601, e.g. {@code 2026-11-30T16:19:16Z}
 */
public record BuildInfo(String version, String commit, String built) {

    /** The value of a field the build could not tell. */
    public static final String UNKNOWN = "unknown";

    /** The class path resource the build writes. */
    public static final String RESOURCE = "/snn/build.properties";

    /** Rejects missing fields: an unknown value is {@value #UNKNOWN}, never null or blank. */
    public BuildInfo {
        for (String field : new String[] {version, commit, built}) {
            if (field == null || field.isBlank()) {
                throw new IllegalArgumentException("build information fields must not be blank (use \"" + UNKNOWN
                        + "\"): " + version + ", " + commit + ", " + built);
            }
        }
    }

    /** {@return this build's information, read once from {@value #RESOURCE}} */
    public static BuildInfo current() {
        return Current.INFO;
    }

    /**
     * Reads build information in the format of {@value #RESOURCE} ({@code version}, {@code commit}, {@code built});
     * a missing key reads as {@value #UNKNOWN}.
     *
     * @param in the properties, or null for none
     * @return the information
     * @throws IOException if {@code in} cannot be read
     */
    public static BuildInfo read(InputStream in) throws IOException {
        Properties p = new Properties();
        if (in != null) {
            p.load(in);
        }
        return new BuildInfo(value(p, "version"), value(p, "commit"), value(p, "built"));
    }

    /** {@return e.g. {@code snn 0.1.0-SNAPSHOT (commit 1a2b3c..., built 2026-11-30T16:19:16Z)}} */
    public String describe() {
        return "snn " + version + " (commit " + commit + ", built " + built + ")";
    }

    private static String value(Properties p, String key) {
        String v = p.getProperty(key, "").strip();
        return v.isEmpty() ? UNKNOWN : v;
    }

    /** Holds the information of this build, read on first use. */
    private static final class Current {
        static final BuildInfo INFO = load();

        private static BuildInfo load() {
            try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
                return read(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + RESOURCE + " from the class path", e);
            }
        }
    }
}
