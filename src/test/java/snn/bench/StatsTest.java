package snn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void medianAndInterquartileRangeOfAnOddCount() {
        Stats s = Stats.of(new double[] {9, 1, 5, 3, 7});
        assertEquals(5, s.median());
        assertEquals(7 - 3, s.iqr());
    }

    @Test
    void quartilesInterpolateBetweenOrderStatistics() {
        Stats s = Stats.of(new double[] {4, 1, 3, 2});
        assertEquals(2.5, s.median());
        assertEquals(3.25 - 1.75, s.iqr(), 1e-12);
    }

    @Test
    void oneMeasurementHasNoSpread() {
        assertEquals(new Stats(2, 0), Stats.of(new double[] {2}));
        assertThrows(IllegalArgumentException.class, () -> Stats.of(new double[0]));
    }
}
