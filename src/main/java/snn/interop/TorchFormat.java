package snn.interop;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

import org.bytedeco.pytorch.Tensor;

import snn.interop.PickleReader.PickleException;
import snn.core.InteropException;

/**
 * The {@code torch.save} file format (PyTorch 1.6 and later): a zip archive, every entry under one folder
 * ({@code archive/}), holding {@code data.pkl} (the pickled object, protocol 2, tensors referring to storages by
 * persistent id), {@code data/<key>} (each storage's raw little-endian bytes), {@code version} and
 * {@code byteorder}.
 *
 * <p>{@link #write} produces a plain {@code dict} of tensors and strings that {@code torch.load(path,
 * weights_only=True)} accepts. {@link #read} reads what Python writes for a state dict:
 * {@code torch.save(model.state_dict(), path)} (an {@code OrderedDict}), a plain dict of tensors or parameters, or
 * either nested under {@code 'state_dict'} or {@code 'model'} in a training checkpoint; it explains what to do for
 * the forms it does not read (the legacy pre-1.6 format, a TorchScript archive), and refuses, naming it, any
 * global that PyTorch's {@code weights_only} loader refuses.
 */
public final class TorchFormat {

    /** The folder every entry is written under, as {@code torch.save} names it for streams. */
    static final String ARCHIVE = "archive";
    /** The keys of a training checkpoint under which {@link #read} finds the state dict, in this order. */
    static final List<String> NESTED_KEYS = List.of("state_dict", "model");
    private static final String NESTED_KEYS_TEXT = "'state_dict' or 'model'";

    private TorchFormat() {
    }

    /**
     * Writes a {@code torch.save} file atomically (temporary file, fsync, rename).
     *
     * @param content the tensors (any device; written as CPU little-endian bytes) and string metadata, which become
     *                one plain {@code dict}
     * @param file    the file, created with its folders or replaced
     * @throws IllegalArgumentException when a tensor has an unsupported element type or exceeds 2 GB
     * @throws InteropException         when the file cannot be written
     */
    public static void write(TensorFile content, Path file) {
        AtomicFile.write(file, out -> write(content, out));
    }

    /** Writes {@code content} as a {@code torch.save} archive to {@code out}. */
    static void write(TensorFile content, OutputStream out) throws IOException {
        PickleWriter pickle = new PickleWriter().beginDict();
        Map<String, byte[]> storages = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : content.tensors().entrySet()) {
            Tensor t = e.getValue();
            String key = Integer.toString(storages.size());
            pickle.tensorEntry(e.getKey(), TensorBytes.dtype(t, e.getKey()), t.sizes().vec().get(), key);
            storages.put(key, TensorBytes.bytes(t, e.getKey()));
        }
        content.metadata().forEach(pickle::stringEntry);
        StoredZipWriter zip = new StoredZipWriter(out);
        zip.add(ARCHIVE + "/data.pkl", pickle.finish());
        zip.add(ARCHIVE + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        for (Map.Entry<String, byte[]> s : storages.entrySet()) {
            zip.add(ARCHIVE + "/data/" + s.getKey(), s.getValue());
        }
        zip.add(ARCHIVE + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        zip.finish();
    }

    /**
     * Reads a {@code torch.save} file holding a state dict: a {@code dict} or {@code OrderedDict} of tensors, alone
     * or under {@code 'state_dict'} or {@code 'model'} (when the top level holds no tensor). Its tensor values become
     * {@link TensorFile#tensors}, its string, number and boolean values {@link TensorFile#metadata} (as text).
     *
     * @param file the file
     * @return its tensors, on the CPU, in dict order, and its other entries as text
     *
     * @throws InteropException naming the file and the problem, with the Python line that fixes it where there is
     *                          one (the legacy format, a TorchScript archive); naming the global that PyTorch's
     *                          {@code weights_only} loader would refuse, or the entry that is not a tensor; naming
     *                          the entry when the archive is damaged (every entry's CRC-32 and sizes are checked
     *                          first, see {@link ZipVerifier})
     */
    public static TensorFile read(Path file) {
        byte[] magic = FileKind.head(file);
        if (FileKind.isLegacyTorch(magic)) {
            throw new InteropException(file + ": written in PyTorch's legacy (pre-1.6) serialization format, which"
                    + " snn does not read. Re-save it in Python in the zip format: "
                    + "torch.save(torch.load(path), path, _use_new_zipfile_serialization=True)");
        }
        if (!FileKind.isZip(magic)) {
            throw new InteropException(file + ": not a torch.save file (it is not a zip archive)");
        }
        ZipVerifier.verify(file);
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String prefix = archivePrefix(zip, file);
            byte[] pickle = entry(zip, prefix + "data.pkl", file);
            Map<String, Tensor> storageCache = new HashMap<>();
            Object root;
            try {
                root = PickleReader.read(pickle, (type, key) -> storageCache.computeIfAbsent(key,
                        k -> storage(zip, prefix + "data/" + k, type, file)));
            } catch (PickleException e) {
                throw new InteropException(file + ": " + e.getMessage());
            }
            return toTensorFile(root, file);
        } catch (ZipException e) {
            throw new InteropException(file + ": not a readable zip archive (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new InteropException(file + ": cannot read: " + e, e);
        }
    }

    private static String archivePrefix(ZipFile zip, Path file) {
        List<String> names = Collections.list(zip.entries()).stream().map(ZipEntry::getName).toList();
        for (String name : names) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                return name.substring(0, slash + 1);
            }
        }
        if (names.stream().anyMatch(n -> n.endsWith("/constants.pkl") || n.contains("/code/"))) {
            throw new InteropException(file + ": a TorchScript archive (torch.jit.save), not a torch.save file."
                    + " In Python, save the weights as a state dict: torch.save(model.state_dict(), path)");
        }
        throw new InteropException(file + ": a zip archive without data.pkl, so not a torch.save file");
    }

    private static byte[] entry(ZipFile zip, String name, Path file) {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new InteropException(file + ": the archive has no entry " + name + " (incomplete file)");
        }
        if (e.getSize() > Integer.MAX_VALUE - 16) {
            throw new InteropException(file + ": entry " + name + " is larger than 2 GB, which snn does not read");
        }
        try (InputStream in = zip.getInputStream(e)) {
            return in.readAllBytes();
        } catch (IOException ex) {
            throw new InteropException(file + ": cannot read entry " + name + ": " + ex, ex);
        }
    }

    private static Tensor storage(ZipFile zip, String name, DType type, Path file) {
        byte[] data = entry(zip, name, file);
        if (data.length % type.size != 0) {
            throw new InteropException(file + ": storage " + name + " has " + data.length + " bytes, not a multiple"
                    + " of " + type.size + " (corrupt file)");
        }
        return TensorBytes.tensor(type, new long[] {data.length / type.size}, data, 0);
    }

    /**
     * The state dict in {@code root}: a dict or {@code OrderedDict} of tensors (what {@code model.state_dict()}
     * returns, saved as it is or as a plain dict), or one nested under {@code 'state_dict'} or {@code 'model'} in a
     * training checkpoint, whose other entries are ignored.
     */
    private static TensorFile toTensorFile(Object root, Path file) {
        if (!(root instanceof Map<?, ?> dict)) {
            throw new InteropException(file + ": holds " + PickleReader.describe(root) + ", not a dict of tensors."
                    + " In Python, save the weights as a state dict: torch.save(model.state_dict(), path)");
        }
        String where = "";
        if (dict.values().stream().noneMatch(Tensor.class::isInstance)) {
            for (String key : NESTED_KEYS) {
                if (dict.get(key) instanceof Map<?, ?> nested) {
                    dict = nested;
                    where = " (under '" + key + "')";
                    break;
                }
            }
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new InteropException(file + ": has a key that is " + PickleReader.describe(e.getKey())
                        + where + "; expected string keys (parameter names)");
            }
            Object value = e.getValue();
            if (value instanceof Tensor t) {
                tensors.put(key, t);
            } else if (value instanceof String || value instanceof Long || value instanceof Double
                    || value instanceof Boolean) {
                metadata.put(key, value.toString());
            } else {
                throw new InteropException(file + ": entry '" + key + "'" + where + " is "
                        + PickleReader.describe(value) + ", not a tensor. snn reads a state dict (name -> tensor),"
                        + " alone or under " + NESTED_KEYS_TEXT + "; in Python save the state dict alone: "
                        + "torch.save(model.state_dict(), path)");
            }
        }
        if (tensors.isEmpty()) {
            throw new InteropException(file + ": holds no tensors" + where + "; expected a state dict (name ->"
                    + " tensor), alone or under " + NESTED_KEYS_TEXT + " (its keys: " + dict.keySet() + ")");
        }
        return new TensorFile(tensors, metadata);
    }

    /** Recognises the kind of a file from its first bytes. */
    static final class FileKind {
        private FileKind() {
        }

        /** Up to the first 16 bytes of {@code file}. */
        static byte[] head(Path file) {
            try (InputStream in = Files.newInputStream(file)) {
                return in.readNBytes(16);
            } catch (NoSuchFileException e) {
                throw new InteropException(file + ": no such file");
            } catch (IOException e) {
                throw new InteropException(file + ": cannot read: " + e, e);
            }
        }

        static boolean isZip(byte[] head) {
            return head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        }

        /** A bare pickle (protocol 2 to 5): the legacy torch.save format (magic number, then pickles). */
        static boolean isLegacyTorch(byte[] head) {
            return head.length >= 2 && (head[0] & 0xFF) == 0x80 && head[1] >= 2 && head[1] <= 5;
        }

        /** A safetensors file: an 8-byte little-endian header length, then a JSON object. */
        static boolean isSafetensors(byte[] head) {
            if (head.length < 9 || head[8] != '{') {
                return false;
            }
            long n = 0;
            for (int i = 7; i >= 0; i--) {
                n = (n << 8) | (head[i] & 0xFF);
            }
            return n > 1 && n < (1L << 40);
        }
    }
}
