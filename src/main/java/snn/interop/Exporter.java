package snn.interop;

import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

import snn.config.ExperimentConfig;
import snn.models.SpikingNetwork;

/**
 * Writes networks for PyTorch: the {@link ExportFormat#TORCH torch} format ({@code torch.load(path,
 * weights_only=True)}) or {@link ExportFormat#SAFETENSORS safetensors}, under snn's names or the
 * {@link Layout#REFERENCE reference} names of the authors' models. Every file also carries snn's metadata (the
 * config, input and class counts) under {@value Checkpoints#METADATA_KEY}, so {@link Checkpoints#load} reads any
 * export back. Files are replaced atomically.
 */
public final class Exporter {

    private Exporter() {
    }

    /** Exports {@code checkpoint} to {@code out}. */
    public static void export(Checkpoint checkpoint, ExportFormat format, Layout layout, Path out) {
        TensorFile content = content(checkpoint, layout);
        switch (format) {
            case TORCH -> TorchFormat.write(content, out);
            case SAFETENSORS -> SafetensorsFormat.write(content, out);
        }
    }

    /** Exports the current state of {@code net}, trained under {@code config}, to {@code out}. */
    public static void export(SpikingNetwork net, ExperimentConfig config, ExportFormat format, Layout layout,
            Path out) {
        export(Checkpoint.of(net, config), format, layout, out);
    }

    /** The tensors and metadata an export of {@code checkpoint} in {@code layout} holds. */
    static TensorFile content(Checkpoint checkpoint, Layout layout) {
        Map<String, Tensor> tensors = switch (layout) {
            case SNN -> checkpoint.parameters();
            case REFERENCE -> ReferenceLayout.toReferenceState(checkpoint.parameters(), checkpoint.config().model(),
                    checkpoint.config().data().tLen());
        };
        String metadata = new CheckpointMetadata(layout, checkpoint.inputs(), checkpoint.classes(),
                checkpoint.config()).toJson();
        return new TensorFile(tensors, Map.of(Checkpoints.METADATA_KEY, metadata));
    }
}
