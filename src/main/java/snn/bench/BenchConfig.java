package snn.bench;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

import snn.config.ModelConfig;
import snn.config.RuntimeConfig;

/**
 * A benchmark run as read from a JSON file in {@code configs/} ({@link BenchConfigLoader}): one or more sweeps, each
 * the Cartesian product of its lists, measured with synthetic Poisson input (docs/specification.md sections 7.4 and 9).
 * Points that several sweeps share are measured once.
 *
 * @param name       run name; results go to {@code <results_dir>/<name>/} (default "bench")
 * @param seed       seed of the synthetic input and of parameter initialisation (default 42)
 * @param resultsDir parent folder of the run's folder (default "results/bench")
 * @param runtime    libtorch and OpenBLAS threads; only the CPU is supported
 * @param repeats    timed training steps per method and point (default 10, as the papers)
 * @param warmup     untimed steps before them (default 1, as the papers)
 * @param sweeps     the grids to measure (at least one)
 * @param baseline   the network every row's {@code speedup_vs_baseline} is taken against, measured at every point
 *                   (default: the standard SNN with LibTorch ops)
 */
public record BenchConfig(String name, Long seed, String resultsDir, RuntimeConfig runtime, Integer repeats,
        Integer warmup, List<Sweep> sweeps, Baseline baseline) {

    /** Fills in the defaults of settings left null. */
    public BenchConfig {
        name = name != null ? name : "bench";
        seed = seed != null ? seed : 42L;
        resultsDir = resultsDir != null ? resultsDir : "results/bench";
        runtime = runtime != null ? runtime : RuntimeConfig.DEFAULT;
        repeats = repeats != null ? repeats : 10;
        warmup = warmup != null ? warmup : 1;
        sweeps = sweeps != null ? List.copyOf(sweeps) : List.of();
        baseline = baseline != null ? baseline : Baseline.DEFAULT;
    }

    /**
     * The one network of a run that every other is compared with, at each point's shape: a method and the kernels
     * that run it. A standard baseline is single- or multi-spike as its sweep's {@code standard_single_spike} says.
     *
     * @param method  the neuron model (default {@code standard})
     * @param d       blocks, for a {@code dblock} baseline only
     * @param kernels the implementation of the dynamics (default {@code torch}: LibTorch ops)
     */
    public record Baseline(ModelConfig.Kind method, Integer d, ModelConfig.Kernels kernels) {

        /** The standard SNN with LibTorch ops. */
        public static final Baseline DEFAULT = new Baseline(ModelConfig.Kind.STANDARD, null,
                ModelConfig.Kernels.TORCH);

        /** Fills in the defaults of settings left null. */
        public Baseline {
            method = method != null ? method : ModelConfig.Kind.STANDARD;
            kernels = kernels != null ? kernels : ModelConfig.Kernels.TORCH;
        }
    }

    /** What one training step covers. */
    public enum Scope {
        /**
         * The papers' protocol (section 9): the hidden layers only (input projections and dynamics), loss = sum of the
         * last hidden layer's spikes.
         */
        @JsonProperty("hidden") HIDDEN,
        /** The whole network: hidden layers, the readout, and cross-entropy against random labels. */
        @JsonProperty("network") NETWORK
    }

    /**
     * One grid: every combination of the listed values is a point, measured once per method (and per d for
     * {@code dblock}). Lists left out take the defaults below.
     *
     * @param name                label for progress output (default {@code sweep<i>})
     * @param methods             methods to measure; must include {@code standard}, the reference of the speed-ups
     *                            (default standard, block, dblock)
     * @param batch               batch sizes (default [128])
     * @param nIn                 input units (default 1000, as the papers)
     * @param hidden              neurons per hidden layer (default [100])
     * @param layers              numbers of hidden layers (default [1])
     * @param tLen                time steps (default [128])
     * @param d                   d-block block counts, used by {@code dblock} only; points with d &gt; t_len are
     *                            skipped (default [5])
     * @param recurrent           recurrent hidden layers (default [false]). The block model has no recurrent form:
     *                            in recurrent points it runs feed-forward and its row says so.
     * @param perNeuronBeta       one beta per neuron (true) or one per layer (default [true])
     * @param learnBeta           beta trained (default [true])
     * @param kernels             implementations of the dynamics, each measured at every point beside the others
     *                            (default [auto]: native where built)
     * @param inputRate           input densities: each input entry is a spike with this probability, the same for
     *                            every sample (SHD's recordings have about 0.015). Left out: the papers' Poisson
     *                            protocol (a rate per sample, up to 200 spikes per unit)
     * @param standardSingleSpike the standard reference is single-spike (true, the block paper's comparator; default)
     *                            or multi-spike with reset (false, the d-block paper's)
     * @param scope               what a step covers (default {@code hidden}, the papers')
     * @param classes             readout outputs for scope {@code network} (default 20)
     * @param targetSpikes        spikes per sample per hidden layer that each method's network is calibrated to
     *                            fire on the point's batch before it is timed ({@link RateCalibration}), by method
     *                            name ({@code standard}, {@code block}, {@code dblock}); a method left out, or the
     *                            key left out, is timed as initialised (fresh block and d-block networks fire nothing
     *                            at the datasets' input densities)
     */
    public record Sweep(String name, List<ModelConfig.Kind> methods, List<Integer> batch, Integer nIn,
            List<Integer> hidden, List<Integer> layers, List<Integer> tLen, List<Integer> d, List<Boolean> recurrent,
            List<Boolean> perNeuronBeta, List<Boolean> learnBeta, List<ModelConfig.Kernels> kernels,
            Boolean standardSingleSpike, Scope scope, Integer classes, List<Double> inputRate,
            java.util.Map<String, Double> targetSpikes) {

        /** Fills in the defaults of settings left null; given lists are copied, nulls kept for the validator. */
        public Sweep {
            methods = orDefault(methods, List.of(ModelConfig.Kind.STANDARD, ModelConfig.Kind.BLOCK,
                    ModelConfig.Kind.DBLOCK));
            batch = orDefault(batch, List.of(128));
            nIn = nIn != null ? nIn : 1000;
            hidden = orDefault(hidden, List.of(100));
            layers = orDefault(layers, List.of(1));
            tLen = orDefault(tLen, List.of(128));
            d = orDefault(d, List.of(5));
            recurrent = orDefault(recurrent, List.of(false));
            perNeuronBeta = orDefault(perNeuronBeta, List.of(true));
            learnBeta = orDefault(learnBeta, List.of(true));
            kernels = orDefault(kernels, List.of(ModelConfig.Kernels.AUTO));
            standardSingleSpike = standardSingleSpike != null ? standardSingleSpike : true;
            scope = scope != null ? scope : Scope.HIDDEN;
            classes = classes != null ? classes : 20;
            inputRate = inputRate == null ? null : orDefault(inputRate, List.of());
            targetSpikes = targetSpikes == null ? java.util.Map.of()
                    : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(targetSpikes));
        }

        /**
         * {@return the calibration targets by model, for the methods whose names are valid} The loader reports the
         * others.
         */
        public java.util.Map<ModelConfig.Kind, Double> targets() {
            java.util.Map<ModelConfig.Kind, Double> out = new java.util.EnumMap<>(ModelConfig.Kind.class);
            for (ModelConfig.Kind k : ModelConfig.Kind.values()) {
                Double t = targetSpikes.get(k.name().toLowerCase(java.util.Locale.ROOT));
                if (t != null) {
                    out.put(k, t);
                }
            }
            return java.util.Collections.unmodifiableMap(out);
        }

        /** Lists keep nulls (reported by the validator) but are made unmodifiable. */
        private static <T> List<T> orDefault(List<T> values, List<T> fallback) {
            return values == null ? fallback : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(values));
        }
    }
}
