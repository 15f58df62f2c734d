package snn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.core.SnnException;
import snn.config.DataConfig;
import snn.config.SyntheticConfig;

/** Dispatch on the dataset name, train/test limits and the validation split. */
class DatasetsTest {

    private static DataConfig synthetic(Double validation, Integer trainLimit, Integer testLimit) {
        DataConfig.Builder b = DataConfig.builder("synthetic")
                .synthetic(SyntheticConfig.builder().classes(4).channels(20).tLen(30).samples(400, 100).build());
        if (validation != null) {
            b.validationFraction(validation);
        }
        return b.build().withLimits(trainLimit, testLimit);
    }

    @Test
    void syntheticDataIsTheBuiltInTaskWithNoValidationByDefault() {
        DatasetSplits splits = Datasets.open(synthetic(null, null, null), 7);
        assertEquals(400, splits.train().size());
        assertEquals(100, splits.test().size());
        assertEquals(20, splits.train().channels());
        assertTrue(splits.validationSplit().isEmpty(), "the papers' protocol: no validation split");
        DatasetSplits direct = SyntheticSpikes.splits(synthetic(null, null, null).synthetic(), 7);
        assertArrayEquals(Fixtures.dense(direct.train(), 5), Fixtures.dense(splits.train(), 5));
    }

    @Test
    void validationIsHeldOutOfTheTrainingSetPerClassWithAFixedSeed() {
        DatasetSplits splits = Datasets.open(synthetic(0.25, null, null), 7);
        SpikeDataset train = splits.train();
        SpikeDataset validation = splits.validationSplit().orElseThrow();
        assertEquals(400, train.size() + validation.size());
        assertEquals(100, validation.size(), 4.0);
        int[] perClass = new int[4];
        int[] perClassAll = new int[4];
        SpikeDataset all = SyntheticSpikes.splits(synthetic(null, null, null).synthetic(), 7).train();
        for (int i = 0; i < all.size(); i++) {
            perClassAll[all.label(i)]++;
        }
        for (int i = 0; i < validation.size(); i++) {
            perClass[validation.label(i)]++;
        }
        for (int c = 0; c < 4; c++) {
            assertEquals(Math.round(0.25 * perClassAll[c]), perClass[c], "class " + c);
        }
        Set<Integer> seen = new HashSet<>();
        for (SpikeDataset part : new SpikeDataset[] {train, validation}) {
            int previous = -1;
            for (int i = 0; i < part.size(); i++) {
                int base = ((Subset) part).baseIndex(i);
                assertTrue(base > previous, "each part keeps the file order");
                previous = base;
                assertTrue(seen.add(base), "sample " + base + " is in both parts");
                assertArrayEquals(Fixtures.dense(all, base), Fixtures.dense(part, i));
            }
        }
        assertEquals(400, seen.size());
        assertEquals(100, splits.test().size(), "the test set is untouched");
    }

    @Test
    void theSplitDoesNotDependOnTheRunSeed(@TempDir Path root) throws IOException {
        byte[][] images = new byte[60][28 * 28];
        int[] labels = new int[60];
        for (int i = 0; i < 60; i++) {
            images[i][i] = (byte) 200;
            labels[i] = i % 3;
        }
        Fixtures.writeIdxImages(root.resolve("train-images-idx3-ubyte"), 28, 28, images);
        Fixtures.writeIdxLabels(root.resolve("train-labels-idx1-ubyte"), labels);
        Fixtures.writeIdxImages(root.resolve("t10k-images-idx3-ubyte"), 28, 28, images[0]);
        Fixtures.writeIdxLabels(root.resolve("t10k-labels-idx1-ubyte"), 0);
        DataConfig cfg = DataConfig.builder("mnist").root(root).validationFraction(0.3).build();
        Set<Integer> a = baseIndices(Datasets.open(cfg, 1).validation());
        Set<Integer> b = baseIndices(Datasets.open(cfg, 123456).validation());
        assertEquals(18, a.size());
        assertEquals(a, b);
        Set<Integer> other = baseIndices(Datasets.holdOutValidation(fixed(), fixed(), 0.3).validation());
        assertEquals(9, other.size());
    }

    @Test
    void limitsTakeTheFirstSamplesBeforeTheSplit() {
        DatasetSplits splits = Datasets.open(synthetic(0.5, 40, 10), 7);
        assertEquals(40, splits.train().size() + splits.validation().size());
        assertEquals(10, splits.test().size());
        SpikeDataset all = SyntheticSpikes.splits(synthetic(null, null, null).synthetic(), 7).test();
        assertArrayEquals(Fixtures.dense(all, 9), Fixtures.dense(splits.test(), 9));
        for (int i = 0; i < splits.validation().size(); i++) {
            assertTrue(((Subset) splits.validation()).baseIndex(i) < 40);
        }
    }

    @Test
    void aFractionThatHoldsOutNothingIsAConfigError() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> Datasets.open(synthetic(0.001, null, null), 7));
        assertInstanceOf(SnnException.class, e);
        assertTrue(e.getMessage().contains("data.validation_fraction"), e.getMessage());
    }

    @Test
    void theValidationPartOfAnAugmentedImageSetIsNotAugmented(@TempDir Path root) throws IOException {
        IdxDatasetsTest.writeDataset(root, true);
        DataConfig cfg = DataConfig.builder("fashion-mnist").root(root).augment(true).validationFraction(0.5).build();
        DatasetSplits splits = Datasets.open(cfg, 1);
        SpikeDataset validation = splits.validation();
        for (int i = 0; i < validation.size(); i++) {
            assertArrayEquals(Fixtures.dense(validation, i), Fixtures.dense(validation, i, new SplittableRandom(i)));
        }
        boolean trainAugments = false;
        for (int seed = 0; seed < 10 && !trainAugments; seed++) {
            trainAugments = !java.util.Arrays.equals(Fixtures.dense(splits.train(), 0),
                    Fixtures.dense(splits.train(), 0, new SplittableRandom(seed)));
        }
        assertTrue(trainAugments, "the training part still augments");
    }

    @Test
    void everyFileDatasetDispatchesToItsLoader(@TempDir Path root) throws IOException {
        assertEquals(700, Datasets.open(Fixtures.config("shd", Fixtures.resource("hdf5/shd")), 1).train().channels());
        assertEquals(35, Datasets.open(Fixtures.config("ssc", Fixtures.resource("hdf5/ssc")), 1).train().classes());
        assertEquals(1156, Datasets.open(Fixtures.config("nmnist", Fixtures.resource("hdf5/nmnist")), 1).test()
                .channels());
        IdxDatasetsTest.writeDataset(root, false);
        assertEquals(784, Datasets.open(Fixtures.config("mnist", root), 1).train().channels());
        assertEquals(784, Datasets.open(Fixtures.config("fashion-mnist", root), 1).test().channels());
    }

    /** A fixed 3-class dataset of 30 samples with no content. */
    private static SpikeDataset fixed() {
        return new SpikeDataset() {
            @Override
            public int size() {
                return 30;
            }

            @Override
            public int channels() {
                return 1;
            }

            @Override
            public int timeSteps() {
                return 1;
            }

            @Override
            public int classes() {
                return 3;
            }

            @Override
            public int label(int index) {
                return index % 3;
            }

            @Override
            public void writeSample(int index, java.lang.foreign.MemorySegment dst) {
            }
        };
    }

    private static Set<Integer> baseIndices(SpikeDataset part) {
        Set<Integer> out = new HashSet<>();
        for (int i = 0; i < part.size(); i++) {
            out.add(((Subset) part).baseIndex(i));
        }
        return out;
    }
}
