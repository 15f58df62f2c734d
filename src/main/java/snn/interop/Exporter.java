package snn.interop;

import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

import snn.config.ExperimentConfig;
import snn.core.InteropException;
import snn.interop.nir.NirExporter;
import snn.models.SpikingNetwork;
import snn.neurons.LifLayer;

/**
 * Writes networks for PyTorch: the {@link ExportFormat#TORCH torch} format ({@code torch.load(path,
 * weights_only=True)}) or {@link ExportFormat#SAFETENSORS safetensors}, under snn's names or the
 * {@link Layout#REFERENCE reference} names of the authors' models. Every file also carries snn's metadata (the
 * config, input and class counts) under {@value Checkpoints#METADATA_KEY}, so {@link Checkpoints#load} reads any
 * export back. {@link ExportFormat#NIR NIR} graphs, for neuromorphic toolchains, are written by
 * {@link NirExporter} (standard multi-spike networks exactly; {@link NirExporter#writeApproximate} for the others)
 * and read back by {@link snn.interop.nir.NirImporter}. Files are replaced atomically.
 */
public final class Exporter {

    private Exporter() {
    }

    /**
     * Exports a checkpoint.
     *
     * @param checkpoint the network's parameters, config and sizes
     * @param format     the file format
     * @param layout     snn names or the reference models' {@code state_dict} names; {@link Layout#SNN} for NIR,
     *                   whose nodes have names of their own
     * @param out        the file, created with its folders or replaced atomically
     * @throws IllegalArgumentException when a tensor's element type cannot be written or a tensor exceeds 2 GB
     * @throws InteropException         when the file cannot be written, or NIR is asked for a network it cannot
     *                                  describe exactly or with the reference layout
     */
    public static void export(Checkpoint checkpoint, ExportFormat format, Layout layout, Path out) {
        switch (format) {
            case TORCH -> TorchFormat.write(content(checkpoint, layout), out);
            case SAFETENSORS -> SafetensorsFormat.write(content(checkpoint, layout), out);
            case NIR -> {
                if (layout != Layout.SNN) {
                    throw new InteropException("the " + layout.name().toLowerCase(java.util.Locale.ROOT) + " layout"
                            + " names PyTorch parameters; a NIR file names its nodes itself (leave the layout at snn)");
                }
                NirExporter.write(checkpoint, out);
            }
        }
    }

    /**
     * Exports the current state of a network.
     *
     * @param net    the network
     * @param config the config it was built and trained with; {@code config.model()} must describe {@code net}
     * @param format the file format
     * @param layout snn names or the reference models' {@code state_dict} names
     * @param out    the file, created with its folders or replaced atomically
     * @throws IllegalArgumentException when {@code config.model()} does not describe {@code net}
     * @throws InteropException         when the file cannot be written
     */
    public static void export(SpikingNetwork net, ExperimentConfig config, ExportFormat format, Layout layout,
            Path out) {
        export(Checkpoint.of(net, config), format, layout, out);
    }

    /** The tensors and metadata an export of {@code checkpoint} in {@code layout} holds. */
    static TensorFile content(Checkpoint checkpoint, Layout layout) {
        Map<String, Tensor> tensors = switch (layout) {
            case SNN -> checkpoint.parameters();
            case REFERENCE -> {
                if (checkpoint.config().model().reset() == LifLayer.Reset.ZERO) {
                    throw new InteropException("the reference layout names the authors' models, which reset by"
                            + " subtraction only; a network with model.reset \"zero\" is exported with --layout snn");
                }
                yield ReferenceLayout.toReferenceState(checkpoint.parameters(), checkpoint.config().model(),
                        checkpoint.config().data().tLen());
            }
        };
        String metadata = new CheckpointMetadata(layout, checkpoint.inputs(), checkpoint.classes(),
                checkpoint.config()).toJson();
        return new TensorFile(tensors, Map.of(Checkpoints.METADATA_KEY, metadata));
    }
}
