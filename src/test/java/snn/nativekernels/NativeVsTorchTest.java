package snn.nativekernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static snn.neurons.TensorAssertions.assertClose;
import static snn.neurons.TensorAssertions.maxAbs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import snn.models.Parameters;
import snn.neurons.Beta;
import snn.neurons.BlockLayer;
import snn.neurons.DBlockLayer;
import snn.neurons.DynamicsSpec;
import snn.neurons.LayerTensors;
import snn.neurons.LayerOutput;
import snn.neurons.LifLayer;
import snn.neurons.NeuronKernels;
import snn.neurons.SpikingLayer;
import snn.neurons.Surrogate;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * Randomized comparisons of the native kernels with the LibTorch ops of the same layers, loaded with the same
 * parameters: spikes must be identical, membranes equal to float rounding, and every gradient (input, input
 * projection, W_rec, b_rec) equal to 1e-5 of its largest magnitude (beta and b_rec: 1e-4,
 * {@link #BETA_GRADIENT_TOLERANCE}).
 * The shapes include batch 1, a single neuron, T not divisible by d, sequences longer than one kernel tile, and
 * inputs that produce no spikes at all. The inputs cycle through the kernels' three input paths: sparse (projected
 * event by event, events cached for the backward pass), sparse first sample with denser others (cache overflow: the
 * backward pass scans again), and dense (LibTorch projects, the kernels take the current);
 * {@link #runOnCurrentMatches} covers {@code run(current)}. Every case runs on each instruction set the kernels are
 * built for ({@link EveryIsa}).
 *
 * <p>Spikes are compared exactly only where the torch membrane is not within 1e-5 of the threshold (the two
 * paths sum in different orders, so a membrane that close could round either way); a draw that comes that close
 * is replaced by the next seed.
 */
class NativeVsTorchTest {

    static final double GRADIENT_TOLERANCE = 1e-5;
    /**
     * A shared beta's gradient is one sum over every sample, neuron and pair of steps, of terms of both signs; the
     * LibTorch path reduces them in one matrix product (the Toeplitz form of the membrane), the kernels in
     * per-neuron scans, and float32 rounding then differs by up to a few 1e-5 of the result (3.5e-5 in the
     * tightest of these cases, a shared beta over 4 x 70 neurons x 5 blocks). A recurrent bias's gradient is the
     * same kind of sum (G_t over every sample and step from 1 on, terms of both signs) and gets the same
     * tolerance: for a single neuron with the zero reset (whose terms carry beta G_{t+1} U_t) the two paths'
     * summation orders differed by 1.2e-5 of the result.
     */
    static final double BETA_GRADIENT_TOLERANCE = 1e-4;
    static final double MEMBRANE_TOLERANCE = 1e-5;
    static final double THRESHOLD_MARGIN = 1e-5;

    static NeuronKernels nativeKernels;

    /** Batch, inputs, neurons, steps. */
    record Shape(int batch, int inputs, int neurons, int steps) {
        @Override
        public String toString() {
            return batch + "x" + inputs + "->" + neurons + "x" + steps;
        }
    }

    static final List<Shape> SHAPES = List.of(
            new Shape(1, 1, 1, 1),
            new Shape(1, 3, 1, 17),
            new Shape(1, 6, 5, 23),
            new Shape(3, 8, 7, 40),
            new Shape(2, 12, 33, 61),
            new Shape(4, 20, 70, 30),
            new Shape(2, 5, 130, 11),
            new Shape(2, 9, 300, 260),
            // a whole-sample unit (recurrent or projected) whose outputs are over the kernels' streaming budget
            // (2^18 floats, unit.h): written in place rather than formed in a cached buffer and streamed
            new Shape(1, 3, 530, 250),
            // one lane more or less than the vector widths (16, 8, 4), steps around a tile of 16
            new Shape(2, 5, 17, 16),
            new Shape(1, 7, 15, 33),
            new Shape(3, 4, 9, 47));

    /** How dense the generated input spikes are; see the class comment. */
    enum Density { SPARSE, MIXED, DENSE }

    static final List<Surrogate> SURROGATES = List.of(new Surrogate.FastSigmoid(10), new Surrogate.Arctan(2),
            new Surrogate.Triangle(1.5));

    /** Per-neuron learnable, shared learnable, per-neuron fixed. */
    static final List<Beta> BETAS = List.of(new Beta(0.9, true, true), new Beta(0.8, false, true),
            new Beta(0.95, true, false));

    @BeforeAll
    static void load() {
        TorchRuntime.ensureInitialised();
        nativeKernels = NativeKernels.load().orElse(null);
        assumeTrue(nativeKernels != null, "native kernels: " + KernelLibrary.status());
    }

    // ----- the cases ----------------------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicNode> lifMatchesTorch() {
        return EveryIsa.containers(this::lifMatchesTorchOnOneIsa);
    }

    Stream<DynamicTest> lifMatchesTorchOnOneIsa() {
        List<DynamicTest> tests = new ArrayList<>();
        int i = 0;
        for (LifLayer.Mode mode : LifLayer.Mode.values()) {
            for (boolean recurrent : new boolean[] {false, true}) {
                if (recurrent && mode == LifLayer.Mode.INTEGRATOR) {
                    continue;
                }
                for (Shape s : SHAPES) {
                    Beta beta = BETAS.get(i % BETAS.size());
                    Surrogate surrogate = SURROGATES.get(i / 3 % SURROGATES.size());
                    Density density = Density.values()[i % 3];
                    long seed = 1000 + i++;
                    tests.add(DynamicTest.dynamicTest("lif " + mode + (recurrent ? " rec " : " ") + s + " " + beta
                            + " " + surrogate + " " + density, () -> compare(s, seed, density,
                                    mode != LifLayer.Mode.INTEGRATOR,
                                    k -> new LifLayer(s.inputs(), s.neurons(), mode, recurrent, beta, surrogate, k))));
                }
            }
        }
        // The multi-spike layer's zero reset, on the same shapes, betas, surrogates and densities.
        i = 0;
        for (boolean recurrent : new boolean[] {false, true}) {
            for (Shape s : SHAPES) {
                Beta beta = BETAS.get(i % BETAS.size());
                Surrogate surrogate = SURROGATES.get(i / 3 % SURROGATES.size());
                Density density = Density.values()[i % 3];
                long seed = 1500 + i++;
                tests.add(DynamicTest.dynamicTest("lif MULTI_SPIKE reset ZERO" + (recurrent ? " rec " : " ") + s + " "
                        + beta + " " + surrogate + " " + density, () -> compare(s, seed, density, true,
                                k -> new LifLayer(s.inputs(), s.neurons(), LifLayer.Mode.MULTI_SPIKE,
                                        LifLayer.Reset.ZERO, recurrent, beta, surrogate, k))));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicNode> blockMatchesTorch() {
        return EveryIsa.containers(this::blockMatchesTorchOnOneIsa);
    }

    Stream<DynamicTest> blockMatchesTorchOnOneIsa() {
        List<DynamicTest> tests = new ArrayList<>();
        int i = 0;
        for (boolean spiking : new boolean[] {true, false}) {
            for (Shape s : SHAPES) {
                Beta beta = BETAS.get(i % BETAS.size());
                Surrogate surrogate = SURROGATES.get(i / 3 % SURROGATES.size());
                Density density = Density.values()[i % 3];
                long seed = 2000 + i++;
                tests.add(DynamicTest.dynamicTest("block " + (spiking ? "" : "readout ") + s + " " + beta + " "
                        + surrogate + " " + density, () -> compare(s, seed, density, spiking,
                                k -> new BlockLayer(s.inputs(), s.neurons(), spiking, beta, surrogate, k))));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicNode> dblockMatchesTorch() {
        return EveryIsa.containers(this::dblockMatchesTorchOnOneIsa);
    }

    Stream<DynamicTest> dblockMatchesTorchOnOneIsa() {
        List<DynamicTest> tests = new ArrayList<>();
        int i = 0;
        int[] ds = {1, 2, 3, 5, 7};
        for (boolean recurrent : new boolean[] {false, true}) {
            for (boolean detach : recurrent ? new boolean[] {true, false} : new boolean[] {true}) {
                for (DBlockLayer.RecurrentInput reduction : DBlockLayer.RecurrentInput.values()) {
                    for (Shape s : SHAPES) {
                        int d = Math.min(ds[i % ds.length], s.steps());
                        Beta beta = BETAS.get(i % BETAS.size());
                        Surrogate surrogate = SURROGATES.get(i / 3 % SURROGATES.size());
                        Density density = Density.values()[i % 3];
                        long seed = 3000 + i++;
                        tests.add(DynamicTest.dynamicTest("dblock d=" + d + (recurrent ? " rec" : "")
                                + (detach ? "" : " attached") + " " + reduction + " " + s + " " + beta + " "
                                + surrogate + " " + density, () -> compare(s, seed, density, true,
                                        k -> new DBlockLayer(s.inputs(), s.neurons(), d, recurrent, detach, reduction,
                                                true, beta, surrogate, k))));
                    }
                }
            }
        }
        // The readout form: membrane only, restarted at every block.
        for (Shape s : SHAPES) {
            int d = Math.min(ds[i % ds.length], s.steps());
            Beta beta = BETAS.get(i % BETAS.size());
            Density density = Density.values()[i % 3];
            long seed = 3000 + i++;
            tests.add(DynamicTest.dynamicTest("dblock readout d=" + d + " " + s + " " + beta + " " + density,
                    () -> compare(s, seed, density, false, k -> new DBlockLayer(s.inputs(), s.neurons(), d, false, true,
                            DBlockLayer.RecurrentInput.MAX, false, beta, new Surrogate.FastSigmoid(10), k))));
        }
        return tests.stream();
    }

    @Test
    void silentInputsGiveNoSpikesAndStillMatchingGradients() {
        Shape s = new Shape(2, 6, 9, 31);
        for (Function<NeuronKernels, SpikingLayer> factory : List.<Function<NeuronKernels, SpikingLayer>>of(
                k -> new LifLayer(s.inputs(), s.neurons(), LifLayer.Mode.MULTI_SPIKE, false, BETAS.get(0),
                        SURROGATES.get(0), k),
                k -> new LifLayer(s.inputs(), s.neurons(), LifLayer.Mode.SINGLE_SPIKE, false, BETAS.get(1),
                        SURROGATES.get(0), k),
                k -> new LifLayer(s.inputs(), s.neurons(), LifLayer.Mode.MULTI_SPIKE, LifLayer.Reset.ZERO, false,
                        BETAS.get(0), SURROGATES.get(0), k),
                k -> new BlockLayer(s.inputs(), s.neurons(), true, BETAS.get(0), SURROGATES.get(0), k),
                k -> new DBlockLayer(s.inputs(), s.neurons(), 4, true, false, DBlockLayer.RecurrentInput.MAX, true,
                        BETAS.get(0), SURROGATES.get(0), k))) {
            Result r = compareOnce(s, 7, true, factory, SpikingLayer::forward,
                    Tensors.zeros(s.batch(), s.inputs(), s.steps()), true);
            assertNotNull(r);
            assertEquals(0, sum(r.nativeSpikes), "spikes from a silent input");
            assertTrue(r.inputGradientMax > 0, "the surrogate gradient must reach the input even without spikes");
        }
    }

    @Test
    void theKernelsComputeTheZeroResetThemselves() {
        // The parity cases would also pass if the kernels declined the case and left it to LibTorch.
        Shape s = new Shape(2, 6, 9, 31);
        AtomicInteger served = new AtomicInteger();
        NeuronKernels counting = new NeuronKernels() {
            @Override
            public String name() {
                return "counting native";
            }

            @Override
            public Optional<LayerOutput> compute(DynamicsSpec spec, LayerTensors tensors) {
                Optional<LayerOutput> out = nativeKernels.compute(spec, tensors);
                out.ifPresent(o -> served.incrementAndGet());
                return out;
            }
        };
        for (boolean recurrent : new boolean[] {false, true}) {
            try (PointerScope scope = new PointerScope()) {
                new LifLayer(s.inputs(), s.neurons(), LifLayer.Mode.MULTI_SPIKE, LifLayer.Reset.ZERO, recurrent,
                        BETAS.get(0), SURROGATES.get(0), counting).forward(input(s, new Random(3), Density.DENSE));
            }
        }
        assertEquals(2, served.get(), "the native kernels computed both zero-reset layers");
    }

    /** {@code run(current)}: the kernels take a dense current and return its gradient. */
    @TestFactory
    Stream<DynamicNode> runOnCurrentMatches() {
        return EveryIsa.containers(this::runOnCurrentMatchesOnOneIsa);
    }

    Stream<DynamicTest> runOnCurrentMatchesOnOneIsa() {
        List<DynamicTest> tests = new ArrayList<>();
        List<Function<Shape, Function<NeuronKernels, SpikingLayer>>> layers = List.of(
                s -> k -> new LifLayer(s.neurons(), s.neurons(), LifLayer.Mode.MULTI_SPIKE, true, BETAS.get(0),
                        SURROGATES.get(0), k),
                s -> k -> new LifLayer(s.neurons(), s.neurons(), LifLayer.Mode.SINGLE_SPIKE, false, BETAS.get(1),
                        SURROGATES.get(1), k),
                s -> k -> new LifLayer(s.neurons(), s.neurons(), LifLayer.Mode.MULTI_SPIKE, LifLayer.Reset.ZERO, true,
                        BETAS.get(1), SURROGATES.get(2), k),
                s -> k -> new BlockLayer(s.neurons(), s.neurons(), true, BETAS.get(2), SURROGATES.get(2), k),
                s -> k -> new DBlockLayer(s.neurons(), s.neurons(), 3, true, false, DBlockLayer.RecurrentInput.MAX,
                        true, BETAS.get(0), SURROGATES.get(0), k));
        int i = 0;
        for (Shape shape : List.of(new Shape(2, 0, 9, 31), new Shape(1, 0, 40, 70), new Shape(3, 0, 33, 600))) {
            for (Function<Shape, Function<NeuronKernels, SpikingLayer>> layer : layers) {
                long seed = 4000 + i++;
                tests.add(DynamicTest.dynamicTest("run(current) " + shape + " #" + i, () -> {
                    for (long attempt = 0; attempt < 20; attempt++) {
                        Random random = new Random(seed * 31 + attempt);
                        Tensor current = uniform(random, new long[] {shape.batch(), shape.neurons(), shape.steps()})
                                .mul(Tensors.scalar(0.8)).add(Tensors.scalar(0.25));
                        if (compareOnce(shape, seed * 31 + attempt, true, layer.apply(shape),
                                NativeVsTorchTest::run, current, false) != null) {
                            return;
                        }
                    }
                    throw new AssertionError("every draw came within " + THRESHOLD_MARGIN + " of the threshold");
                }));
            }
        }
        return tests.stream();
    }

    static LayerOutput run(SpikingLayer layer, Tensor current) {
        return switch (layer) {
            case LifLayer l -> l.run(current);
            case BlockLayer l -> l.run(current);
            case DBlockLayer l -> l.run(current);
        };
    }

    /**
     * A NaN input (or an infinite current) gives NaN spikes where LibTorch's ops do, so that the loss turns NaN on
     * both paths. For the LIF layers the positions agree exactly. For block layers the LibTorch path's matrix product
     * (0 * NaN) also makes the steps of a block before the first NaN NaN, where the kernels' scan keeps the finite
     * values: there every (sample, neuron, block) holds a NaN on both paths or on neither, each NaN of the kernels is
     * one of LibTorch's, and the finite spikes agree.
     */
    @TestFactory
    Stream<DynamicNode> nonFiniteValuesGiveNanSpikesWhereLibTorchDoes() {
        return EveryIsa.containers(this::nonFiniteValuesGiveNanSpikesWhereLibTorchDoesOnOneIsa);
    }

    Stream<DynamicTest> nonFiniteValuesGiveNanSpikesWhereLibTorchDoesOnOneIsa() {
        Shape s = new Shape(3, 10, 9, 40);
        Surrogate fast = SURROGATES.get(0);
        Surrogate arctan = SURROGATES.get(1);
        Surrogate triangle = SURROGATES.get(2);
        /**
         * blocks: 0 for a LIF layer (exact positions); infGivesNan: an infinite current makes spikes NaN (the fast
         * sigmoid's f is inf / inf; the single-spike mask multiplies an infinite membrane by 0).
         */
        record Case(String name, int blocks, boolean infGivesNan, Function<NeuronKernels, SpikingLayer> factory) {
        }
        List<Case> cases = List.of(
                new Case("lif multi rec", 0, true, k -> new LifLayer(s.inputs(), s.neurons(), LifLayer.Mode.MULTI_SPIKE,
                        true, BETAS.get(0), fast, k)),
                new Case("lif multi arctan", 0, false, k -> new LifLayer(s.inputs(), s.neurons(), LifLayer.Mode.MULTI_SPIKE,
                        false, BETAS.get(0), arctan, k)),
                new Case("lif multi zero reset rec", 0, true, k -> new LifLayer(s.inputs(), s.neurons(),
                        LifLayer.Mode.MULTI_SPIKE, LifLayer.Reset.ZERO, true, BETAS.get(0), fast, k)),
                new Case("lif single rec", 0, true, k -> new LifLayer(s.inputs(), s.neurons(), LifLayer.Mode.SINGLE_SPIKE,
                        true, BETAS.get(1), triangle, k)),
                new Case("block", 1, true, k -> new BlockLayer(s.inputs(), s.neurons(), true, BETAS.get(0), fast, k)),
                new Case("dblock d=3 rec", 3, false, k -> new DBlockLayer(s.inputs(), s.neurons(), 3, true, true,
                        DBlockLayer.RecurrentInput.MAX, true, BETAS.get(2), arctan, k)),
                new Case("dblock d=4 rec sum attached", 4, true, k -> new DBlockLayer(s.inputs(), s.neurons(), 4, true,
                        false, DBlockLayer.RecurrentInput.SUM, true, BETAS.get(0), fast, k)));
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases) {
            tests.add(DynamicTest.dynamicTest(c.name() + ", NaN input", () -> {
                Tensor x = input(s, new Random(17), Density.SPARSE);
                // sample 0 stays clean; sample 1 gets a NaN input late, sample 2 early
                x.select(0, 1).select(0, 2).select(0, 29).fill_(Tensors.scalar(Float.NaN));
                x.select(0, 2).select(0, 7).select(0, 3).fill_(Tensors.scalar(Float.NaN));
                compareNonFinite(s, c.blocks(), c.factory(), SpikingLayer::forward, x, true);
            }));
            if (c.blocks() == 0) {
                tests.add(DynamicTest.dynamicTest(c.name() + ", infinite current", () -> {
                    Tensor current = uniform(new Random(18), new long[] {s.batch(), s.neurons(), s.steps()})
                            .mul(Tensors.scalar(0.8)).add(Tensors.scalar(0.25));
                    current.select(0, 1).select(0, 4).select(0, 11).fill_(Tensors.scalar(Float.POSITIVE_INFINITY));
                    current.select(0, 2).select(0, 0).select(0, 20).fill_(Tensors.scalar(Float.NEGATIVE_INFINITY));
                    compareNonFinite(s, 0, c.factory(), NativeVsTorchTest::run, current, c.infGivesNan());
                }));
            }
        }
        return tests.stream();
    }

    /**
     * One comparison of {@link #nonFiniteValuesGiveNanSpikesWhereLibTorchDoes}; {@code blocks} 0: exact positions;
     * {@code expectNan}: the values must give NaN spikes.
     */
    static void compareNonFinite(Shape s, int blocks, Function<NeuronKernels, SpikingLayer> factory,
            BiFunction<SpikingLayer, Tensor, LayerOutput> apply, Tensor x, boolean expectNan) {
        try (PointerScope scope = new PointerScope()) {
            TorchRuntime.seed(19);
            SpikingLayer torchLayer = factory.apply(NeuronKernels.TORCH);
            SpikingLayer nativeLayer = factory.apply(nativeKernels);
            Parameters.load(nativeLayer.module(), Parameters.named(torchLayer.module()));
            float[] e = Tensors.toArray(apply.apply(torchLayer, x.clone().set_requires_grad(true)).spikes());
            float[] a = Tensors.toArray(apply.apply(nativeLayer, x.clone().set_requires_grad(true)).spikes());
            int steps = (int) x.size(2);
            int nans = 0;
            for (int row = 0; row < e.length / steps; row++) {
                boolean[] torchBlock = new boolean[blocks + 1];
                boolean[] nativeBlock = new boolean[blocks + 1];
                for (int t = 0; t < steps; t++) {
                    int i = row * steps + t;
                    boolean en = Float.isNaN(e[i]);
                    boolean an = Float.isNaN(a[i]);
                    nans += an ? 1 : 0;
                    String at = "row " + row + ", step " + t;
                    if (blocks == 0) {
                        assertEquals(en, an, at + ": NaN on one path only (torch " + e[i] + ", native " + a[i] + ")");
                    } else {
                        assertTrue(!an || en, at + ": NaN spike of the kernels where LibTorch's is " + e[i]);
                        int len = steps / blocks;
                        int k = Math.min(t / len, blocks);
                        torchBlock[k] |= en;
                        nativeBlock[k] |= an;
                    }
                    if (!en && !an) {
                        assertEquals(e[i], a[i], at + ": finite spikes differ");
                    }
                }
                assertArrayEquals(torchBlock, nativeBlock, "row " + row + ": blocks holding a NaN spike");
            }
            assertEquals(expectNan, nans > 0, "NaN spikes: " + nans);
            assertTrue(nans < e.length, "everything is NaN: the clean sample must stay finite");
        }
    }

    @Test
    void outputsComeFromTheNativeKernels() {
        Shape s = new Shape(2, 4, 3, 12);
        SpikingLayer layer = new DBlockLayer(s.inputs(), s.neurons(), 3, true, true, DBlockLayer.RecurrentInput.MAX,
                true, BETAS.get(0), SURROGATES.get(0), nativeKernels);
        LayerOutput out = layer.forward(Tensors.zeros(s.batch(), s.inputs(), s.steps()).set_requires_grad(true));
        String node = out.spikes().grad_fn().name().getString();
        assertTrue(node.startsWith("ExpandBackward"), "native outputs are the link expanded (with memory of their own), got " + node);
    }

    @Test
    void forwardWithoutGradientsMatches() {
        Shape s = new Shape(3, 10, 16, 45);
        Function<NeuronKernels, SpikingLayer> factory = k -> new DBlockLayer(s.inputs(), s.neurons(), 4, true, true,
                DBlockLayer.RecurrentInput.MAX, true, BETAS.get(0), SURROGATES.get(0), k);
        SpikingLayer torchLayer = factory.apply(NeuronKernels.TORCH);
        SpikingLayer nativeLayer = factory.apply(nativeKernels);
        Parameters.load(nativeLayer.module(), Parameters.named(torchLayer.module()));
        Tensor x = input(s, new Random(5), Density.SPARSE);
        try (NoGradGuard guard = new NoGradGuard()) {
            LayerOutput a = torchLayer.forward(x);
            LayerOutput b = nativeLayer.forward(x);
            assertTrue(!b.spikes().requires_grad(), "no graph without grad mode");
            assertArrayEquals(Tensors.toArray(a.spikes()), Tensors.toArray(b.spikes()));
        }
    }

    // ----- the comparison -----------------------------------------------------------------------------------

    record Result(Tensor nativeSpikes, double inputGradientMax) {
    }

    static void compare(Shape s, long seed, Density density, boolean spiking,
            Function<NeuronKernels, SpikingLayer> factory) {
        for (long attempt = 0; attempt < 20; attempt++) {
            Random random = new Random(seed * 31 + attempt);
            Tensor x = input(s, random, density);
            if (NativeKernels.projectsEvents(x, s.neurons()) != (density != Density.DENSE)) {
                continue; // a draw on the wrong side of the density threshold
            }
            if (compareOnce(s, seed * 31 + attempt, spiking, factory, SpikingLayer::forward, x, false) != null) {
                return;
            }
        }
        throw new AssertionError("every draw came within " + THRESHOLD_MARGIN + " of the threshold or missed the"
                + " density " + density);
    }

    /**
     * One draw; null when a torch membrane lies too close to the threshold to compare spikes exactly.
     *
     * @param silent keep the biases at zero (so that a zero input cannot spike) and compare whatever the membranes
     */
    static Result compareOnce(Shape s, long seed, boolean spiking, Function<NeuronKernels, SpikingLayer> factory,
            BiFunction<SpikingLayer, Tensor, LayerOutput> apply, Tensor x, boolean silent) {
        try (PointerScope scope = new PointerScope()) {
            TorchRuntime.seed(seed);
            SpikingLayer torchLayer = factory.apply(NeuronKernels.TORCH);
            SpikingLayer nativeLayer = factory.apply(nativeKernels);
            Random random = new Random(seed);
            randomizeBetaAndBiases(torchLayer, random, !silent);
            Map<String, Tensor> params = Parameters.named(torchLayer.module());
            Parameters.load(nativeLayer.module(), params);

            Tensor xt = x.clone().set_requires_grad(true);
            Tensor xn = x.clone().set_requires_grad(true);
            LayerOutput expected = apply.apply(torchLayer, xt);
            if (spiking && !silent && nearThreshold(expected.membrane())) {
                return null;
            }
            LayerOutput actual = apply.apply(nativeLayer, xn);
            String what = torchLayer.getClass().getSimpleName() + " seed " + seed;
            if (spiking) {
                assertArrayEquals(Tensors.toArray(expected.spikes()), Tensors.toArray(actual.spikes()),
                        what + ": spikes");
            }
            assertClose(what + ": membrane", expected.membrane(), actual.membrane(), MEMBRANE_TOLERANCE);

            Tensor upMembrane = uniform(random, Tensors.shape(expected.membrane()));
            Tensor upSpikes = spiking ? uniform(random, Tensors.shape(expected.spikes())) : null;
            loss(expected, upSpikes, upMembrane).backward();
            loss(actual, upSpikes, upMembrane).backward();

            assertClose(what + ": input gradient", xt.grad(), xn.grad(), GRADIENT_TOLERANCE);
            Map<String, Tensor> nativeParams = Parameters.named(nativeLayer.module());
            for (Map.Entry<String, Tensor> p : params.entrySet()) {
                Tensor e = p.getValue().grad();
                Tensor a = nativeParams.get(p.getKey()).grad();
                boolean expectedDefined = e != null && e.defined();
                boolean actualDefined = a != null && a.defined();
                assertEquals(expectedDefined, actualDefined, what + ": whether " + p.getKey() + " has a gradient");
                if (expectedDefined) {
                    assertClose(what + ": gradient of " + p.getKey(), e, a,
                            p.getKey().endsWith("beta") || p.getKey().equals("recurrent.bias")
                                    ? BETA_GRADIENT_TOLERANCE : GRADIENT_TOLERANCE);
                }
            }
            Tensor spikesCopy = spiking ? actual.spikes().detach().clone() : Tensors.zeros(1);
            spikesCopy.retainReference();
            return new Result(spikesCopy, maxAbs(Tensors.toArray(xn.grad())));
        }
    }

    static Tensor loss(LayerOutput out, Tensor upSpikes, Tensor upMembrane) {
        Tensor l = out.membrane().mul(upMembrane).sum();
        return upSpikes == null ? l : l.add(out.spikes().mul(upSpikes).sum());
    }

    /** Binary input spikes with a random rate per sample, scaled so that neurons fire at moderate rates. */
    static Tensor input(Shape s, Random random, Density density) {
        float[] v = new float[s.batch() * s.inputs() * s.steps()];
        for (int b = 0; b < s.batch(); b++) {
            double rate = switch (density) {
                case SPARSE -> 0.01 + 0.07 * random.nextDouble();
                case MIXED -> b == 0 ? 0.02 : 0.3 + 0.3 * random.nextDouble();
                case DENSE -> 0.2 + 0.3 * random.nextDouble();
            };
            // Fewer, stronger inputs when sparse, so that neurons still fire.
            double scale = (rate < 0.1 ? 4 : 1.5) + random.nextDouble() * 2;
            for (int i = 0; i < s.inputs() * s.steps(); i++) {
                v[b * s.inputs() * s.steps() + i] = random.nextDouble() < rate ? (float) scale : 0f;
            }
        }
        return Tensors.fromArray(v, s.batch(), s.inputs(), s.steps());
    }

    /** Raw betas in [0.5, 1.1) (some above 1, where the clamp stops their gradient) and biases in +-0.3. */
    static void randomizeBetaAndBiases(SpikingLayer layer, Random random, boolean biases) {
        Map<String, Tensor> values = new java.util.HashMap<>();
        for (Map.Entry<String, Tensor> p : Parameters.named(layer.module()).entrySet()) {
            boolean beta = p.getKey().equals("beta");
            if (beta || (biases && p.getKey().endsWith("bias"))) {
                float[] v = new float[(int) p.getValue().numel()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (beta ? 0.5 + 0.6 * random.nextDouble() : 0.6 * random.nextDouble() - 0.3);
                }
                values.put(p.getKey(), Tensors.fromArray(v, Tensors.shape(p.getValue())));
            }
        }
        Parameters.load(layer.module(), values);
    }

    static Tensor uniform(Random random, long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return Tensors.fromArray(v, shape);
    }

    static boolean nearThreshold(Tensor membrane) {
        for (float v : Tensors.toArray(membrane)) {
            if (Math.abs(v - 1.0) < THRESHOLD_MARGIN) {
                return true;
            }
        }
        return false;
    }

    static double sum(Tensor t) {
        double s = 0;
        for (float v : Tensors.toArray(t)) {
            s += v;
        }
        return s;
    }
}
