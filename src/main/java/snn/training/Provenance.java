package snn.training;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import snn.config.ExperimentConfig;
import snn.data.DatasetSplits;
import snn.models.SpikingNetwork;
import snn.runtime.MachineInfo;

/**
 * Where a run comes from, for its {@code manifest.json}: the seed, the dataset's files with their checksums, the
 * kernels, the machine, libraries and code version.
 */
final class Provenance {

    private Provenance() {
    }

    /** The manifest of a run's start. */
    static Map<String, Object> manifest(ExperimentConfig config, DatasetSplits data, SpikingNetwork net, Ranks ranks) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run", config.name());
        m.put("seed", config.seed());
        m.put("dataset", data.train().name());
        if (config.training().initFrom() != null) {
            m.put("init_from", Map.of("file", config.training().initFrom().toAbsolutePath().toString(),
                    "sha256", sha256(config.training().initFrom())));
        }
        m.putAll(of(config, net, ranks));
        return m;
    }

    /**
     * The dataset's files (with their checksums), the kernels that compute the dynamics, and this process's machine,
     * libraries and code version.
     */
    static Map<String, Object> of(ExperimentConfig config, SpikingNetwork net, Ranks ranks) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (config.data().root() != null) {
            m.put("dataset_root", config.data().root().toAbsolutePath().toString());
            m.put("dataset_files", datasetFiles(config.data().root()));
        }
        m.put("kernels", net.kernelSelection().isNative() ? "native" : "torch");
        m.put("kernels_detail", net.kernelSelection().describe());
        m.putAll(MachineInfo.describe());
        m.putAll(ranks.describe());
        return m;
    }

    /**
     * SHA-256 of each file directly in the dataset folder; a subfolder (N-MNIST's Train/ and Test/) is summarised
     * by its file count, since hashing 70,000 files would delay every run.
     */
    private static Map<String, String> datasetFiles(Path root) {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> entries = Files.list(root)) {
            for (Path f : entries.toList()) {
                String name = f.getFileName().toString();
                if (Files.isDirectory(f)) {
                    try (Stream<Path> all = Files.walk(f)) {
                        files.put(name + "/", all.filter(Files::isRegularFile).count() + " files");
                    }
                } else if (Files.isRegularFile(f)) {
                    files.put(name, "sha256:" + sha256(f));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            files.put("(error)", "cannot list " + root + ": " + e.getMessage());
        }
        return files;
    }

    /** The SHA-256 of a file's content, in hex. */
    private static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
