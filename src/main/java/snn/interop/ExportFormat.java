package snn.interop;

/** File formats snn writes and reads. */
public enum ExportFormat {
    /** The {@code torch.save} zip format, loadable with {@code torch.load(path, weights_only=True)}. */
    TORCH,
    /** safetensors: JSON header, raw little-endian tensors, snn's metadata in {@code __metadata__}. */
    SAFETENSORS
}
