package snn.data;

/**
 * The papers' rule for turning events (unit, time in seconds) into a {@code [channels, t_len]} count tensor
 * ({@code SpikeTensorBuilder}, docs/specification.md §7.1), reproduced with the reference's float32 arithmetic:
 * <ol>
 *   <li>{@code channel = unit mod channels} (always non-negative);</li>
 *   <li>{@code bin = round(time * 1000 / dt)} computed in float32, rounding half to even; events with
 *       {@code bin >= t_len} are dropped, nothing is shifted or rescaled;</li>
 *   <li>every kept event adds 1 at (channel, bin), so values may exceed 1.</li>
 * </ol>
 */
final class EventBinning {

    private EventBinning() {
    }

    /** The channel of {@code unit}: {@code unit mod channels}, in {@code [0, channels)}. */
    static int channel(int unit, int channels) {
        return unit >= 0 && unit < channels ? unit : Math.floorMod(unit, channels);
    }

    /**
     * The bin of an event at {@code seconds}, for bins {@code dtMs} wide: {@code rint((seconds * 1000f) / dtMs)} in
     * float32, as {@code torch.round(times * 1000. / dt)} on a float32 tensor. The result may be at or past
     * {@code t_len} (the caller drops those) and is negative only for negative times. NaN maps to -1.
     */
    static int bin(float seconds, float dtMs) {
        float ms = seconds * 1000f;
        float steps = ms / dtMs;
        if (Float.isNaN(steps)) {
            return -1;
        }
        double rounded = Math.rint(steps);
        if (rounded >= Integer.MAX_VALUE) {
            return Integer.MAX_VALUE;
        }
        return rounded < 0 ? (int) Math.min(-1, rounded) : (int) rounded;
    }
}
