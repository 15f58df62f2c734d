package snn.nativekernels;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;

import snn.runtime.Device;
import snn.runtime.Tensors;

/**
 * Joins one native-kernel call to LibTorch's autograd graph (docs/native-kernels.md, "Autograd"): every tracked
 * source gets a proxy (an alias with a hook); the link is {@code (sum of the proxies' sums + sentinel) * token}; each
 * output is the link expanded to {@code [batch, neurons, time]}, with fresh memory set as its data, which the kernel
 * then writes, and a hook that runs the native backward pass. The anchors (sentinel and token) tie the call's
 * {@link CallLifetime} to the graph's.
 */
final class CallGraph {

    private final CallLifetime lifetime;
    private final NativeBackward backward;
    private final long[] shape;
    private final Tensor link;

    /**
     * Builds the link of the tracked sources. Must run inside the call's own scope, which frees every handle made
     * here that the call does not keep: the anchors are then held by the graph alone.
     *
     * @param sources  the autograd tensors the result depends on (null when absent), by {@link NativeBackward} index
     * @param tracks   whether each takes part and needs a gradient (at least one does)
     * @param shape    the outputs' shape {@code [batch, neurons, steps]}
     */
    CallGraph(CallLifetime lifetime, NativeBackward backward, Tensor[] sources, boolean[] tracks, long[] shape) {
        this.lifetime = lifetime;
        this.backward = backward;
        this.shape = shape.clone();
        Tensor sentinel = lifetime.sentinel();
        Tensor token = lifetime.token();
        Tensor sum = null;
        for (int k = 0; k < NativeBackward.SOURCES; k++) {
            if (tracks[k]) {
                Tensor proxy = sources[k].alias();
                int index = k;
                proxy.register_hook(lifetime.keep(new TensorTensorHook() {
                    @Override
                    public TensorBase call(TensorBase grad) {
                        return backward.proxyGradient(index);
                    }
                }));
                Tensor term = proxy.sum();
                sum = sum == null ? term : sum.add(term);
            }
        }
        Tensor zero = lifetime.keep(Tensors.zeros(Device.CPU));
        backward.zeroGradient(lifetime.keep(zero.expand(shape)));
        // the multiplication saves the token (the other factor needs a gradient): autograd frees it after a backward
        // pass that does not retain the graph, and with the graph
        link = sum.add(sentinel).mul(token);
    }

    /**
     * Makes {@code memory} an output of the graph: the link expanded to the output's shape is the graph node (its
     * backward pass sums the output's replaced, memoryless zero gradient), and its data becomes the fresh memory the
     * kernel writes, so no pass over the output precedes the kernel's.
     *
     * @param memory the output's memory, {@code [batch, neurons, steps]}
     * @return the output tensor of the graph
     */
    Tensor output(Tensor memory) {
        Tensor node = link.expand(shape);
        node.__dispatch_set_data(memory);
        return node;
    }

    /**
     * Registers the hook that runs the native backward pass on an output's upstream gradient.
     *
     * @param output an output made by {@link #output}
     * @param side   0 for the spikes, 1 for the membrane
     */
    void hookOutput(Tensor output, int side) {
        backward.checkVersionOf(side == 0 ? "spikes output" : "membrane output", output);
        output.register_hook(lifetime.keep(new TensorTensorHook() {
            @Override
            public TensorBase call(TensorBase grad) {
                return backward.outputGradient(grad, side);
            }
        }));
    }
}
