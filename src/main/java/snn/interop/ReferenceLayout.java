package snn.interop;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps the parameter names of the authors' PyTorch implementations (the {@code state_dict} keys of the Block and
 * DBlock repositories, as used in the golden cases) to snn's names, and back.
 *
 * <table>
 *   <caption>Name pieces</caption>
 *   <tr><th>reference</th><th>snn</th></tr>
 *   <tr><td>{@code _layers.<i>.}</td><td>{@code hidden.<i>.}</td></tr>
 *   <tr><td>{@code _readout_layer.}</td><td>{@code readout.}</td></tr>
 *   <tr><td>{@code _to_current.}, {@code _to_input_current.}</td><td>{@code input.}</td></tr>
 *   <tr><td>{@code _to_recurrent_current.}</td><td>{@code recurrent.}</td></tr>
 *   <tr><td>{@code _beta}</td><td>{@code beta}</td></tr>
 * </table>
 *
 * <p>The reference creates a recurrent projection even in layers that never use it (feed-forward d-block layers,
 * every readout); those keys map to names snn does not have, and callers skip them.
 */
public final class ReferenceLayout {

    private static final Pattern KEY = Pattern.compile(
            "^(?:(_layers)\\.(\\d+)\\.|(_readout_layer)\\.)?(_to_current|_to_input_current|_to_recurrent_current|_beta)"
                    + "(?:\\.(weight|bias))?$");

    private ReferenceLayout() {
    }

    /** The snn name for a reference key, or empty when the key is not of the reference's form. */
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

    /** Whether {@code referenceKey} names a recurrent projection (which non-recurrent layers leave unused). */
    public static boolean isRecurrentProjection(String referenceKey) {
        return referenceKey.contains("_to_recurrent_current.");
    }
}
