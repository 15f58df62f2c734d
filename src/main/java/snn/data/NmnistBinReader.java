package snn.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import snn.core.DatasetException;

/**
 * Reads the original N-MNIST distribution: a split folder ({@code Train/} or {@code Test/}) holding one folder per
 * digit ({@code 0} to {@code 9}) of {@code .bin} recordings. Each event is 40 bits, big-endian: x (8 bits),
 * y (8 bits), polarity (1 bit) and a microsecond timestamp (23 bits).
 *
 * <p>Events become (unit, time) exactly as the papers' conversion to HDF5 ({@code convert_nmnist2h5.py}) does:
 * {@code unit = x + 34 y + 1156 polarity}, {@code time = float32(µs * 1e-6)} seconds, so loading the {@code .bin}
 * files or their HDF5 conversion gives identical tensors. As in the dataset author's reader, an event with
 * {@code y = 240} is a timestamp-overflow marker: it is skipped and adds 2^13 µs to the events after it.
 * Samples are ordered by digit, then by file name.
 */
final class NmnistBinReader {

    static final int SIDE = 34;
    private static final int OVERFLOW_MARKER_Y = 240;
    private static final int OVERFLOW_INCREMENT_US = 1 << 13;
    private static final int FILES_PER_CHUNK = 256;

    private NmnistBinReader() {
    }

    /** One decoded recording. */
    record Recording(float[] seconds, int[] units) {
    }

    /** Reads the split folder {@code folder} into {@code builder}; {@code limit} caps the samples (null for all). */
    static EventDataset read(Path folder, EventDataset.Builder builder, Integer limit) {
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (Path digitFolder : digitFolders(folder)) {
            int label = Integer.parseInt(digitFolder.getFileName().toString());
            for (Path file : binFiles(digitFolder)) {
                files.add(file);
                labels.add(label);
            }
        }
        if (files.isEmpty()) {
            throw new DatasetException(folder, "holds no .bin recordings (expected digit folders 0 to 9 of .bin files)");
        }
        int count = limit == null ? files.size() : Math.min(files.size(), limit);
        for (int start = 0; start < count; start += FILES_PER_CHUNK) {
            int from = start;
            int to = Math.min(count, start + FILES_PER_CHUNK);
            Recording[] chunk = IntStream.range(from, to).parallel()
                    .mapToObj(i -> decode(files.get(i), readAll(files.get(i)))).toArray(Recording[]::new);
            for (int i = from; i < to; i++) {
                Recording r = chunk[i - from];
                builder.add(files.get(i), "recording", r.seconds(), r.units(), labels.get(i));
            }
        }
        return builder.build();
    }

    private static List<Path> digitFolders(Path folder) {
        try (Stream<Path> entries = Files.list(folder)) {
            List<Path> digits = new ArrayList<>();
            for (Path p : entries.filter(Files::isDirectory).toList()) {
                String name = p.getFileName().toString();
                if (!name.matches("\\d+")) {
                    continue;
                }
                if (name.length() > 1) {
                    throw new DatasetException(p, "folder name '" + name + "' is not a digit class 0..9 (label out of range)");
                }
                digits.add(p);
            }
            digits.sort(Comparator.comparing(p -> p.getFileName().toString()));
            return digits;
        } catch (IOException e) {
            throw new DatasetException(folder, "cannot be listed (" + e.getMessage() + ")", e);
        }
    }

    private static List<Path> binFiles(Path digitFolder) {
        try (Stream<Path> entries = Files.list(digitFolder)) {
            return entries.filter(p -> p.getFileName().toString().endsWith(".bin") && Files.isRegularFile(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new DatasetException(digitFolder, "cannot be listed (" + e.getMessage() + ")", e);
        }
    }

    private static byte[] readAll(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DatasetException(file, "cannot be read (" + e.getMessage() + ")", e);
        }
    }

    /** Decodes one recording's bytes; {@code file} is named in errors. */
    static Recording decode(Path file, byte[] bytes) {
        if (bytes.length % 5 != 0) {
            throw new DatasetException(file, "truncated: " + bytes.length
                    + " bytes is not a whole number of 5-byte events");
        }
        int n = bytes.length / 5;
        float[] seconds = new float[n];
        int[] units = new int[n];
        int kept = 0;
        long overflowUs = 0;
        for (int e = 0; e < n; e++) {
            int o = 5 * e;
            int x = bytes[o] & 0xFF;
            int y = bytes[o + 1] & 0xFF;
            int b2 = bytes[o + 2] & 0xFF;
            if (y == OVERFLOW_MARKER_Y) {
                overflowUs += OVERFLOW_INCREMENT_US;
                continue;
            }
            if (x >= SIDE || y >= SIDE) {
                throw new DatasetException(file, "event " + e + " (byte " + o + ") is at x=" + x + ", y=" + y
                        + ", outside the 34x34 sensor: corrupt file");
            }
            int polarity = b2 >>> 7;
            long us = ((long) (b2 & 0x7F) << 16 | (bytes[o + 3] & 0xFF) << 8 | (bytes[o + 4] & 0xFF)) + overflowUs;
            seconds[kept] = (float) (us * 1e-6);
            units[kept] = x + SIDE * y + SIDE * SIDE * polarity;
            kept++;
        }
        if (kept < n) {
            seconds = java.util.Arrays.copyOf(seconds, kept);
            units = java.util.Arrays.copyOf(units, kept);
        }
        return new Recording(seconds, units);
    }
}
