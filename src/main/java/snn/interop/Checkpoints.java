package snn.interop;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.bytedeco.pytorch.Tensor;

import snn.config.DataConfig;
import snn.config.ExperimentConfig;
import snn.config.KnownDataset;
import snn.interop.TorchFormat.FileKind;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.core.InteropException;

/**
 * snn's checkpoints: a {@code torch.save} file (so {@code torch.load(path, weights_only=True)} reads it) holding a
 * plain dict of the network's tensors under snn names, plus the entry {@value #METADATA_KEY}: a JSON string with
 * the run's config and the network's input and class counts (see {@link Exporter} for the other formats and the
 * reference layout, which {@link #load} reads too).
 *
 * <p>Writes are atomic: a reader never sees a half-written checkpoint, even if training is killed mid-save.
 */
public final class Checkpoints {

    /** The dict entry (torch) or {@code __metadata__} key (safetensors) holding snn's JSON metadata. */
    public static final String METADATA_KEY = "snn_metadata";

    private Checkpoints() {
    }

    /**
     * Saves {@code net} and {@code config} to {@code file} (created with its folders, replaced atomically).
     *
     * @param net    the network
     * @param config the config it was built and trained with
     * @param file   the checkpoint file, e.g. {@code model.pt}
     * @throws IllegalArgumentException when {@code config.model()} does not describe {@code net}
     * @throws InteropException         when the file cannot be written
     */
    public static void save(SpikingNetwork net, ExperimentConfig config, Path file) {
        Exporter.export(Checkpoint.of(net, config), ExportFormat.TORCH, Layout.SNN, file);
    }

    /**
     * Reads a checkpoint that snn wrote: {@link #save}, or {@link Exporter} in either format and layout. The
     * tensors are checked against a network built from the stored config (which draws its throwaway initial weights
     * from libtorch's global random generator).
     *
     * @param file a torch or safetensors file with snn's metadata
     * @return the parameters under snn names, with the stored config and sizes
     * @throws InteropException naming the file when it is unreadable, has no snn metadata, or its tensors do not
     *                          match the network its config describes
     */
    public static Checkpoint load(Path file) {
        TensorFile content = read(file);
        String json = content.metadata().get(METADATA_KEY);
        if (json == null) {
            throw new InteropException(file + ": no '" + METADATA_KEY + "' entry, so not an snn checkpoint: there is no"
                    + " config to rebuild the network from. Load its weights into a network you build instead"
                    + " (Checkpoints.loadInto)");
        }
        CheckpointMetadata meta = CheckpointMetadata.parse(json, file);
        SpikingNetwork shapeOf = new SpikingNetwork(meta.config().model(), meta.inputs(), meta.classes());
        Map<String, Tensor> parameters = toSnnNames(content.tensors(), meta.layout(), shapeOf, file);
        return new Checkpoint(meta.config(), meta.inputs(), meta.classes(), parameters);
    }

    /**
     * Copies the weights in {@code file} into {@code net}: a torch or safetensors file holding exactly the network's
     * parameters, under snn names or reference names (derived kernels and unused recurrent projections of the
     * reference are skipped). Python users write such a file with {@code torch.save(model.state_dict(), path)}; a
     * training checkpoint holding the state dict under {@code 'state_dict'} or {@code 'model'} is read too.
     *
     * @param file a torch or safetensors file
     * @param net  the network to load into, whose parameters the file must match in names and shapes
     * @throws InteropException naming the file and the first missing, unknown or misshapen entry
     */
    public static void loadInto(Path file, SpikingNetwork net) {
        TensorFile content = read(file);
        Layout layout = detectLayout(content.tensors().keySet(), file);
        Map<String, Tensor> parameters = toSnnNames(content.tensors(), layout, net, file);
        Parameters.load(net, parameters);
    }

    /**
     * An snn checkpoint of weights saved by Python (any file {@link #loadInto} reads) for the network that
     * {@code config} describes, with the input channels and classes of the config's dataset: what {@code snn import
     * --torch FILE --config CONFIG} writes.
     *
     * @param file   a torch or safetensors file of the network's parameters, under snn or reference names
     * @param config the validated config of the network the weights belong to (its model, and the dataset that
     *               gives the input and class counts)
     * @return the checkpoint, ready for {@link Exporter#export} or {@link Checkpoint#network()}
     * @throws InteropException naming the file and the first missing, unknown or misshapen entry
     */
    public static Checkpoint fromWeights(Path file, ExperimentConfig config) {
        DataConfig data = config.data();
        KnownDataset dataset = KnownDataset.find(data.dataset()).orElseThrow();
        boolean synthetic = dataset == KnownDataset.SYNTHETIC;
        int inputs = synthetic ? data.synthetic().channels() : dataset.channels();
        int classes = synthetic ? data.synthetic().classes() : dataset.classes();
        SpikingNetwork net = new SpikingNetwork(config.model(), inputs, classes);
        loadInto(file, net);
        return Checkpoint.of(net, config);
    }

    /**
     * Reads a torch or safetensors file, whichever it is.
     *
     * @param file the file
     * @return its tensors and string metadata
     * @throws InteropException when it is neither, or unreadable
     */
    public static TensorFile read(Path file) {
        byte[] head = FileKind.head(file);
        if (FileKind.isZip(head) || FileKind.isLegacyTorch(head)) {
            return TorchFormat.read(file);
        }
        if (FileKind.isSafetensors(head)) {
            return SafetensorsFormat.read(file);
        }
        throw new InteropException(file + ": neither a torch.save file nor a safetensors file");
    }

    private static Layout detectLayout(Set<String> keys, Path file) {
        Optional<String> reference = keys.stream().filter(ReferenceLayout::isReferenceKey).findFirst();
        Optional<String> other = keys.stream().filter(k -> !ReferenceLayout.isReferenceKey(k)).findFirst();
        if (reference.isPresent() && other.isPresent()) {
            throw new InteropException(file + ": mixes reference names ('" + reference.get() + "') with other names ('"
                    + other.get() + "'); expected all snn names or all reference names");
        }
        return reference.isPresent() ? Layout.REFERENCE : Layout.SNN;
    }

    /** The tensors renamed to snn names and checked against the parameters of {@code net}. */
    private static Map<String, Tensor> toSnnNames(Map<String, Tensor> tensors, Layout layout, SpikingNetwork net,
            Path file) {
        Map<String, Tensor> expected = Parameters.named(net);
        Map<String, Tensor> named;
        if (layout == Layout.REFERENCE) {
            try {
                named = ReferenceLayout.toSnnState(tensors, expected.keySet());
            } catch (IllegalArgumentException e) {
                throw new InteropException(file + ": " + e.getMessage() + " (network parameters: "
                        + expected.keySet() + ")");
            }
        } else {
            named = new LinkedHashMap<>(tensors);
        }
        for (Map.Entry<String, Tensor> e : named.entrySet()) {
            Tensor want = expected.get(e.getKey());
            if (want == null) {
                throw new InteropException(file + ": '" + e.getKey() + "' is not a parameter of the network (which has "
                        + expected.keySet() + ")");
            }
            long[] wantShape = want.sizes().vec().get();
            long[] gotShape = e.getValue().sizes().vec().get();
            if (!Arrays.equals(wantShape, gotShape)) {
                throw new InteropException(file + ": '" + e.getKey() + "' has shape " + Arrays.toString(gotShape)
                        + ", the network's parameter has " + Arrays.toString(wantShape));
            }
        }
        Set<String> missing = new TreeSet<>(expected.keySet());
        missing.removeAll(named.keySet());
        if (!missing.isEmpty()) {
            throw new InteropException(file + ": no value for the network's parameter(s) " + List.copyOf(missing));
        }
        return named;
    }
}
