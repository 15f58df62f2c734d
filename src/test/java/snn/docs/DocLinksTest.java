package snn.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The repository stands alone: no tracked source, doc, config, script or README refers to the workspace folder
 * outside it (the workspace folder beside the checkout, {@link #WORKSPACE}) or to the workspace's notes on the
 * algorithms, and every citation of
 * {@code docs/specification.md} (and every "eq. N" citation in the sources) names a section, or a numbered item of
 * a section, that the specification has.
 */
class DocLinksTest {

    static final Path SPEC = Path.of("docs/specification.md");

    /** This file spells the forbidden references in its patterns and examples. */
    static final Path SELF = Path.of("src/test/java/snn/docs/DocLinksTest.java");

    /**
     * Run records ({@code results/<run>/config.json, manifest.json}) keep the absolute dataset folder of the machine
     * they ran on, which is a fact about that run, not a reference for readers.
     */
    static final String RUN_RECORDS = "results/";

    /** Where to look when the tree is not a git checkout. */
    static final List<String> ROOTS = List.of("README.md", "pom.xml", "docs", "src", "configs", "examples", "bin",
            ".ci");

    /** The workspace folder beside the checkout, spelled in two pieces so that this file does not name it literally. */
    static final String WORKSPACE = ".." + "/shared";

    static final Pattern FORBIDDEN = Pattern.compile(Pattern.quote(WORKSPACE) + "|algorithms\\.md");

    static final String NUMBER = "\\d+(?:\\.\\d+)*";
    static final String NUMBER_LIST = "(" + NUMBER + "(?:\\s*(?:,|and|or|to|-|–)\\s*§?\\s*" + NUMBER + ")*)";

    /**
     * A citation: {@code specification.md}, as plain text, a code span or a Markdown link, then "section(s)", "§",
     * "table" or nothing, then one or more numbers ("2.1-2.2", "7.4 and 9", "§2–§4").
     */
    static final Pattern CITATION = Pattern.compile("specification\\.md(?:\\]\\([^)]*\\))?`?\\s*"
            + "(?:sections?\\s+|§\\s*|table\\s+|eq\\.\\s*)?" + NUMBER_LIST);

    /** "eq. 3.1.2", "eq. 3.1.4-5" in the sources: the specification's numbering. */
    static final Pattern EQUATION = Pattern.compile("\\beq\\.\\s*" + NUMBER_LIST);

    static final Pattern HEADING = Pattern.compile("^#{2,6}\\s+(" + NUMBER + ")\\.?\\s", Pattern.MULTILINE);

    /** The specification's sections: number to body (the text up to the next heading). */
    record Spec(Map<String, String> sections) {

        static Spec parse(String markdown) {
            Map<String, String> sections = new LinkedHashMap<>();
            String[] lines = markdown.split("\n", -1);
            String current = null;
            StringBuilder body = new StringBuilder();
            for (String line : lines) {
                if (line.startsWith("#")) {
                    if (current != null) {
                        sections.put(current, body.toString());
                    }
                    Matcher h = HEADING.matcher(line + " ");
                    current = h.lookingAt() ? h.group(1) : null;
                    body.setLength(0);
                } else if (current != null) {
                    body.append(line).append('\n');
                }
            }
            if (current != null) {
                sections.put(current, body.toString());
            }
            return new Spec(sections);
        }

        /** Whether {@code number} is a section ("3", "4.2") or a numbered item of a section ("4.2.4"). */
        boolean has(String number) {
            if (sections.containsKey(number)) {
                return true;
            }
            int dot = number.lastIndexOf('.');
            if (dot < 0 || !sections.containsKey(number.substring(0, dot))) {
                return false;
            }
            String item = number.substring(dot + 1);
            return Pattern.compile("(?m)^\\s*" + item + "\\.\\s").matcher(sections.get(number.substring(0, dot)))
                    .find();
        }
    }

    /** The numbers a citation's list names; in "3.1.4-5" the second end is 3.1.5. */
    static List<String> numbers(String list) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("(\\s*(?:,|and|or|to|-|–)\\s*§?\\s*)?(" + NUMBER + ")").matcher(list);
        String previous = null;
        while (m.find()) {
            String n = m.group(2);
            boolean range = m.group(1) != null && m.group(1).strip().matches("[-–]§?");
            if (range && previous != null) {
                String[] left = previous.split("\\.");
                String[] right = n.split("\\.");
                if (right.length < left.length) {
                    String[] joined = left.clone();
                    System.arraycopy(right, 0, joined, left.length - right.length, right.length);
                    n = String.join(".", joined);
                }
            }
            out.add(n);
            previous = n;
        }
        return out;
    }

    /** One finding: where and what. */
    record Problem(String file, int line, String text) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + text;
        }
    }

    /** Every reference to the workspace folder ({@link #WORKSPACE}) or its notes, and every citation spec lacks. */
    static List<Problem> problems(String file, String text, Spec spec, boolean source) {
        List<Problem> out = new ArrayList<>();
        Matcher f = FORBIDDEN.matcher(text);
        while (f.find()) {
            out.add(new Problem(file, line(text, f.start()), "refers to '" + f.group()
                    + "', outside the repository; cite docs/specification.md or a file of the repository"));
        }
        List<Matcher> citations = new ArrayList<>(List.of(CITATION.matcher(text)));
        if (source) {
            citations.add(EQUATION.matcher(text));
        }
        for (Matcher c : citations) {
            while (c.find()) {
                for (String n : numbers(c.group(1))) {
                    if (!spec.has(n)) {
                        out.add(new Problem(file, line(text, c.start()), "'" + c.group().strip()
                                + "' cites section " + n + ", which docs/specification.md does not have"));
                    }
                }
            }
        }
        return out;
    }

    /** Counts the citations of the specification in {@code text}. */
    static int citations(String text) {
        int count = 0;
        Matcher c = CITATION.matcher(text);
        while (c.find()) {
            count++;
        }
        return count;
    }

    static int line(String text, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    /** The tracked files ({@code git ls-files}), or the files under {@link #ROOTS} when git cannot list them. */
    static List<Path> files() throws IOException, InterruptedException {
        Optional<List<Path>> tracked = gitFiles();
        if (tracked.isPresent()) {
            return tracked.get();
        }
        List<Path> all = new ArrayList<>();
        for (String root : ROOTS) {
            Path p = Path.of(root);
            if (Files.isRegularFile(p)) {
                all.add(p);
            } else if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    walk.filter(Files::isRegularFile).forEach(all::add);
                }
            }
        }
        return all;
    }

    static Optional<List<Path>> gitFiles() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("git", "ls-files", "-z").redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readAllBytes();
            }
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return Optional.empty();
            }
            List<Path> files = new ArrayList<>();
            for (String name : new String(out, StandardCharsets.UTF_8).split("\0")) {
                if (!name.isEmpty()) {
                    files.add(Path.of(name));
                }
            }
            return files.isEmpty() ? Optional.empty() : Optional.of(files);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The file as UTF-8 text, or empty for a binary file (figures, fixtures). */
    static Optional<String> text(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    @Test
    void noFileRefersOutsideTheRepositoryAndEveryCitedSectionExists() throws Exception {
        Spec spec = Spec.parse(Files.readString(SPEC));
        List<Problem> problems = new ArrayList<>();
        int scanned = 0;
        int cited = 0;
        for (Path file : files()) {
            String name = file.toString().replace('\\', '/');
            if (name.startsWith(RUN_RECORDS) || file.equals(SELF) || !Files.isRegularFile(file)) {
                continue;
            }
            Optional<String> text = text(file);
            if (text.isEmpty()) {
                continue;
            }
            scanned++;
            cited += citations(text.get());
            problems.addAll(problems(name, text.get(), spec, name.startsWith("src/")));
        }
        assertTrue(scanned > 100, "scanned only " + scanned + " files");
        // The sources, docs and README cite the specification in over 30 places; a broken pattern would find few.
        assertTrue(cited >= 20, "found only " + cited + " citations of docs/specification.md");
        assertEquals(List.of(), problems, () -> String.join("\n", problems.stream().map(Problem::toString).toList()));
    }

    @Test
    void theSpecificationHasTheSectionsAndItemsTheSourcesRelyOn() throws IOException {
        Spec spec = Spec.parse(Files.readString(SPEC));
        for (String n : List.of("0", "1", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "3", "3.1", "3.1.2", "3.1.4",
                "3.1.5", "3.2", "3.3", "3.4", "3.5", "4", "4.1", "4.2", "4.2.2", "4.2.4", "4.3", "4.4", "5", "6", "6.1",
                "6.2", "7", "7.1", "7.2", "7.4", "8", "9", "10", "11", "12")) {
            assertTrue(spec.has(n), "docs/specification.md has no section or item " + n);
        }
    }

    @Test
    void theCheckFindsForeignReferencesAndMissingSections() {
        Spec spec = Spec.parse("""
                ## 3. Block
                ### 3.1 Forward
                1. current
                2. membrane
                ## 4. D-block
                ### 4.2 Equations
                1. current
                4. recurrence
                """);
        String good = """
                see docs/specification.md section 3, docs/specification.md §3.1 and §4, eq. 3.1.2
                [docs/specification.md](specification.md) §4.2, `docs/specification.md` 4.2.4, eq. 3.1.1-2
                docs/specification.md sections 3 and 4.2; docs/specification.md §3–§4
                """;
        assertEquals(List.of(), problems("good.md", good, spec, true));
        assertEquals(6, citations(good), "citations of the specification in the good text");

        String bad = """
                line one
                notes in WORKSPACE/docs/x.md
                see algorithms.md
                docs/specification.md section 5
                docs/specification.md 4.2.3 and eq. 3.1.1-3
                [docs/specification.md](specification.md) §3.2
                """.replace("WORKSPACE", WORKSPACE);
        List<String> found = problems("bad.md", bad, spec, true).stream().map(Problem::toString).toList();
        assertEquals(6, found.size(), String.join("\n", found));
        assertTrue(found.get(0).startsWith("bad.md:2: refers to '" + WORKSPACE + "'"), found.get(0));
        assertTrue(found.get(1).startsWith("bad.md:3: refers to 'algorithms.md'"), found.get(1));
        assertTrue(found.get(2).contains("bad.md:4:") && found.get(2).contains("section 5,"), found.get(2));
        assertTrue(found.get(3).contains("bad.md:5:") && found.get(3).contains("section 4.2.3,"), found.get(3));
        assertTrue(found.get(4).contains("bad.md:6:") && found.get(4).contains("section 3.2,"), found.get(4));
        // The range's second end is 3.1.3 (an item 3.1 lacks), found through the "eq." pattern of sources.
        assertTrue(found.get(5).contains("bad.md:5:") && found.get(5).contains("section 3.1.3,"), found.get(5));
        // Outside the sources, "eq." is not read as a citation.
        assertEquals(5, problems("bad.md", bad, spec, false).size());
    }

    @Test
    void rangesCountFromTheirLeftEnd() {
        assertEquals(List.of("3.1.4", "3.1.5"), numbers("3.1.4-5"));
        assertEquals(List.of("2.1", "2.2"), numbers("2.1-2.2"));
        assertEquals(List.of("2", "4"), numbers("2–§4"));
        assertEquals(List.of("7.4", "9"), numbers("7.4 and 9"));
        assertEquals(List.of("3.5", "12"), numbers("3.5 and §12"));
    }
}
