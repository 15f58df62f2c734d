package snn.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

import snn.config.ModelConfig;

/** Expands a config's sweeps into the points to measure, in config order, each point once. */
final class Grid {

    private Grid() {
    }

    /**
     * A point and what runs there.
     *
     * @param variants grouped by kernels, each group's standard reference first, then the other methods
     * @param skipped  variants that cannot run at this point, with the reason (d-block with d &gt; t_len)
     */
    public record Planned(BenchPoint point, List<Variant> variants, List<String> skipped) {
    }

    /**
     * Every distinct point of {@code config}'s sweeps, each with its variants: every method (and d) of the sweeps
     * that name the point, run by each of their kernels, plus the run's baseline when no sweep names it.
     */
    public static List<Planned> expand(BenchConfig config) {
        return expand(config, UnaryOperator.identity());
    }

    /**
     * As {@link #expand(BenchConfig)}, each requested kernels choice first replaced by {@code resolve}'s answer (the
     * runner resolves {@code auto} to what it gives on this machine, so that a point never measures one network
     * twice under two names).
     */
    public static List<Planned> expand(BenchConfig config, UnaryOperator<ModelConfig.Kernels> resolve) {
        Map<BenchPoint, Set<Variant>> variants = new LinkedHashMap<>();
        Map<BenchPoint, Set<String>> skipped = new LinkedHashMap<>();
        for (BenchConfig.Sweep s : config.sweeps()) {
            List<Double> rates = s.inputRate() == null ? java.util.Collections.singletonList(null) : s.inputRate();
            for (int batch : s.batch()) {
                for (int layers : s.layers()) {
                    for (int hidden : s.hidden()) {
                        for (int tLen : s.tLen()) {
                            for (boolean recurrent : s.recurrent()) {
                                for (boolean perNeuron : s.perNeuronBeta()) {
                                    for (boolean learn : s.learnBeta()) {
                                        for (Double rate : rates) {
                                            BenchPoint p = new BenchPoint(batch, s.nIn(), hidden, layers, tLen,
                                                    recurrent, perNeuron, learn, rate, s.standardSingleSpike(),
                                                    s.scope(), s.scope() == BenchConfig.Scope.NETWORK ? s.classes() : 0,
                                                    s.targets());
                                            add(p, s, resolve, variants.computeIfAbsent(p, k -> new LinkedHashSet<>()),
                                                    skipped.computeIfAbsent(p, k -> new LinkedHashSet<>()));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        Variant baseline = Variant.of(config.baseline(), resolve);
        List<Planned> out = new ArrayList<>();
        for (Map.Entry<BenchPoint, Set<Variant>> e : variants.entrySet()) {
            Set<Variant> all = e.getValue();
            if (baseline.d() == null || baseline.d() <= e.getKey().tLen()) {
                all.add(baseline);
            }
            List<Variant> ordered = new ArrayList<>(all);
            ordered.sort(java.util.Comparator.comparing((Variant v) -> v.kernels().ordinal())
                    .thenComparing(v -> v.method().ordinal()).thenComparing(v -> v.d() == null ? 0 : v.d()));
            out.add(new Planned(e.getKey(), List.copyOf(ordered), List.copyOf(skipped.get(e.getKey()))));
        }
        return List.copyOf(out);
    }

    private static void add(BenchPoint p, BenchConfig.Sweep s, UnaryOperator<ModelConfig.Kernels> resolve,
            Set<Variant> variants, Set<String> skipped) {
        for (ModelConfig.Kernels kernels : s.kernels().stream().map(resolve).toList()) {
            for (ModelConfig.Kind method : s.methods()) {
                switch (method) {
                    case STANDARD, BLOCK -> variants.add(new Variant(method, null, kernels));
                    case DBLOCK -> {
                        for (int d : s.d()) {
                            if (d <= p.tLen()) {
                                variants.add(new Variant(ModelConfig.Kind.DBLOCK, d, kernels));
                            } else {
                                skipped.add("dblock d=" + d + " (d > t_len " + p.tLen() + ")");
                            }
                        }
                    }
                }
            }
        }
    }
}
