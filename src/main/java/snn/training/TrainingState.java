package snn.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import snn.config.ConfigLoader;
import snn.core.InteropException;
import snn.interop.ZipVerifier;
import snn.io.AtomicFiles;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.core.TrainingException;

/**
 * Everything needed to continue a training run exactly where it stopped, saved after every epoch as one file,
 * {@code training-state.pt} (a LibTorch archive written to a temporary file, forced to disk and renamed, so a
 * crash leaves the previous epoch's state intact): the weights, the best weights so far, Adam's moments, and the
 * progress (epoch, learning rate, selection score, metrics history) as JSON.
 *
 * <p>Reading checks the whole archive first ({@link ZipVerifier}): a damaged file is refused with the name of the
 * damaged entry, never trained or evaluated on.
 *
 * <p>Data order and augmentation derive from (seed, epoch, index) alone, so restoring these is enough for a
 * resumed run to match an uninterrupted one bit for bit.
 */
final class TrainingState {

    static final String FILE = RunFolder.STATE;
    private static final ObjectMapper JSON = ConfigLoader.mapper();

    /**
     * Progress of a run after {@code epoch} completed epochs.
     *
     * @param callbacks the state of each callback that keeps one (early stopping's count, ...), by name; null in
     *                  states written before callbacks kept any
     */
    record Progress(int epoch, double learningRate, int bestEpoch, double bestScore, List<EpochMetrics> history,
            Map<String, JsonNode> callbacks) {

        /** Fills in an empty callback state for files that have none. */
        Progress {
            callbacks = callbacks != null ? Map.copyOf(callbacks) : Map.of();
        }
    }

    private TrainingState() {
    }

    static Path file(Path runDir) {
        return runDir.resolve(FILE);
    }

    /**
     * Writes the state to {@code file} (atomically). Only what the user can act on becomes a {@link TrainingException}
     * (the disk is full, the folder cannot be written); anything else is a bug and propagates as it is.
     */
    static void save(Path file, SpikingNetwork net, Map<String, Tensor> best, Adam optimizer, Progress progress) {
        Path runDir = file.getParent();
        try (OutputArchive archive = new OutputArchive()) {
            archive.write("model", tensors(Parameters.named(net)));
            archive.write("best", tensors(best));
            OutputArchive adam = new OutputArchive();
            optimizer.save(adam);
            archive.write("optimizer", adam);
            archive.write("progress", new IValue(JSON.writeValueAsString(progress)));
            // LibTorch's archive writer aborts the whole process when the disk fills up mid-write, so make sure the
            // archive fits first (tensor bytes plus a margin for the zip structure); Java writes fail cleanly.
            long needed = 4 * Parameters.named(net).values().stream().mapToLong(Tensor::nbytes).sum() + (1L << 20);
            long usable = Files.getFileStore(Files.createDirectories(runDir)).getUsableSpace();
            if (usable < needed + needed / 10) {
                throw new IOException(String.format("no space left on the device: %.1f MB needed, %.1f MB free",
                        needed / 1e6, usable / 1e6));
            }
            AtomicFiles.writeVia(file, tmp -> {
                try {
                    archive.save_to(tmp.toString());
                } catch (RuntimeException e) { // LibTorch's writer reports a failed write (EIO, EDQUOT) as an error
                    if (e.getClass() != RuntimeException.class) {
                        throw e; // one of Java's own: a bug
                    }
                    throw new IOException(e.getMessage(), e);
                }
            });
        } catch (IOException e) {
            throw new TrainingException("cannot write the training state to " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A {@link TrainingException} for an error LibTorch raised reading a state file (a missing entry, a tensor of
     * another shape: the file belongs to another network); any other exception is a bug and is returned as it is,
     * to be rethrown.
     */
    static RuntimeException fromLibTorch(RuntimeException e, String what) {
        // JavaCPP turns a C++ exception (c10::Error) into a plain RuntimeException; subclasses are Java's own.
        return e.getClass() == RuntimeException.class ? new TrainingException(what + ": " + e.getMessage(), e) : e;
    }

    /**
     * Opens a state file for reading after checking every zip entry's CRC-32 and sizes: LibTorch's reader trusts
     * them, so a damaged file would otherwise load as wrong weights (or abort inside LibTorch).
     *
     * @throws InteropException naming the file and the damaged entry
     */
    private static InputArchive open(Path file) {
        ZipVerifier.verify(file);
        InputArchive archive = new InputArchive();
        archive.load_from(file.toString());
        return archive;
    }

    /** The tensors stored under {@code key}, one per parameter of {@code net}. */
    private static Map<String, Tensor> tensors(InputArchive archive, String key, SpikingNetwork net) {
        InputArchive part = new InputArchive();
        archive.read(key, part);
        Map<String, Tensor> values = new LinkedHashMap<>();
        for (String name : Parameters.named(net).keySet()) {
            Tensor t = new Tensor();
            part.read(name, t);
            values.put(name, t);
        }
        return values;
    }

    private static OutputArchive tensors(Map<String, Tensor> values) {
        OutputArchive a = new OutputArchive();
        values.forEach((k, v) -> a.write(k, v.detach()));
        return a;
    }

    /**
     * Restores {@code net}'s weights and {@code optimizer}'s state from {@code runDir}'s state file, returning the
     * best weights and the progress.
     */
    static Progress load(Path runDir, SpikingNetwork net, Map<String, Tensor> best, Adam optimizer) {
        return load(file(runDir), runDir, net, best, optimizer);
    }

    /**
     * As {@link #load(Path, SpikingNetwork, Map, Adam)}, from a given state file of the run in {@code runDir} (its
     * {@value #FILE} or a kept checkpoint).
     */
    static Progress load(Path file, Path runDir, SpikingNetwork net, Map<String, Tensor> best, Adam optimizer) {
        if (!Files.isRegularFile(file)) {
            throw new TrainingException("cannot resume " + runDir + ": no " + runDir.relativize(file)
                    + (file.equals(file(runDir)) ? " (the run saved no complete epoch)" : ""));
        }
        try {
            return restore(open(file), net, best, optimizer);
        } catch (InteropException e) {
            throw new TrainingException("cannot resume " + runDir + ": " + e.getMessage() + ". Restore the file from"
                    + " a copy, resume from a kept checkpoint (--from-epoch N, when training.checkpoint_every was"
                    + " set), or train the run again from the start", e);
        } catch (IOException e) {
            throw new TrainingException("cannot resume from " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw fromLibTorch(e, "cannot resume from " + file);
        }
    }

    /**
     * As {@link #load(Path, SpikingNetwork, Map, Adam)}, from the bytes of a state file that another process read
     * and verified (rank 0 of a data-parallel run sends it to the others).
     *
     * @param state  the bytes of a {@value #FILE}
     * @param origin where they come from, for messages
     */
    static Progress load(byte[] state, String origin, SpikingNetwork net, Map<String, Tensor> best, Adam optimizer) {
        try (BytePointer data = new BytePointer(state)) {
            InputArchive archive = new InputArchive();
            archive.load_from(data, state.length);
            return restore(archive, net, best, optimizer);
        } catch (IOException e) {
            throw new TrainingException("cannot resume from " + origin + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw fromLibTorch(e, "cannot resume from " + origin);
        }
    }

    /** The bytes of a state file, e.g. to send to the other ranks. */
    static byte[] bytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TrainingException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static Progress restore(InputArchive archive, SpikingNetwork net, Map<String, Tensor> best,
            Adam optimizer) throws IOException {
        Map<String, Tensor> model = tensors(archive, "model", net);
        Parameters.load(net, model);
        model.values().forEach(Tensor::close);
        best.putAll(tensors(archive, "best", net));
        InputArchive adam = new InputArchive();
        archive.read("optimizer", adam);
        optimizer.load(adam);
        IValue progress = new IValue();
        archive.read("progress", progress);
        Progress p = JSON.readValue(progress.toStringRef().getString(), Progress.class);
        return new Progress(p.epoch(), p.learningRate(), p.bestEpoch(), p.bestScore(), new ArrayList<>(p.history()),
                p.callbacks());
    }
}
