package snn.interop;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

/**
 * The content of a tensor file: named tensors in file order, and string metadata (string entries of a torch
 * dict, or the {@code __metadata__} of a safetensors file).
 *
 * @param tensors  tensors by name, in file order
 * @param metadata string entries by name
 */
public record TensorFile(Map<String, Tensor> tensors, Map<String, String> metadata) {

    /**
     * Copies both maps into unmodifiable maps, keeping their order (the tensors are shared).
     *
     * @throws IllegalArgumentException when a name is both a tensor and a metadata entry
     */
    public TensorFile {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        for (String key : metadata.keySet()) {
            if (tensors.containsKey(key)) {
                throw new IllegalArgumentException("'" + key + "' is both a tensor and a metadata entry");
            }
        }
    }
}
