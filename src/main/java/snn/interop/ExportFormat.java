package snn.interop;

/** File formats snn writes and reads. */
public enum ExportFormat {
    /** The {@code torch.save} zip format, loadable with {@code torch.load(path, weights_only=True)}. */
    TORCH,
    /** safetensors: JSON header, raw little-endian tensors, snn's metadata in {@code __metadata__}. */
    SAFETENSORS,
    /**
     * The Neuromorphic Intermediate Representation (HDF5 graph of nodes and edges) that neuromorphic libraries and
     * hardware toolchains exchange; standard multi-spike networks only ({@link snn.interop.nir.NirExporter}).
     */
    NIR
}
