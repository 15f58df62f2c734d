package snn.config;

import com.fasterxml.jackson.annotation.JsonProperty;

import snn.neurons.Surrogate;

/**
 * The surrogate gradient of the spike function.
 *
 * @param kind  {@code fast_sigmoid} (default), {@code arctan} or {@code triangle}
 * @param scale steepness: k in 1/(k|u|+1)^2 (default 10), alpha for arctan, 1/half-width for triangle
 */
public record SurrogateConfig(Kind kind, Double scale) {

    /** Fast sigmoid with scale 10, as in both papers. */
    public static final SurrogateConfig DEFAULT = new SurrogateConfig(Kind.FAST_SIGMOID, 10.0);

    /** Fills in the defaults of settings left null. */
    public SurrogateConfig {
        kind = kind != null ? kind : Kind.FAST_SIGMOID;
        scale = scale != null ? scale : 10.0;
    }

    /** Surrogate families. */
    public enum Kind {
        /** dH/du = 1 / (scale |u| + 1)^2 ({@link Surrogate.FastSigmoid}). */
        @JsonProperty("fast_sigmoid") FAST_SIGMOID,
        /** dH/du = (alpha / 2) / (1 + (pi alpha u / 2)^2), alpha = scale ({@link Surrogate.Arctan}). */
        @JsonProperty("arctan") ARCTAN,
        /** dH/du = max(0, 1 - scale |u|) ({@link Surrogate.Triangle}). */
        @JsonProperty("triangle") TRIANGLE
    }

    /** {@return the surrogate this config describes} */
    public Surrogate build() {
        return switch (kind) {
            case FAST_SIGMOID -> new Surrogate.FastSigmoid(scale);
            case ARCTAN -> new Surrogate.Arctan(scale);
            case TRIANGLE -> new Surrogate.Triangle(scale);
        };
    }
}
