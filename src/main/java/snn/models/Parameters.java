package snn.models;

import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;

/** Named access to a module's parameters, in registration order. */
public final class Parameters {

    private Parameters() {
    }

    /**
     * Every parameter (learnable or fixed) of a module and its children.
     *
     * @param module the module, e.g. a {@link SpikingNetwork}
     * @return the parameters by dotted name ({@code hidden.0.input.weight}), in registration order; each tensor
     *         shares the parameter's storage
     */
    public static Map<String, Tensor> named(Module module) {
        StringTensorDict dict = module.named_parameters(true);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (long i = 0; i < dict.size(); i++) {
            // The dict's items are references into a temporary table: keep handles of our own.
            out.put(dict.get(i).key().getString(), snn.runtime.Tensors.own(dict.get(i).value()));
        }
        return out;
    }

    /**
     * Copies {@code values} into the parameters of the same names, without recording the copy for autograd.
     * Parameters without a value keep theirs.
     *
     * @param module the module whose parameters are overwritten
     * @param values values by dotted parameter name, each of the parameter's shape (any dtype and device
     *               {@code copy_} accepts)
     * @throws IllegalArgumentException naming the first key that is unknown or whose shape differs
     */
    public static void load(Module module, Map<String, Tensor> values) {
        Map<String, Tensor> params = named(module);
        for (Map.Entry<String, Tensor> e : values.entrySet()) {
            Tensor target = params.get(e.getKey());
            if (target == null) {
                throw new IllegalArgumentException("no parameter named '" + e.getKey() + "'; the module has "
                        + params.keySet());
            }
            long[] want = target.sizes().vec().get();
            long[] got = e.getValue().sizes().vec().get();
            if (!java.util.Arrays.equals(want, got)) {
                throw new IllegalArgumentException("parameter '" + e.getKey() + "' has shape "
                        + java.util.Arrays.toString(want) + ", the value has " + java.util.Arrays.toString(got));
            }
            target.detach().copy_(e.getValue());
        }
    }
}
