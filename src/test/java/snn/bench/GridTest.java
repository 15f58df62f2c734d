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

    @Test
    void everyCombinationIsAPointWithTheStandardReferenceFirst() {
        List<Grid.Planned> plan = Grid.expand(config("[{\"methods\": [\"dblock\", \"block\", \"standard\"],"
                + " \"hidden\": [10, 20], \"t_len\": [8, 16, 32], \"d\": [4, 2]}]"));
        assertEquals(6, plan.size());
        for (Grid.Planned p : plan) {
            assertEquals(List.of(Variant.STANDARD, Variant.BLOCK, new Variant(ModelConfig.Kind.DBLOCK, 2),
                    new Variant(ModelConfig.Kind.DBLOCK, 4)), p.variants());
        }
    }

    @Test
    void pointsSharedBySweepsAreMeasuredOnceWithAllTheirMethods() {
        List<Grid.Planned> plan = Grid.expand(config("[{\"methods\": [\"standard\", \"block\"], \"t_len\": [8, 16]},"
                + " {\"methods\": [\"standard\", \"dblock\"], \"t_len\": [16], \"d\": [2]}]"));
        assertEquals(2, plan.size());
        Grid.Planned shared = plan.stream().filter(p -> p.point().tLen() == 16).findFirst().orElseThrow();
        assertEquals(List.of(Variant.STANDARD, Variant.BLOCK, new Variant(ModelConfig.Kind.DBLOCK, 2)),
                shared.variants());
    }

    @Test
    void dBlockWithMoreBlocksThanStepsIsSkippedWithTheReason() {
        List<Grid.Planned> plan = Grid.expand(config("[{\"t_len\": [8, 32], \"d\": [4, 16]}]"));
        Grid.Planned short8 = plan.get(0);
        assertEquals(8, short8.point().tLen());
        assertFalse(short8.variants().contains(new Variant(ModelConfig.Kind.DBLOCK, 16)));
        assertEquals(List.of("dblock d=16 (d > t_len 8)"), short8.skipped());
        assertTrue(plan.get(1).variants().contains(new Variant(ModelConfig.Kind.DBLOCK, 16)));
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
        assertFalse(Variant.BLOCK.recurrentAt(p.point()));
        assertTrue(dblock.recurrent());
        assertEquals(5, dblock.d());
        assertEquals("standard multi-spike recurrent", p.point().baseline());
    }
}
