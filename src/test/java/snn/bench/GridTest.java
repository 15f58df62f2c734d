package snn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import snn.config.ModelConfig;

class GridTest {

    private static BenchConfig config(String sweeps) {
        return BenchConfigLoader.parse("{\"sweeps\": " + sweeps + "}", List.of(), "test");
    }

    private static final ModelConfig.Kernels AUTO = ModelConfig.Kernels.AUTO;
    private static final ModelConfig.Kernels NATIVE = ModelConfig.Kernels.NATIVE;
    private static final ModelConfig.Kernels TORCH = ModelConfig.Kernels.TORCH;
    private static final Variant STANDARD = Variant.standard(AUTO);
    private static final Variant BLOCK = new Variant(ModelConfig.Kind.BLOCK, null, AUTO);
    private static final Variant BASELINE = Variant.standard(TORCH);

    private static Variant dblock(int d) {
        return new Variant(ModelConfig.Kind.DBLOCK, d, AUTO);
    }

    @Test
    void everyCombinationIsAPointWithTheStandardReferenceFirstAndTheBaselineAdded() {
        List<Grid.Planned> plan = Grid.expand(config("[{\"methods\": [\"dblock\", \"block\", \"standard\"],"
                + " \"hidden\": [10, 20], \"t_len\": [8, 16, 32], \"d\": [4, 2]}]"));
        assertEquals(6, plan.size());
        for (Grid.Planned p : plan) {
            assertEquals(List.of(STANDARD, BLOCK, dblock(2), dblock(4), BASELINE), p.variants());
        }
    }

    @Test
    void kernelFamiliesAreVariantsOfOnePointAndTheBaselineIsMeasuredOnce() {
        List<Grid.Planned> plan = Grid.expand(config("[{\"methods\": [\"standard\", \"dblock\"], \"t_len\": [16],"
                + " \"d\": [4], \"kernels\": [\"torch\", \"native\"]}]"));
        assertEquals(1, plan.size());
        assertEquals(List.of(Variant.standard(NATIVE), new Variant(ModelConfig.Kind.DBLOCK, 4, NATIVE), BASELINE,
                new Variant(ModelConfig.Kind.DBLOCK, 4, TORCH)), plan.get(0).variants());
        // a chosen baseline that no sweep names is added to every point it fits
        BenchConfig c = BenchConfigLoader.parse("{\"baseline\": {\"method\": \"dblock\", \"d\": 10,"
                + " \"kernels\": \"native\"}, \"sweeps\": [{\"methods\": [\"standard\"], \"t_len\": [8, 16]}]}",
                List.of(), "test");
        List<Grid.Planned> withDBlock = Grid.expand(c);
        assertEquals(List.of(STANDARD), withDBlock.get(0).variants(), "d = 10 does not fit T = 8");
        assertEquals(List.of(STANDARD, new Variant(ModelConfig.Kind.DBLOCK, 10, NATIVE)), withDBlock.get(1).variants());
    }

    @Test
    void inputRatesArePointsAndTheirAbsenceIsThePapersPoissonProtocol() {
        List<Grid.Planned> plan = Grid.expand(config("[{\"t_len\": [16], \"input_rate\": [0.015, 0.2]},"
                + " {\"t_len\": [16]}]"));
        assertEquals(3, plan.size());
        assertEquals(0.015, plan.get(0).point().inputRate());
        assertEquals("0.015", plan.get(0).point().input());
        assertEquals(0.2, plan.get(1).point().inputRate());
        assertEquals(null, plan.get(2).point().inputRate());
        assertEquals("poisson", plan.get(2).point().input());
    }

    @Test
    void pointsSharedBySweepsAreMeasuredOnceWithAllTheirMethods() {
        List<Grid.Planned> plan = Grid.expand(config("[{\"methods\": [\"standard\", \"block\"], \"t_len\": [8, 16]},"
                + " {\"methods\": [\"standard\", \"dblock\"], \"t_len\": [16], \"d\": [2]}]"));
        assertEquals(2, plan.size());
        Grid.Planned shared = plan.stream().filter(p -> p.point().tLen() == 16).findFirst().orElseThrow();
        assertEquals(List.of(STANDARD, BLOCK, dblock(2), BASELINE), shared.variants());
    }

    @Test
    void dBlockWithMoreBlocksThanStepsIsSkippedWithTheReason() {
        List<Grid.Planned> plan = Grid.expand(config("[{\"t_len\": [8, 32], \"d\": [4, 16]}]"));
        Grid.Planned short8 = plan.get(0);
        assertEquals(8, short8.point().tLen());
        assertFalse(short8.variants().contains(dblock(16)));
        assertEquals(List.of("dblock d=16 (d > t_len 8)"), short8.skipped());
        assertTrue(plan.get(1).variants().contains(dblock(16)));
    }

    @Test
    void modelsFollowThePointAndTheBlockModelStaysFeedForward() {
        Grid.Planned p = Grid.expand(config("[{\"recurrent\": [true], \"layers\": [2], \"hidden\": [30],"
                + " \"standard_single_spike\": false, \"learn_beta\": [false], \"d\": [5]}]")).get(0);
        ModelConfig standard = p.variants().get(0).model(p.point());
        ModelConfig block = p.variants().get(1).model(p.point());
        ModelConfig dblock = p.variants().get(2).model(p.point());
        assertEquals(List.of(30, 30), standard.hidden());
        assertTrue(standard.recurrent());
        assertFalse(standard.singleSpike());
        assertFalse(standard.learnBeta());
        assertFalse(block.recurrent());
        assertFalse(BLOCK.recurrentAt(p.point()));
        assertEquals(ModelConfig.Kernels.TORCH, p.variants().get(3).model(p.point()).kernels());
        assertTrue(dblock.recurrent());
        assertEquals(5, dblock.d());
        assertEquals("standard multi-spike recurrent", p.point().baseline());
    }
}
