package snn.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;

/**
 * Seeded damage to a file's bytes, for the corruption tests: flipped bytes, overwritten chunks and truncations at
 * random offsets, and a tally of how each kind of damage was handled.
 */
public final class Mutations {

    /** The kinds of damage. */
    public enum Kind {
        /** One byte XOR-ed with a random non-zero mask. */
        FLIP,
        /** 1 to 64 consecutive bytes replaced by random bytes (at least one of them different). */
        OVERWRITE,
        /** The file cut to a random shorter length. */
        TRUNCATE
    }

    /**
     * One damage.
     *
     * @param kind   what kind
     * @param offset where it starts (the new length, for a truncation)
     * @param bytes  the replacement bytes (one mask byte, for a flip; empty for a truncation)
     */
    public record Mutation(Kind kind, int offset, byte[] bytes) {

        /** {@return a damaged copy of {@code original}} */
        public byte[] applyTo(byte[] original) {
            return switch (kind) {
                case TRUNCATE -> Arrays.copyOf(original, offset);
                case FLIP -> {
                    byte[] out = original.clone();
                    out[offset] ^= bytes[0];
                    yield out;
                }
                case OVERWRITE -> {
                    byte[] out = original.clone();
                    System.arraycopy(bytes, 0, out, offset, bytes.length);
                    yield out;
                }
            };
        }

        @Override
        public String toString() {
            return switch (kind) {
                case TRUNCATE -> "truncation to " + offset + " bytes";
                case FLIP -> String.format("flip of byte %d with mask 0x%02x", offset, bytes[0] & 0xFF);
                case OVERWRITE -> "overwrite of bytes " + offset + ".." + (offset + bytes.length - 1);
            };
        }
    }

    private Mutations() {
    }

    /**
     * Damages of a file of {@code original.length} bytes, drawn from {@code seed}.
     *
     * @param original    the file's bytes
     * @param seed        the seed
     * @param perKind     how many of each kind
     * @return {@code perKind} flips, then overwrites, then truncations
     */
    public static List<Mutation> seeded(byte[] original, long seed, int perKind) {
        SplittableRandom random = new SplittableRandom(seed);
        int n = original.length;
        List<Mutation> out = new ArrayList<>();
        for (int i = 0; i < perKind; i++) {
            out.add(new Mutation(Kind.FLIP, random.nextInt(n), new byte[] {(byte) (1 + random.nextInt(255))}));
        }
        for (int i = 0; i < perKind; i++) {
            byte[] chunk = new byte[1 + random.nextInt(64)];
            int offset = random.nextInt(n - chunk.length + 1);
            do {
                random.nextBytes(chunk);
            } while (Arrays.equals(chunk, 0, chunk.length, original, offset, offset + chunk.length));
            out.add(new Mutation(Kind.OVERWRITE, offset, chunk));
        }
        for (int i = 0; i < perKind; i++) {
            out.add(new Mutation(Kind.TRUNCATE, random.nextInt(n), new byte[0]));
        }
        return out;
    }

    /**
     * Where the data of an entry start in a zip archive, found from the entry's local header.
     *
     * @param bytes the archive
     * @param name  the entry's full name
     * @return the offset of the entry's first data byte
     */
    public static int dataOffset(byte[] bytes, String name) {
        byte[] pattern = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 30; at + pattern.length <= bytes.length; at++) {
            int header = at - 30;
            if (b.getInt(header) == 0x04034b50 && b.getShort(header + 26) == pattern.length
                    && Arrays.equals(bytes, at, at + pattern.length, pattern, 0, pattern.length)) {
                return at + pattern.length + Short.toUnsignedInt(b.getShort(header + 28));
            }
        }
        throw new AssertionError("no local header for " + name);
    }

    /** Reads a file as the code under test does. */
    @FunctionalInterface
    public interface Reader<T> {
        /** {@return what the file holds} */
        T read(Path file);
    }

    /**
     * Writes each of {@code perKind} seeded damages of each kind of {@code original} to {@code target} and reads it
     * back. Every read must either fail with a {@code refusal} (which {@code onRefusal} checks further, e.g. that it
     * names the file) or return what {@code onRead} accepts as the original values; anything else fails the test.
     *
     * @param <T>       what the reader returns
     * @param original  the intact file's bytes
     * @param seed      the seed of the damages
     * @param perKind   damages per kind
     * @param target    where the damaged copies are written (the name a refusal should show)
     * @param reader    the reader under test
     * @param refusal   the exception type of a clean refusal
     * @param onRefusal checks a refusal
     * @param onRead    checks that what was read equals the original
     * @return the tally of refusals and identical reads
     * @throws IOException when a damaged copy cannot be written
     */
    public static <T> Tally fuzz(byte[] original, long seed, int perKind, Path target, Reader<T> reader,
            Class<? extends RuntimeException> refusal, BiConsumer<Mutation, RuntimeException> onRefusal,
            BiConsumer<Mutation, T> onRead) throws IOException {
        Tally tally = new Tally();
        for (Mutation m : seeded(original, seed, perKind)) {
            Files.write(target, m.applyTo(original));
            T read;
            try {
                read = reader.read(target);
            } catch (RuntimeException | Error e) {
                if (!refusal.isInstance(e)) {
                    throw new AssertionError(m + ": not a clean refusal (" + refusal.getSimpleName() + "): " + e, e);
                }
                onRefusal.accept(m, (RuntimeException) e);
                tally.refused(m.kind());
                continue;
            }
            onRead.accept(m, read);
            tally.identical(m);
        }
        return tally;
    }

    /** Counts per kind of damage how often a reader refused the file and how often it read the original values. */
    public static final class Tally {
        private final Map<Kind, int[]> counts = new EnumMap<>(Kind.class);
        private final List<Mutation> harmless = new ArrayList<>();

        /** Creates an empty tally. */
        public Tally() {
            for (Kind k : Kind.values()) {
                counts.put(k, new int[2]);
            }
        }

        /** Counts a refusal. */
        public void refused(Kind kind) {
            counts.get(kind)[0]++;
        }

        /** Counts a load whose values are bit-identical to the original's. */
        public void identical(Mutation m) {
            counts.get(m.kind())[1]++;
            harmless.add(m);
        }

        /** {@return how many damaged files of {@code kind} were refused} */
        public int refusals(Kind kind) {
            return counts.get(kind)[0];
        }

        /** Asserts that every truncation and at least one flip and one overwrite were refused. */
        public void assertDamageWasSeen() {
            assertEquals(counts.get(Kind.TRUNCATE)[0] + counts.get(Kind.TRUNCATE)[1], refusals(Kind.TRUNCATE),
                    "every truncation is refused");
            assertTrue(refusals(Kind.FLIP) > 0 && refusals(Kind.OVERWRITE) > 0, "damage inside the archive is refused: "
                    + report("tally"));
        }

        /** {@return refused and identical counts per kind, and the damages that changed nothing read} */
        public String report(String what) {
            StringBuilder sb = new StringBuilder(what + ":");
            counts.forEach((k, c) -> sb.append(String.format(" %s %d refused / %d identical;",
                    k.name().toLowerCase(java.util.Locale.ROOT), c[0], c[1])));
            harmless.forEach(m -> sb.append("\n  identical after ").append(m));
            return sb.toString();
        }
    }
}
