package snn.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Node;
import snn.core.DatasetException;

/**
 * Reads the HDF5 event layout of SHD, SSC and the papers' N-MNIST conversion with jhdf: variable-length
 * {@code spikes/times} (seconds, float), variable-length {@code spikes/units} (integers) and {@code labels}, one
 * entry per sample. Samples are read in slices, so the raw events never sit in memory all at once.
 */
final class Hdf5EventReader {

    /** Samples read per jhdf slice: large enough to be fast, small enough to keep the heap small. */
    private static final int SLICE = 512;

    private Hdf5EventReader() {
    }

    /** Reads {@code file} into {@code builder}; {@code limit} caps the number of samples read (null for all). */
    static EventDataset read(Path file, EventDataset.Builder builder, Integer limit) {
        long fileSize = fileSize(file);
        try (HdfFile hdf = open(file)) {
            long declared = hdf.getHdfBackingStorage().getSuperblock().getEndOfFileAddress()
                    + hdf.getUserBlockSize();
            if (declared > fileSize) {
                throw new DatasetException(file, "truncated: its HDF5 header says " + declared + " bytes but the file has "
                        + fileSize);
            }
            Dataset times = dataset(hdf, file, "spikes/times");
            Dataset units = dataset(hdf, file, "spikes/units");
            Dataset labelSet = dataset(hdf, file, "labels");
            int n = oneDimensional(file, times);
            checkSameLength(file, units, n);
            checkSameLength(file, labelSet, n);
            if (!times.isVariableLength() || !units.isVariableLength()) {
                throw new DatasetException(file, "spikes/times and spikes/units must be variable-length arrays"
                        + " (one array per sample), found " + describe(times) + " and " + describe(units));
            }
            if (n == 0) {
                throw new DatasetException(file, "holds no samples");
            }
            int[] labels = toInts(file, "labels", labelSet.getData());
            int count = limit == null ? n : Math.min(n, limit);
            for (int start = 0; start < count; start += SLICE) {
                int m = Math.min(SLICE, count - start);
                Object[] timeSlice = (Object[]) times.getData(new long[] {start}, new int[] {m});
                Object[] unitSlice = (Object[]) units.getData(new long[] {start}, new int[] {m});
                for (int i = 0; i < m; i++) {
                    int sample = start + i;
                    builder.add(file, "sample " + sample, toFloats(file, sample, timeSlice[i]),
                            toInts(file, "spikes/units of sample " + sample, unitSlice[i]), labels[sample]);
                }
            }
            return builder.build();
        } catch (DatasetException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DatasetException(file, "corrupt HDF5 file (" + e.getMessage() + ")", e);
        }
    }

    private static long fileSize(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new DatasetException(file, "cannot be read (" + e.getMessage() + ")", e);
        }
    }

    private static HdfFile open(Path file) {
        try {
            return new HdfFile(file);
        } catch (RuntimeException e) {
            throw new DatasetException(file, "not a readable HDF5 file (" + e.getMessage() + ")", e);
        }
    }

    private static Dataset dataset(HdfFile hdf, Path file, String path) {
        Node node;
        try {
            node = hdf.getByPath(path);
        } catch (RuntimeException e) {
            node = null;
        }
        if (!(node instanceof Dataset d)) {
            throw new DatasetException(file, "has no dataset '" + path + "' (expected the SHD layout: spikes/times,"
                    + " spikes/units and labels)");
        }
        return d;
    }

    private static int oneDimensional(Path file, Dataset d) {
        int[] dims = d.getDimensions();
        if (dims.length != 1) {
            throw new DatasetException(file, d.getPath() + " has shape " + Arrays.toString(dims)
                    + ", expected one entry per sample (1-D)");
        }
        return dims[0];
    }

    private static void checkSameLength(Path file, Dataset d, int n) {
        int m = oneDimensional(file, d);
        if (m != n) {
            throw new DatasetException(file, d.getPath() + " has " + m + " entries but spikes/times has " + n
                    + " samples");
        }
    }

    private static String describe(Dataset d) {
        return d.getPath() + " of " + d.getJavaType().getSimpleName();
    }

    /** Spike times as float32, as the reference converts them ({@code torch.Tensor(np.array(t, float))}). */
    private static float[] toFloats(Path file, int sample, Object data) {
        if (data instanceof float[] f) {
            return f;
        }
        if (data instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return f;
        }
        throw new DatasetException(file, "spikes/times of sample " + sample + " holds "
                + (data == null ? "nothing" : data.getClass().getSimpleName()) + ", expected floating-point seconds");
    }

    private static int[] toInts(Path file, String what, Object data) {
        if (data instanceof int[] i) {
            return i;
        }
        if (data instanceof long[] l) {
            int[] out = new int[l.length];
            for (int k = 0; k < l.length; k++) {
                if (l[k] != (int) l[k]) {
                    throw new DatasetException(file, what + " holds " + l[k] + ", too large for an index");
                }
                out[k] = (int) l[k];
            }
            return out;
        }
        if (data instanceof short[] s) {
            int[] out = new int[s.length];
            for (int k = 0; k < s.length; k++) {
                out[k] = s[k];
            }
            return out;
        }
        if (data instanceof byte[] b) {
            int[] out = new int[b.length];
            for (int k = 0; k < b.length; k++) {
                out[k] = b[k];
            }
            return out;
        }
        throw new DatasetException(file, what + " holds " + (data == null ? "nothing" : data.getClass().getSimpleName())
                + ", expected integers");
    }
}
