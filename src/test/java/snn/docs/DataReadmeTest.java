package snn.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import snn.config.KnownDataset;
import snn.config.Publication;

/**
 * {@code data/README.md} agrees with the dataset registry ({@link KnownDataset}): its checksum table holds exactly
 * the registry's published MD5s, file by file; it names the checksum list of every dataset whose checksums are
 * fetched; it gives every file dataset its folder and download command; and every config in {@code configs/} that
 * names a data folder names the one the README lays out.
 */
class DataReadmeTest {

    static final Path README = Path.of("data/README.md");

    /** A checksum row: {@code | dataset | `file` | `md5` |}. */
    static final Pattern ROW = Pattern.compile("(?m)^\\| ([a-z-]+) \\| `([^`]+)` \\| `([0-9a-f]{32})` \\|$");

    @Test
    void checksumTableIsTheRegistrys() throws Exception {
        String readme = Files.readString(README);
        Set<String> documented = new LinkedHashSet<>();
        Matcher row = ROW.matcher(readme);
        while (row.find()) {
            documented.add(row.group(1) + " " + row.group(2) + " " + row.group(3));
        }
        Set<String> registry = new LinkedHashSet<>();
        for (KnownDataset d : KnownDataset.values()) {
            for (Publication p : d.publication().stream().toList()) {
                for (Publication.RemoteFile f : p.files()) {
                    if (f.md5() != null) {
                        registry.add(d.id() + " " + f.name() + " " + f.md5());
                    }
                }
            }
        }
        assertEquals(List.copyOf(registry), List.copyOf(documented), "data/README.md's checksum table");
        Matcher anyMd5 = Pattern.compile("\\b[0-9a-f]{32}\\b").matcher(readme);
        int md5s = 0;
        while (anyMd5.find()) {
            md5s++;
        }
        assertEquals(registry.size(), md5s, "every MD5 in data/README.md is in its table");
    }

    @Test
    void everyFileDatasetHasItsFolderCommandsAndChecksumSource() throws Exception {
        String readme = Files.readString(README);
        for (KnownDataset d : KnownDataset.values()) {
            if (d.kind() == KnownDataset.Kind.SYNTHETIC) {
                continue;
            }
            String folder = "data/" + d.id();
            assertTrue(readme.contains("| `" + folder + "/` |"), folder + " in the layout table");
            assertTrue(readme.contains("bin/snn data download " + d.id() + " --root " + folder), d.id() + " download");
            Publication p = d.publication().orElseThrow();
            if (p.checksumManifest() != null) {
                String list = p.base().resolve(p.checksumManifest()).toString();
                assertTrue(readme.contains(list), d.id() + "'s checksums are published in " + list);
            }
            for (Publication.RemoteFile f : p.files()) {
                String installed = f.installs();
                assertTrue(readme.contains(installed) || readme.contains(installed + "/"),
                        d.id() + ": what " + f.name() + " installs (" + installed + ") is in the layout");
            }
        }
    }

    @Test
    void configsUseTheLayout() throws Exception {
        ObjectMapper json = new ObjectMapper();
        int checked = 0;
        try (Stream<Path> files = Files.walk(Path.of("configs"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                JsonNode data = json.readTree(file.toFile()).path("data");
                if (data.has("root")) {
                    assertEquals("data/" + data.path("dataset").asText(), data.path("root").asText(), file.toString());
                    checked++;
                }
            }
        }
        assertTrue(checked > 50, "the paper configs name their data folders: " + checked);
    }
}
