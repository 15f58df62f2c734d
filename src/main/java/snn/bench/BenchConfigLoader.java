package snn.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import snn.core.ConfigException;
import snn.core.ConfigException.ConfigError;
import snn.config.ConfigLoader;
import snn.config.ModelConfig;

/**
 * Reads benchmark configs with the same rules as experiment configs ({@link ConfigLoader}): snake_case keys, strict
 * binding, {@code --set key=value} overrides (JSON values), and every problem reported at once with its JSON path.
 * Override keys may address sweeps by index ({@code sweeps.0.t_len=[8,16]}) or all of them
 * ({@code sweeps.*.batch=[16]}).
 */
public final class BenchConfigLoader {

    /** Largest time-step count accepted (2^14; the papers stop at 2^11). */
    static final int MAX_T_LEN = 1 << 14;

    private BenchConfigLoader() {
    }

    /**
     * Loads and validates {@code file} with {@code overrides} applied first ({@code sweeps.*.batch=[16]} sets a key
     * in every sweep, {@code sweeps.0.batch=[16]} in the first).
     *
     * @param file      the JSON file
     * @param overrides {@code key=value} settings; empty for none
     * @return the validated config
     * @throws ConfigException naming the file, each key at fault and what was expected
     */
    public static BenchConfig load(Path file, List<String> overrides) {
        return ConfigLoader.load(file, overrides, BenchConfig.class, BenchConfigLoader::problems);
    }

    /**
     * As {@link #load}, from JSON text.
     *
     * @param json      the config as JSON text
     * @param overrides {@code key=value} settings; empty for none
     * @param source    what to call the text in messages, e.g. a file name
     * @return the validated config
     * @throws ConfigException naming {@code source}, each key at fault and what was expected
     */
    public static BenchConfig parse(String json, List<String> overrides, String source) {
        return ConfigLoader.parse(json, overrides, source, BenchConfig.class, BenchConfigLoader::problems);
    }

    /**
     * Checks a benchmark config without throwing.
     *
     * @param c the config
     * @return every problem with its JSON path; empty when the config can be run
     */
    public static List<ConfigError> problems(BenchConfig c) {
        List<ConfigError> errors = new ArrayList<>();
        if (c.name().isBlank() || !c.name().matches("[A-Za-z0-9._-]+")) {
            errors.add(new ConfigError("name", "expected a non-empty run name of letters, digits, '.', '_' or '-',"
                    + " got '" + c.name() + "'"));
        }
        if (!"cpu".equals(c.runtime().device())) {
            errors.add(new ConfigError("runtime.device", "snn bench measures on the CPU only; expected \"cpu\", got \""
                    + c.runtime().device() + "\""));
        }
        atLeastOrNull(errors, "runtime.torch_threads", c.runtime().torchThreads(), 1);
        atLeastOrNull(errors, "runtime.blas_threads", c.runtime().blasThreads(), 1);
        atLeast(errors, "repeats", c.repeats(), 1);
        atLeast(errors, "warmup", c.warmup(), 0);
        if (c.sweeps().isEmpty()) {
            errors.add(new ConfigError("sweeps", "expected at least one sweep, e.g. [{\"hidden\": [100], "
                    + "\"t_len\": [8, 16]}]"));
        }
        BenchConfig.Baseline b = c.baseline();
        if (b.method() == ModelConfig.Kind.DBLOCK && (b.d() == null || b.d() < 1)) {
            errors.add(new ConfigError("baseline.d", "a dblock baseline needs its number of blocks, a whole number"
                    + " >= 1, got " + b.d()));
        } else if (b.method() != ModelConfig.Kind.DBLOCK && b.d() != null) {
            errors.add(new ConfigError("baseline.d", "d is for a dblock baseline only; the baseline's method is \""
                    + b.method().name().toLowerCase(Locale.ROOT) + "\""));
        }
        for (int i = 0; i < c.sweeps().size(); i++) {
            BenchConfig.Sweep s = c.sweeps().get(i);
            String at = "sweeps[" + i + "]";
            if (s == null) {
                errors.add(new ConfigError(at, "expected a sweep object, got null"));
                continue;
            }
            sweep(errors, at, s);
        }
        return List.copyOf(errors);
    }

    private static void sweep(List<ConfigError> errors, String at, BenchConfig.Sweep s) {
        if (nonEmptyWithoutNulls(errors, at + ".methods", s.methods())
                && !s.methods().contains(ModelConfig.Kind.STANDARD)) {
            errors.add(new ConfigError(at + ".methods", "expected \"standard\" among the methods: speed-ups are"
                    + " measured against it, got " + names(s.methods())));
        }
        positiveList(errors, at + ".batch", s.batch(), Integer.MAX_VALUE);
        atLeast(errors, at + ".n_in", s.nIn(), 1);
        positiveList(errors, at + ".hidden", s.hidden(), Integer.MAX_VALUE);
        positiveList(errors, at + ".layers", s.layers(), Integer.MAX_VALUE);
        boolean timesOk = positiveList(errors, at + ".t_len", s.tLen(), MAX_T_LEN);
        boolean dOk = positiveList(errors, at + ".d", s.d(), Integer.MAX_VALUE);
        nonEmptyWithoutNulls(errors, at + ".recurrent", s.recurrent());
        nonEmptyWithoutNulls(errors, at + ".per_neuron_beta", s.perNeuronBeta());
        nonEmptyWithoutNulls(errors, at + ".learn_beta", s.learnBeta());
        nonEmptyWithoutNulls(errors, at + ".kernels", s.kernels());
        atLeast(errors, at + ".classes", s.classes(), 2);
        if (s.inputRate() != null && nonEmptyWithoutNulls(errors, at + ".input_rate", s.inputRate())) {
            for (int i = 0; i < s.inputRate().size(); i++) {
                double r = s.inputRate().get(i);
                if (!(r > 0 && r <= 1)) {
                    errors.add(new ConfigError(at + ".input_rate[" + i + "]", "expected a spike probability in"
                            + " (0, 1], e.g. 0.015 (SHD's density), got " + r));
                }
            }
        }
        s.targetSpikes().forEach((method, target) -> {
            String path = at + ".target_spikes." + method;
            boolean known = java.util.Arrays.stream(ModelConfig.Kind.values())
                    .anyMatch(k -> k.name().toLowerCase(Locale.ROOT).equals(method));
            if (!known) {
                errors.add(new ConfigError(path, "expected a method name: \"standard\", \"block\" or \"dblock\""));
            } else if (target == null || !(target > 0) || target.isInfinite()) {
                errors.add(new ConfigError(path, "expected spikes per sample per hidden layer > 0, e.g. 249 (the"
                        + " trained Fashion-MNIST block network), got " + target));
            }
        });
        if (timesOk && dOk && s.methods().contains(ModelConfig.Kind.DBLOCK)) {
            int longest = s.tLen().stream().mapToInt(Integer::intValue).max().orElse(0);
            if (s.d().stream().allMatch(d -> d > longest)) {
                errors.add(new ConfigError(at + ".d", "every d exceeds the longest t_len (" + longest
                        + "), so no dblock point could run; expected 1 <= d <= t_len"));
            }
        }
    }

    private static boolean nonEmptyWithoutNulls(List<ConfigError> errors, String path, List<?> values) {
        if (values.isEmpty()) {
            errors.add(new ConfigError(path, "expected a non-empty list"));
            return false;
        }
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) == null) {
                errors.add(new ConfigError(path + "[" + i + "]", "expected a value, got null"));
                return false;
            }
        }
        return true;
    }

    private static boolean positiveList(List<ConfigError> errors, String path, List<Integer> values, int max) {
        if (!nonEmptyWithoutNulls(errors, path, values)) {
            return false;
        }
        for (int i = 0; i < values.size(); i++) {
            int v = values.get(i);
            if (v < 1 || v > max) {
                errors.add(new ConfigError(path + "[" + i + "]", "expected a whole number in [1, " + max + "], got "
                        + v));
                return false;
            }
        }
        return true;
    }

    private static void atLeast(List<ConfigError> errors, String path, int value, int min) {
        if (value < min) {
            errors.add(new ConfigError(path, "expected >= " + min + ", got " + value));
        }
    }

    private static void atLeastOrNull(List<ConfigError> errors, String path, Integer value, int min) {
        if (value != null && value < min) {
            errors.add(new ConfigError(path, "expected >= " + min + " (or leave it out), got " + value));
        }
    }

    private static String names(List<ModelConfig.Kind> kinds) {
        return kinds.stream().map(k -> "\"" + k.name().toLowerCase(Locale.ROOT) + "\"")
                .collect(Collectors.joining(", ", "[", "]"));
    }
}
