package snn.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import snn.config.ModelConfig;

/** Expands a config's sweeps into the points to measure, in config order, each point once. */
final class Grid {

    private Grid() {
    }

    /**
     * A point and what runs there.
     *
     * @param variants the standard reference first, then the other methods
     * @param skipped  variants that cannot run at this point, with the reason (d-block with d &gt; t_len)
     */
    public record Planned(BenchPoint point, List<Variant> variants, List<String> skipped) {
    }

    /** Every distinct point of {@code config}'s sweeps. */
    public static List<Planned> expand(BenchConfig config) {
        Map<BenchPoint, Set<Variant>> variants = new LinkedHashMap<>();
        Map<BenchPoint, Set<String>> skipped = new LinkedHashMap<>();
        for (BenchConfig.Sweep s : config.sweeps()) {
            for (int batch : s.batch()) {
                for (int layers : s.layers()) {
                    for (int hidden : s.hidden()) {
                        for (int tLen : s.tLen()) {
                            for (boolean recurrent : s.recurrent()) {
                                for (boolean perNeuron : s.perNeuronBeta()) {
                                    for (boolean learn : s.learnBeta()) {
                                        for (ModelConfig.Kernels kernels : s.kernels()) {
                                            BenchPoint p = new BenchPoint(batch, s.nIn(), hidden, layers, tLen,
                                                    recurrent, perNeuron, learn, kernels, s.standardSingleSpike(),
                                                    s.scope(), s.scope() == BenchConfig.Scope.NETWORK ? s.classes() : 0);
                                            add(p, s, variants.computeIfAbsent(p, k -> new LinkedHashSet<>()),
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
        List<Planned> out = new ArrayList<>();
        for (Map.Entry<BenchPoint, Set<Variant>> e : variants.entrySet()) {
            List<Variant> ordered = new ArrayList<>(e.getValue());
            ordered.sort(java.util.Comparator.comparing((Variant v) -> v.method().ordinal())
                    .thenComparing(v -> v.d() == null ? 0 : v.d()));
            out.add(new Planned(e.getKey(), List.copyOf(ordered), List.copyOf(skipped.get(e.getKey()))));
        }
        return List.copyOf(out);
    }

    private static void add(BenchPoint p, BenchConfig.Sweep s, Set<Variant> variants, Set<String> skipped) {
        for (ModelConfig.Kind method : s.methods()) {
            switch (method) {
                case STANDARD -> variants.add(Variant.STANDARD);
                case BLOCK -> variants.add(Variant.BLOCK);
                case DBLOCK -> {
                    for (int d : s.d()) {
                        if (d <= p.tLen()) {
                            variants.add(new Variant(ModelConfig.Kind.DBLOCK, d));
                        } else {
                            skipped.add("dblock d=" + d + " (d > t_len " + p.tLen() + ")");
                        }
                    }
                }
            }
        }
    }
}
