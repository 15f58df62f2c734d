package snn.interop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.config.ModelConfig;
import snn.runtime.Tensors;

/**
 * Maps the parameter names of the authors' PyTorch implementations (the {@code state_dict} keys of the Block and
 * DBlock repositories, as used in the golden cases) to snn's names, and back.
 *
 * <table>
 *   <caption>Name pieces</caption>
 *   <tr><th>reference</th><th>snn</th></tr>
 *   <tr><td>{@code _layers.<i>.}</td><td>{@code hidden.<i>.}</td></tr>
 *   <tr><td>{@code _readout_layer.}</td><td>{@code readout.}</td></tr>
 *   <tr><td>{@code _to_current.} (Block code, standard LIF), {@code _to_input_current.} (d-block)</td>
 *       <td>{@code input.}</td></tr>
 *   <tr><td>{@code _to_recurrent_current.}</td><td>{@code recurrent.}</td></tr>
 *   <tr><td>{@code _beta}</td><td>{@code beta}</td></tr>
 * </table>
 *
 * <p>Which reference class a network corresponds to, and so which extra entries its {@code state_dict} has:
 * <ul>
 *   <li>{@code block}: the Block repository's {@code LinearModel} with method {@code fast_naive}. Each layer also
 *       holds the kernels of its {@code MethodFastNaive} as (non-learnable) parameters under
 *       {@code _method_func.}: {@code _beta_ident_base} (ones {@code [nb, T]}), {@code _beta_exp} (T-1..0,
 *       {@code [nb, T]}), {@code _beta_kernel} (clamp(beta)^exp, {@code [nb, 1, 1, T]}) and {@code _phi_kernel}
 *       (T..1, {@code [1, 1, 1, T]}), where nb is the length of beta and T the data's time steps.</li>
 *   <li>{@code dblock}: the DBlock repository's {@code LinearDModel} with method {@code fast_naive}: the same
 *       kernels three times, under {@code _method_func.} (length T), {@code _block.} (T / d) and
 *       {@code _last_block.} (T mod d, possibly empty); and a {@code _to_recurrent_current} projection in every
 *       layer, used only in recurrent hidden layers.</li>
 *   <li>{@code standard} multi-spike (or recurrent): the DBlock repository's {@code LinearModel} with method
 *       {@code standard}: no kernels; {@code _to_recurrent_current} in every layer, used only when recurrent.</li>
 *   <li>{@code standard} single-spike, not recurrent: the Block repository's {@code LinearModel} with method
 *       {@code standard}: no kernels and no recurrent projection.</li>
 * </ul>
 * {@link #toReferenceState} writes all of these so that {@code load_state_dict(strict=True)} succeeds: the kernels
 * with the values the reference computes at construction, unused recurrent projections as zeros. Reading a
 * reference state ({@link #toSnnState}) skips the kernels (snn derives them from beta) and the recurrent
 * projections of layers that snn builds without one.
 */
public final class ReferenceLayout {

    private static final Pattern KEY = Pattern.compile(
            "^(?:(_layers)\\.(\\d+)\\.|(_readout_layer)\\.)?(_to_current|_to_input_current|_to_recurrent_current|_beta)"
                    + "(?:\\.(weight|bias))?$");
    private static final Pattern KERNEL = Pattern.compile(
            "^(?:_layers\\.\\d+\\.|_readout_layer\\.)?(?:_method_func|_block|_last_block)\\."
                    + "(?:_beta_ident_base|_beta_exp|_beta_kernel|_phi_kernel)$");
    private static final Pattern SNN_NAME = Pattern.compile(
            "^(hidden\\.\\d+|readout)\\.(input\\.weight|input\\.bias|recurrent\\.weight|recurrent\\.bias|beta)$");

    private ReferenceLayout() {
    }

    /**
     * The snn name for a reference key ({@code _layers.0._to_current.weight} -> {@code hidden.0.input.weight}).
     *
     * @param referenceKey a {@code state_dict} key of the reference models
     * @return the snn parameter name, or empty when the key is not a parameter of the reference's form (derived
     *         kernels included)
     */
    public static Optional<String> toSnn(String referenceKey) {
        Matcher m = KEY.matcher(referenceKey);
        if (!m.matches()) {
            return Optional.empty();
        }
        StringBuilder name = new StringBuilder();
        if (m.group(1) != null) {
            name.append("hidden.").append(m.group(2)).append('.');
        } else if (m.group(3) != null) {
            name.append("readout.");
        }
        String part = m.group(4);
        boolean beta = part.equals("_beta");
        if (beta != (m.group(5) == null)) {
            return Optional.empty();
        }
        name.append(switch (part) {
            case "_to_current", "_to_input_current" -> "input";
            case "_to_recurrent_current" -> "recurrent";
            default -> "beta";
        });
        if (!beta) {
            name.append('.').append(m.group(5));
        }
        return Optional.of(name.toString());
    }

    /**
     * The reference key of a network parameter named the snn way ({@code hidden.0.input.weight} ->
     * {@code _layers.0._to_current.weight}, or {@code _to_input_current} for d-block networks).
     *
     * @param snnName a parameter name, e.g. {@code readout.beta}
     * @param model   the network's config (the d-block reference names its input projection differently)
     * @return the reference key
     * @throws IllegalArgumentException when {@code snnName} is not a network parameter name
     */
    public static String toReference(String snnName, ModelConfig model) {
        Matcher m = SNN_NAME.matcher(snnName);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + snnName + "' is not an snn network parameter name");
        }
        String layer = m.group(1).equals("readout") ? "_readout_layer." : "_layers." + m.group(1).substring(7) + ".";
        String input = model.kind() == ModelConfig.Kind.DBLOCK ? "_to_input_current." : "_to_current.";
        return layer + switch (m.group(2)) {
            case "input.weight" -> input + "weight";
            case "input.bias" -> input + "bias";
            case "recurrent.weight" -> "_to_recurrent_current.weight";
            case "recurrent.bias" -> "_to_recurrent_current.bias";
            default -> "_beta";
        };
    }

    /**
     * Whether a reference key names a recurrent projection (which non-recurrent layers leave unused).
     *
     * @param referenceKey a {@code state_dict} key
     * @return true for {@code _to_recurrent_current} weights and biases
     */
    public static boolean isRecurrentProjection(String referenceKey) {
        return referenceKey.contains("_to_recurrent_current.");
    }

    /**
     * Whether a reference key is a kernel the reference derives from beta and the time steps.
     *
     * @param referenceKey a {@code state_dict} key
     * @return true for the {@code _beta_ident_base}, {@code _beta_exp}, {@code _beta_kernel} and
     *         {@code _phi_kernel} buffers
     */
    public static boolean isDerivedKernel(String referenceKey) {
        return KERNEL.matcher(referenceKey).matches();
    }

    /**
     * Whether a key has the reference's form.
     *
     * @param key a {@code state_dict} key
     * @return true for a reference parameter or derived kernel
     */
    public static boolean isReferenceKey(String key) {
        return KEY.matcher(key).matches() || isDerivedKernel(key);
    }

    /**
     * The reference {@code state_dict} of a network: every parameter under its reference key, plus the derived
     * kernels and unused recurrent projections the reference module also holds (see the class comment), in the
     * reference's order.
     *
     * @param snnState a network's parameters by snn name
     * @param model    the network's config (which reference class it corresponds to)
     * @param tLen     time steps of the data (the kernels' length)
     * @return the reference {@code state_dict}, sharing the parameter tensors
     * @throws IllegalArgumentException when a name is not an snn parameter name or a layer lacks a parameter
     */
    public static Map<String, Tensor> toReferenceState(Map<String, Tensor> snnState, ModelConfig model, int tLen) {
        Map<String, Map<String, Tensor>> layers = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : snnState.entrySet()) {
            Matcher m = SNN_NAME.matcher(e.getKey());
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + e.getKey() + "' is not an snn network parameter name");
            }
            layers.computeIfAbsent(m.group(1), k -> new LinkedHashMap<>()).put(m.group(2), e.getValue());
        }
        List<String> order = new ArrayList<>(layers.keySet().stream().filter(k -> !k.equals("readout"))
                .sorted((a, b) -> Integer.compare(Integer.parseInt(a.substring(7)), Integer.parseInt(b.substring(7))))
                .toList());
        if (layers.containsKey("readout")) {
            order.add("readout");
        }
        boolean fastNaive = model.kind() != ModelConfig.Kind.STANDARD;
        boolean recurrentEverywhere = model.kind() == ModelConfig.Kind.DBLOCK
                || (model.kind() == ModelConfig.Kind.STANDARD && (!model.singleSpike() || model.recurrent()));
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String layer : order) {
            Map<String, Tensor> p = layers.get(layer);
            String prefix = layer.equals("readout") ? "_readout_layer." : "_layers." + layer.substring(7) + ".";
            Tensor beta = require(p, layer, "beta");
            Tensor weight = require(p, layer, "input.weight");
            out.put(prefix + "_beta", beta);
            if (fastNaive) {
                putKernels(out, prefix + "_method_func.", beta, tLen);
                if (model.kind() == ModelConfig.Kind.DBLOCK) {
                    int d = model.d();
                    putKernels(out, prefix + "_block.", beta, tLen / d);
                    putKernels(out, prefix + "_last_block.", beta, tLen - d * (tLen / d));
                }
            }
            out.put(toReference(layer + ".input.weight", model), weight);
            out.put(toReference(layer + ".input.bias", model), require(p, layer, "input.bias"));
            if (p.containsKey("recurrent.weight")) {
                out.put(prefix + "_to_recurrent_current.weight", p.get("recurrent.weight"));
                out.put(prefix + "_to_recurrent_current.bias", require(p, layer, "recurrent.bias"));
            } else if (recurrentEverywhere) {
                long n = weight.size(0);
                out.put(prefix + "_to_recurrent_current.weight", Tensors.zeros(n, n));
                out.put(prefix + "_to_recurrent_current.bias", Tensors.zeros(n));
            }
        }
        return out;
    }

    /**
     * A reference {@code state_dict} renamed to snn names: derived kernels are dropped, and so are recurrent
     * projections for layers that have none in snn ({@code expected} lacks them).
     *
     * @param referenceState a reference {@code state_dict}
     * @param expected       the parameter names of the network the state is for
     * @return the parameters by snn name, sharing the tensors
     * @throws IllegalArgumentException naming the first key that is not of the reference's form or that maps to a
     *                                  parameter the network lacks
     */
    public static Map<String, Tensor> toSnnState(Map<String, Tensor> referenceState, Set<String> expected) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : referenceState.entrySet()) {
            String key = e.getKey();
            if (isDerivedKernel(key)) {
                continue;
            }
            String name = toSnn(key).orElseThrow(() -> new IllegalArgumentException("'" + key
                    + "' is not a parameter name of the reference models"));
            if (expected.contains(name)) {
                out.put(name, e.getValue());
            } else if (!isRecurrentProjection(key)) {
                throw new IllegalArgumentException("'" + key + "' maps to '" + name + "', which this network lacks");
            }
        }
        return out;
    }

    private static Tensor require(Map<String, Tensor> layer, String prefix, String part) {
        Tensor t = layer.get(part);
        if (t == null) {
            throw new IllegalArgumentException("no parameter '" + prefix + "." + part + "'");
        }
        return t;
    }

    /** The four {@code MethodFastNaive} kernels for time length {@code t}, computed as the reference does. */
    private static void putKernels(Map<String, Tensor> out, String prefix, Tensor beta, int t) {
        Tensor b = beta.detach().to(torch.ScalarType.Float)
                .clamp(new ScalarOptional(new Scalar(0.0)), new ScalarOptional(new Scalar(1.0)));
        long nb = b.size(0);
        Tensor ident = Tensors.full(1.0, nb, t);
        Tensor reversed = Tensors.arange(t, torch.ScalarType.Float, b).flip(0);
        Tensor exp = reversed.unsqueeze(0).expand(nb, t).contiguous();
        Tensor kernel = b.unsqueeze(1).mul(ident).pow(exp).unsqueeze(1).unsqueeze(1);
        Tensor phi = reversed.add(new Scalar(1.0)).view(1, 1, 1, t);
        out.put(prefix + "_beta_ident_base", ident);
        out.put(prefix + "_beta_exp", exp);
        out.put(prefix + "_beta_kernel", kernel);
        out.put(prefix + "_phi_kernel", phi);
    }
}
