package snn.golden;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the golden cases are: the cases bundled with the tests ({@code src/test/resources/golden}, computed with the
 * reference PyTorch code; format in its README), plus every folder named in {@code -Dsnn.golden.dir=DIR[:DIR...]}.
 * Every {@code *.json} file of every folder is a case.
 */
public final class GoldenFolders {

    /** The system property naming additional folders of cases, separated by the platform's path separator. */
    public static final String PROPERTY = "snn.golden.dir";

    private GoldenFolders() {
    }

    /** {@return the bundled folder, then each folder of {@value #PROPERTY}} */
    public static List<Path> folders() {
        List<Path> out = new ArrayList<>();
        URL bundled = GoldenFolders.class.getResource("/golden");
        assertTrue(bundled != null, "the bundled golden cases (src/test/resources/golden) are not on the class path");
        try {
            out.add(Path.of(bundled.toURI()));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        String extra = System.getProperty(PROPERTY, "");
        for (String dir : extra.split(File.pathSeparator)) {
            if (!dir.isBlank()) {
                Path p = Path.of(dir.trim());
                assertTrue(Files.isDirectory(p), "golden folder " + p.toAbsolutePath() + " (from -D" + PROPERTY
                        + ") does not exist");
                out.add(p);
            }
        }
        return out;
    }

    /**
     * The case files of every folder whose names start with {@code prefix}, sorted by folder then name.
     *
     * @param prefix e.g. {@code golden_model_}, or {@code ""} for all
     * @return the files; each folder holds at least one
     * @throws IOException when a folder cannot be listed
     */
    public static List<Path> caseFiles(String prefix) throws IOException {
        List<Path> all = new ArrayList<>();
        for (Path dir : folders()) {
            try (Stream<Path> files = Files.list(dir)) {
                List<Path> found = files.filter(p -> p.getFileName().toString().startsWith(prefix)
                        && p.getFileName().toString().endsWith(".json")).sorted().toList();
                assertFalse(found.isEmpty(), "no " + prefix + "*.json golden cases in " + dir.toAbsolutePath());
                all.addAll(found);
            }
        }
        return all;
    }

    /**
     * A display name for a case: its file name, prefixed by its folder when it is not the bundled one.
     *
     * @param file a case file from {@link #caseFiles}
     * @return the name to show in test reports
     */
    public static String displayName(Path file) {
        Path first = folders().get(0);
        return file.getParent().equals(first) ? file.getFileName().toString() : file.toString();
    }
}
