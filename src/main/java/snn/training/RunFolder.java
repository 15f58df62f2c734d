package snn.training;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Set;
import java.util.OptionalLong;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.io.AtomicFiles;
import snn.core.TrainingException;

/**
 * A training run's folder and the names of the files in it. A new run claims a folder of its own: {@code
 * <results>/<name>}, or {@code <name>-2}, {@code <name>-3}, ... when that one holds an earlier run (as experiment
 * trackers number their runs), so no earlier result is overwritten unless asked for with {@link #overwrite}.
 * Commands that read a run ({@code --resume}, {@code eval --run}, {@code plot}, {@code compare}) {@link #open} it,
 * which checks that it is one.
 *
 * <p>Claiming creates the folder with an atomic {@code mkdir} and takes only a folder it created, so two runs started
 * at once never share a folder. A training that writes a folder holds its {@link #lock()} meanwhile, so a second
 * writer ({@code --force} into the same folder, a {@code --resume} of it) is refused instead of mixing its files with
 * the first's.
 *
 * @param dir the folder
 */
public record RunFolder(Path dir) {

    private static final ObjectMapper JSON = ConfigLoader.mapper();

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
    /** The kept training states of every N-th epoch ({@code training.checkpoint_every}). */
    public static final String CHECKPOINTS = "checkpoints";
    /** The start of a TensorBoard event file's name, as TensorBoard looks for it. */
    public static final String TENSORBOARD_EVENTS = "events.out.tfevents.";
    /** The lock of the training that writes the folder: see {@link #lock()}. */
    public static final String LOCK = ".training.lock";

    /** The most numbered folders tried for one name before giving up. */
    static final int MAX_NUMBER = 10_000;

    /** How often {@link #lock()} tries again when the lock file was replaced while it locked it. */
    private static final int MAX_LOCK_ATTEMPTS = 5;

    /** The lock files whose lock this process holds (or whose holder it asks for the lock), by absolute path. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

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
     * Gives the folder back after a run that failed before writing anything (a config the ranks disagree on, data
     * that cannot be read): deletes it when it is empty, so that a failed start leaves no trace and the next run
     * can take the name.
     *
     * @return whether the folder was deleted
     */
    public boolean releaseIfEmpty() {
        try {
            if (!Files.isDirectory(dir) || !isEmpty(dir)) {
                return false;
            }
            if (!Files.exists(file(LOCK))) {
                Files.delete(dir);
                return true;
            }
            // Only a folder whose lock nobody holds: a training that just locked it has not written yet. (Opening the
            // file while this process holds its lock would release the lock when closed: see lock().)
            if (HELD.contains(file(LOCK).toAbsolutePath().normalize())) {
                return false;
            }
            try (FileChannel channel = FileChannel.open(file(LOCK), StandardOpenOption.WRITE);
                    FileLock lock = channel.tryLock()) {
                if (lock == null) {
                    return false;
                }
                Files.delete(file(LOCK));
                Files.delete(dir);
                return true;
            } catch (OverlappingFileLockException e) {
                return false;
            }
        } catch (IOException e) {
            // something appeared in it, or it cannot be removed: it stays, as any run folder would
        }
        return false;
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

    /** {@return the selected model's checkpoint, {@value #MODEL}} */
    public Path model() {
        return file(MODEL);
    }

    /** {@return the state {@code --resume} continues from, {@value #STATE}} */
    public Path state() {
        return file(STATE);
    }

    /**
     * The kept training state of an epoch, as {@code training.checkpoint_every} writes it.
     *
     * @param epoch a completed epoch
     * @return {@code checkpoints/epoch-NNNN.pt} in the folder
     */
    public Path checkpoint(int epoch) {
        return file(CHECKPOINTS).resolve(String.format(java.util.Locale.ROOT, "epoch-%04d.pt", epoch));
    }

    /**
     * {@return the epochs whose training state is kept in {@value #CHECKPOINTS}, in increasing order}
     *
     * @throws TrainingException when the folder cannot be listed
     */
    public List<Integer> checkpointEpochs() {
        Path dir = file(CHECKPOINTS);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("epoch-[0-9]+\\.pt"))
                    .map(n -> Integer.parseInt(n.substring(6, n.length() - 3))).sorted().toList();
        } catch (IOException e) {
            throw new TrainingException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** {@return the folder of the run's figures, {@value #FIGURES}} */
    public Path figures() {
        return file(FIGURES);
    }

    // ----- the writer's lock ----------------------------------------------------------------------------------

    /**
     * Locks the folder for a training that writes it, until the lock is closed: an operating-system lock on
     * {@value #LOCK} ({@link FileChannel#tryLock()}), with the holder's process id written in the file for the
     * message a refused writer prints. The operating system releases the lock when its process ends, however it ends:
     * a training that finishes or fails deletes the file as it closes the lock, and one killed outright ({@code kill
     * -9}, a power cut) leaves the file with its process id but no lock, which the next writer takes over
     * ({@link Lock#takenOverFrom()} names the process). The folder is created if needed.
     *
     * <p>A lock held by an ancestor of this process counts as this process's: {@code snn train --nproc N}'s launcher
     * holds it for its workers, of which rank 0 writes.
     *
     * @return the lock, to close when the training ends
     * @throws TrainingException when another process (naming its process id), or another training in this process,
     *                           holds the lock, or the lock file cannot be written
     */
    public Lock lock() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new TrainingException("cannot create the run folder " + dir + ": " + e.getMessage(), e);
        }
        // POSIX releases a process's lock on a file when it closes any descriptor of that file: so this process opens
        // a lock file only when it holds no lock on it, and keeps what it opened until it releases the lock.
        Path key = file(LOCK).toAbsolutePath().normalize();
        if (!HELD.add(key)) {
            throw new TrainingException("run folder " + dir + " is being written by another training in this"
                    + " process; write this one elsewhere (--out DIR)");
        }
        boolean locked = false;
        try {
            // A lock taken on a file that its holder deleted as it released it is no lock: check, and try again.
            for (int attempt = 0; attempt < MAX_LOCK_ATTEMPTS; attempt++) {
                Lock lock = tryLock(key);
                if (lock != null) {
                    locked = true;
                    return lock;
                }
            }
        } finally {
            if (!locked) {
                HELD.remove(key);
            }
        }
        throw new TrainingException("cannot lock the run folder " + dir + ": its lock file " + file(LOCK) + " was"
                + " replaced " + MAX_LOCK_ATTEMPTS + " times while this process locked it; another program is"
                + " deleting it");
    }

    /** The lock; null when the file was deleted (by its last holder) between opening and locking it. */
    private Lock tryLock(Path key) {
        Path file = file(LOCK);
        FileChannel channel = null;
        FileChannel check = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                // The same file under another path (a link): left open, as closing it would release the other lock.
                channel = null;
                throw new TrainingException("run folder " + dir + " is being written by another training in this"
                        + " process; write this one elsewhere (--out DIR)");
            }
            OptionalLong holder = holder(channel);
            if (lock == null) {
                long pid = holder.orElse(-1);
                channel.close();
                if (pid > 0 && isAncestor(pid)) {
                    return new Lock(key, null, null, null, null, OptionalLong.empty());
                }
                throw new TrainingException("run folder " + dir + " is being written by another training (" + (pid > 0
                        ? "process " + pid + ", " + ProcessHandle.of(pid).flatMap(p -> p.info().commandLine())
                                .map(c -> "running " + abbreviate(c)).orElse("still running") : "a process whose id"
                        + " is not recorded in " + file) + "); two trainings writing one folder would mix their files."
                        + " Wait for it to finish" + (pid > 0 ? " or stop it (kill " + pid + ")" : "") + ", or write"
                        + " this one elsewhere (--out DIR)");
            }
            long self = ProcessHandle.current().pid();
            String token = self + "\n" + UUID.randomUUID() + "\n";
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(token.getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(true);
            // The file at the path is the one locked when it holds this token; the second descriptor stays open.
            try {
                check = FileChannel.open(file, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                lock.release();
                closeQuietly(channel);
                return null;
            }
            ByteBuffer there = ByteBuffer.allocate(token.length() + 1);
            check.read(there, 0);
            if (!token.equals(new String(there.array(), 0, there.position(), StandardCharsets.US_ASCII))) {
                lock.release();
                closeQuietly(check);
                closeQuietly(channel);
                return null;
            }
            return new Lock(key, file, channel, check, lock, holder.isPresent() && holder.getAsLong() != self
                    ? holder : OptionalLong.empty());
        } catch (IOException e) {
            closeQuietly(check);
            closeQuietly(channel);
            throw new TrainingException("cannot lock the run folder " + dir + " (" + file + "): " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(check);
            closeQuietly(channel);
            throw e;
        }
    }

    /**
     * The lock of the training that writes a run folder ({@link RunFolder#lock()}). Closing it deletes the lock file
     * and releases the lock.
     */
    public static final class Lock implements AutoCloseable {

        private final Path key;
        private final Path file;
        private final FileChannel channel;
        private final FileChannel check;
        private final FileLock lock;
        private final OptionalLong takenOverFrom;
        private boolean closed;

        private Lock(Path key, Path file, FileChannel channel, FileChannel check, FileLock lock,
                OptionalLong takenOverFrom) {
            this.key = key;
            this.file = file;
            this.channel = channel;
            this.check = check;
            this.lock = lock;
            this.takenOverFrom = takenOverFrom;
        }

        /**
         * {@return the process that held this folder's lock before and ended without releasing it (killed, or its
         * machine stopped), if any: its id was still in the lock file}
         */
        public OptionalLong takenOverFrom() {
            return takenOverFrom;
        }

        /**
         * {@return a line saying that a stale lock was taken over, for the training's log}
         *
         * @param dir the run folder, for the message
         */
        public Optional<String> takeOverNote(Path dir) {
            if (takenOverFrom.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of("run folder " + dir + ": took over the lock of process " + takenOverFrom.getAsLong()
                    + ", which ended without releasing it (killed?)");
        }

        /**
         * Deletes the lock file and releases the lock (once), in that order, so that a writer waiting for the lock
         * finds no file or a new one; a lock held by an ancestor process is left to it.
         */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (channel != null) {
                    Files.deleteIfExists(file);
                    lock.release();
                }
            } catch (IOException e) {
                // the process's end releases the lock anyway; an id left in the file is then taken over
            } finally {
                closeQuietly(check);
                closeQuietly(channel);
                HELD.remove(key);
            }
        }
    }

    /** The process id in a lock file, if it holds one. */
    private static OptionalLong holder(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(64);
        channel.read(buffer, 0);
        String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
        text = text.lines().findFirst().orElse("").trim(); // the id, then the holder's token
        try {
            return text.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Whether process {@code pid} is a parent, grandparent, ... of this one. */
    private static boolean isAncestor(long pid) {
        Optional<ProcessHandle> p = ProcessHandle.current().parent();
        while (p.isPresent()) {
            if (p.get().pid() == pid) {
                return true;
            }
            p = p.get().parent();
        }
        return false;
    }

    private static String abbreviate(String commandLine) {
        return commandLine.length() <= 120 ? commandLine : commandLine.substring(0, 117) + "...";
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing was written through it that matters
            }
        }
    }

    // ----- writing (each file atomically: a reader sees the old or the new content, never a part) ------------

    /**
     * Writes the resolved config the run trains with.
     *
     * @param config the config in effect
     * @throws TrainingException naming the file when it cannot be written
     */
    public void writeConfig(ExperimentConfig config) {
        writeJson(file(CONFIG), config);
    }

    /**
     * Writes the manifest of the run's start.
     *
     * @param manifest seed, code version, machine, data checksums, kernels, ... ready for JSON
     * @throws TrainingException naming the file when it cannot be written
     */
    public void writeManifest(Map<String, Object> manifest) {
        writeJson(file(MANIFEST), manifest);
    }

    /**
     * Records a resume while keeping the run's provenance: the manifest of the start stays as it is and gains
     * {@code entry} under {@code "resumes"}, with every config value that differs from the saved config added to it
     * under {@code "config_changes"} (e.g. {@code "training.epochs": "30 -> 45"}); {@value #CONFIG} is then rewritten
     * as the config now in effect.
     *
     * @param config the config in effect from now on
     * @param entry  what describes the resume: the epoch resumed after, the time, this process's machine, ...
     * @param start  the manifest to start from when the run's own is missing or unreadable
     * @throws TrainingException naming the file when one cannot be written
     */
    public void recordResume(ExperimentConfig config, Map<String, Object> entry, Map<String, Object> start) {
        Map<String, Object> resume = new LinkedHashMap<>(entry);
        Map<String, String> changes = new TreeMap<>();
        try {
            if (Files.isRegularFile(file(CONFIG))) {
                // Both as this version writes config.json, parsed the same way, so that 5 and 5L compare equal and
                // keys a run's older config.json lacks (at their defaults) are no change.
                changes.putAll(ConfigLoader.differences(savedConfig(), JSON.readTree(JSON.writeValueAsString(config))));
            }
        } catch (IOException e) {
            changes.put("(" + CONFIG + ")", "unreadable: " + e.getMessage());
        }
        resume.put("config_changes", changes);
        Map<String, Object> manifest;
        try {
            manifest = Files.isRegularFile(file(MANIFEST))
                    ? JSON.readValue(file(MANIFEST).toFile(), new TypeReference<LinkedHashMap<String, Object>>() { })
                    : new LinkedHashMap<>(start);
        } catch (IOException e) {
            manifest = new LinkedHashMap<>(start);
            manifest.put("manifest_of_start", "unreadable (" + e.getMessage() + "); this one describes the resume");
        }
        List<Object> resumes = new ArrayList<>();
        if (manifest.get("resumes") instanceof List<?> earlier) {
            resumes.addAll(earlier);
        }
        resumes.add(resume);
        manifest.put("resumes", resumes);
        writeConfig(config);
        writeManifest(manifest);
    }

    /** The saved config as this version would write it (its defaults filled in), else as the file holds it. */
    private JsonNode savedConfig() throws IOException {
        try {
            return JSON.readTree(JSON.writeValueAsString(ConfigLoader.load(file(CONFIG), List.of())));
        } catch (snn.core.ConfigException e) {
            return JSON.readTree(file(CONFIG).toFile());
        }
    }

    /**
     * Writes every completed epoch's metrics, one row each ({@link EpochMetrics#header(int)}).
     *
     * @param history the epochs so far, at least one
     * @throws TrainingException naming the file when it cannot be written
     */
    public void writeMetrics(List<EpochMetrics> history) {
        StringBuilder csv = new StringBuilder(EpochMetrics.header(history.get(0).spikesPerSample().size()))
                .append('\n');
        history.forEach(m -> csv.append(m.csv()).append('\n'));
        write(file(METRICS), csv.toString());
    }

    /**
     * Writes the summary of a finished run: the selected epoch, how it was selected, its test evaluation (accuracy,
     * loss, spikes per sample per layer, confusion matrix) and the mean time per batch.
     *
     * @param result the finished run
     * @throws TrainingException naming the file when it cannot be written
     */
    public void writeSummary(TrainingResult result) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("best_epoch", result.bestEpoch());
        s.put("selection", result.selection());
        s.put("test_accuracy", result.test().accuracy());
        s.put("test_loss", result.test().loss());
        s.put("spikes_per_sample", result.test().spikesPerSample());
        s.put("total_spikes_per_sample", result.test().totalSpikesPerSample());
        s.put("epochs_run", result.history().size());
        s.put("mean_forward_ms", result.history().stream().mapToDouble(EpochMetrics::forwardMs).average().orElse(0));
        s.put("mean_backward_ms", result.history().stream().mapToDouble(EpochMetrics::backwardMs).average()
                .orElse(0));
        s.put("confusion_matrix", result.test().confusion());
        writeJson(file(SUMMARY), s);
    }

    // ----- reading ------------------------------------------------------------------------------------------

    /**
     * {@return the run's per-epoch metrics}
     *
     * @throws TrainingException when {@value #METRICS} is missing, unreadable or holds no completed epoch
     */
    public MetricsTable metrics() {
        return MetricsTable.read(file(METRICS));
    }

    /**
     * {@return the summary of a finished run}
     *
     * @throws TrainingException when {@value #SUMMARY} is missing or unreadable (the run has not finished)
     */
    public JsonNode summary() {
        try {
            return JSON.readTree(file(SUMMARY).toFile());
        } catch (IOException e) {
            throw new TrainingException("cannot read " + file(SUMMARY) + " (written when a run finishes): "
                    + e.getMessage(), e);
        }
    }

    private static void writeJson(Path file, Object value) {
        try {
            write(file, JSON.writeValueAsString(value) + "\n");
        } catch (IOException e) {
            throw new TrainingException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path file, String text) {
        try {
            AtomicFiles.writeString(file, text);
        } catch (IOException e) {
            throw new TrainingException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code dir} holds nothing but, perhaps, the lock file of a training that wrote nothing. */
    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.allMatch(f -> f.getFileName().toString().equals(LOCK));
        }
    }
}
