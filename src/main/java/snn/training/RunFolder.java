package snn.training;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A training run's folder and the names of the files in it. A new run claims a folder of its own: {@code
 * <results>/<name>}, or {@code <name>-2}, {@code <name>-3}, ... when that one holds an earlier run (as experiment
 * trackers number their runs), so no earlier result is overwritten unless asked for with {@link #overwrite}.
 * Commands that read a run ({@code --resume}, {@code eval --run}, {@code plot}, {@code compare}) {@link #open} it,
 * which checks that it is one.
 *
 * <p>Claiming creates the folder with an atomic {@code mkdir} and takes only a folder it created, so two runs started
 * at once never share a folder.
 *
 * @param dir the folder
 */
public record RunFolder(Path dir) {

    /** The resolved config the run trains with. */
    public static final String CONFIG = "config.json";
    /** Seed, code version, machine, data checksums, kernels; one entry per resume. */
    public static final String MANIFEST = "manifest.json";
    /** One row per epoch. */
    public static final String METRICS = "metrics.csv";
    /** The selected model, as an snn checkpoint. */
    public static final String MODEL = "model.pt";
    /** Everything {@code --resume} needs. */
    public static final String STATE = "training-state.pt";
    /** The selected epoch and its test evaluation. */
    public static final String SUMMARY = "summary.json";
    /** Figures of the run. */
    public static final String FIGURES = "figures";

    /** The most numbered folders tried for one name before giving up. */
    static final int MAX_NUMBER = 10_000;

    /**
     * Claims a new folder for run {@code name} under {@code parent}: {@code parent/name} when it does not exist, else
     * the first {@code parent/name-N}, N = 2, 3, ..., that does not. The folder is created by this call, so it
     * belongs to this run alone.
     *
     * @param parent the results folder, created if needed
     * @param name   the run's name
     * @return the claimed, empty folder
     * @throws TrainingException when no folder can be created there
     */
    public static RunFolder claim(Path parent, String name) {
        try {
            Files.createDirectories(parent);
            for (int n = 1; n <= MAX_NUMBER; n++) {
                Path dir = parent.resolve(n == 1 ? name : name + "-" + n);
                try {
                    Files.createDirectory(dir);
                    return new RunFolder(dir);
                } catch (FileAlreadyExistsException e) {
                    // taken (even if still empty: another run may have claimed it a moment ago): try the next
                }
            }
        } catch (IOException e) {
            throw new TrainingException("cannot create a run folder in " + parent + ": " + e.getMessage(), e);
        }
        throw new TrainingException("no free run folder " + parent.resolve(name) + "-N for N up to " + MAX_NUMBER
                + "; choose another name (--set name=...) or folder (--out)");
    }

    /**
     * The folder {@code dir} for a new run: it must not hold files unless {@code overwrite}, in which case the new
     * run's files replace those of the same names.
     *
     * @param dir       the folder, created if needed
     * @param overwrite whether an earlier run's files may be replaced
     * @return the folder
     * @throws TrainingException when {@code dir} holds files and {@code overwrite} is false, or cannot be created
     */
    public static RunFolder overwrite(Path dir, boolean overwrite) {
        try {
            if (!overwrite && Files.isDirectory(dir) && !isEmpty(dir)) {
                throw new TrainingException("run folder " + dir + " already holds files; choose another folder"
                        + " (--out), or overwrite it with --force");
            }
            Files.createDirectories(dir);
            return new RunFolder(dir);
        } catch (IOException e) {
            throw new TrainingException("cannot create the run folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * An existing run's folder.
     *
     * @param dir the folder
     * @return the run folder
     * @throws TrainingException {@code not a run folder: DIR (...)} when {@code dir} does not exist or holds no
     *                           {@value #CONFIG}
     */
    public static RunFolder open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new TrainingException("not a run folder: " + dir + " (" + (Files.exists(dir) ? "a file"
                    : "no such folder") + ")");
        }
        if (!Files.isRegularFile(dir.resolve(CONFIG))) {
            throw new TrainingException("not a run folder: " + dir + " (no " + CONFIG + ")");
        }
        return new RunFolder(dir);
    }

    /**
     * A file of the run.
     *
     * @param name one of this class's file names, e.g. {@link #METRICS}
     * @return its path in the folder
     */
    public Path file(String name) {
        return dir.resolve(name);
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.findAny().isEmpty();
        }
    }
}
