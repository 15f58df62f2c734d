package snn.nativekernels;

import java.util.Arrays;

import org.bytedeco.pytorch.Tensor;

import snn.runtime.Tensors;

/**
 * A tensor a native backward pass reads and the version it had in the forward pass: the kernels' counterpart of
 * autograd's check of saved tensors changed in place. The handle kept is a detached alias: it shares the version
 * counter, but not the autograd history (which would keep the graph alive).
 *
 * @param name    the tensor as the layer names it, for the message
 * @param tensor  the detached alias
 * @param version its version in the forward pass
 */
record VersionCheck(String name, Tensor tensor, long version) {

    /**
     * @param name   the tensor as the layer names it
     * @param tensor a detached alias, whose current version is the expected one
     */
    VersionCheck(String name, Tensor tensor) {
        this(name, tensor, tensor._version());
    }

    /** Fails as autograd fails when the tensor was changed in place since the forward pass. */
    void check() {
        long now = tensor._version();
        if (now != version) {
            throw new IllegalStateException("one of the variables needed for gradient computation has been"
                    + " modified by an inplace operation: the " + name + " " + Arrays.toString(Tensors.shape(
                            tensor)) + " of a native-kernel layer is at version " + now + "; expected version "
                    + version + " instead. The layer's native backward pass reads it: change it only after"
                    + " backward() (as optimizer.step() does), or clone it first.");
        }
    }
}
