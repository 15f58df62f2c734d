package snn.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import snn.core.ConfigException;
import snn.core.ConfigException.ConfigError;
import snn.config.DataConfig;
import snn.config.KnownDataset;
import snn.core.DatasetException;
import snn.core.MissingDatasetException;

/**
 * Opens the dataset a {@link DataConfig} names, as the papers prepare it (docs/specification.md §7), and applies the
 * training/test limits and the validation split.
 *
 * <p>Files looked for under {@code data.root}:
 * <ul>
 *   <li>{@code fashion-mnist}, {@code mnist}: {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 *       {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, each gzipped ({@code .gz}) or not;</li>
 *   <li>{@code nmnist}: the original {@code Train/} and {@code Test/} folders of digit folders of {@code .bin}
 *       files, or else the papers' HDF5 conversion {@code train.h5} and {@code test.h5};</li>
 *   <li>{@code shd}: {@code shd_train.h5}, {@code shd_test.h5};</li>
 *   <li>{@code ssc}: {@code ssc_train.h5}, {@code ssc_test.h5} (and {@code ssc_valid.h5}, which only
 *       {@code inspect} reads: the papers train on train and test on test).</li>
 * </ul>
 */
public final class Datasets {

    /**
     * Seed of the validation split. It is fixed, not the run's seed, so that every run of an experiment holds out
     * the same samples and validation scores stay comparable across seeds.
     */
    public static final long VALIDATION_SEED = 0x5EED_5B17L;

    private Datasets() {
    }

    /**
     * The training, validation and test splits {@code cfg} describes.
     *
     * <p>{@code train_limit} and {@code test_limit} keep the first N samples of each file. A positive
     * {@code validation_fraction} then holds out that share of the (limited) training set, per class, chosen with
     * {@link #VALIDATION_SEED}; 0 keeps the papers' protocol (no validation split).
     *
     * @param cfg  the dataset, its encoding, limits and validation fraction
     * @param seed the run's seed (only the synthetic task depends on it)
     * @return the splits; validation is absent when {@code validation_fraction} is 0
     * @throws ConfigException         when the dataset is unknown, {@code data.root} is missing, augmentation is
     *                                 asked of a non-image dataset, or the validation fraction leaves a part empty
     * @throws MissingDatasetException when a file is missing (the message says how to get it)
     * @throws DatasetException        when a file is corrupt
     */
    public static DatasetSplits open(DataConfig cfg, long seed) {
        SpikeDataset train;
        SpikeDataset test;
        if (known(cfg).kind() == KnownDataset.Kind.SYNTHETIC) {
            DatasetSplits synthetic = SyntheticSpikes.splits(cfg.synthetic(), seed);
            train = Subset.first(synthetic.train(), cfg.trainLimit());
            test = Subset.first(synthetic.test(), cfg.testLimit());
        } else {
            if (cfg.augment() && known(cfg).kind() != KnownDataset.Kind.IMAGES) {
                throw new ConfigException("data", List.of(new ConfigError("data.augment",
                        "only the image datasets (fashion-mnist, mnist) have augmentation; the papers use none for "
                                + cfg.dataset())));
            }
            train = Subset.first(openSplit(cfg, "train", cfg.trainLimit()), cfg.trainLimit());
            test = Subset.first(openSplit(cfg, "test", cfg.testLimit()), cfg.testLimit());
        }
        return holdOutValidation(train, test, cfg.validationFraction());
    }

    /**
     * One whole split file of a file-based dataset (no limit, no validation split; augmentation for "train" when
     * {@code cfg.augment()}).
     *
     * @param cfg   the dataset, its root folder and encoding
     * @param split one of the dataset's {@link KnownDataset#splits()}
     * @return every sample of the split file
     * @throws IllegalArgumentException when the dataset is {@code synthetic} or has no such split
     * @throws ConfigException          when the dataset is unknown or {@code data.root} is missing
     * @throws MissingDatasetException  when a file is missing
     * @throws DatasetException         when a file is corrupt
     */
    public static InspectableDataset openSplit(DataConfig cfg, String split) {
        return openSplit(cfg, split, null);
    }

    private static InspectableDataset openSplit(DataConfig cfg, String split, Integer limit) {
        String name = cfg.dataset();
        KnownDataset dataset = known(cfg);
        if (!dataset.splits().contains(split) || dataset.kind() == KnownDataset.Kind.SYNTHETIC) {
            throw new IllegalArgumentException("dataset " + name + " has no split file '" + split + "'");
        }
        Path root = cfg.root();
        if (root == null) {
            throw new ConfigException("data", List.of(new ConfigError("data.root",
                    "required for dataset \"" + name + "\": the folder holding its files")));
        }
        if (!Files.isDirectory(root)) {
            throw missing(root, name, root);
        }
        return switch (dataset) {
            case FASHION_MNIST, MNIST -> images(cfg, dataset, split);
            case NMNIST -> nmnist(cfg, split, limit);
            case SHD, SSC -> hdf5(cfg, dataset, split, limit);
            case SYNTHETIC -> throw new IllegalStateException("not a file dataset");
        };
    }

    /**
     * The error for a missing dataset file, saying where the dataset is published and which command fetches it.
     *
     * @param missing the path that was looked for
     * @param dataset the dataset's name
     * @param root    the dataset folder
     * @return the exception to throw
     */
    static MissingDatasetException missing(Path missing, String dataset, Path root) {
        return KnownDataset.find(dataset).flatMap(KnownDataset::publication)
                .map(p -> new MissingDatasetException(missing, " (" + p.title() + ").\n  Get it from " + p.homepage()
                        + " (" + p.manualSteps() + "),\n  or run: snn data download " + dataset + " --root " + root))
                .orElseGet(() -> new MissingDatasetException(missing, ""));
    }

    /** The registry entry of the dataset {@code cfg} names. */
    private static KnownDataset known(DataConfig cfg) {
        return KnownDataset.find(cfg.dataset()).orElseThrow(() -> new ConfigException("data", List.of(
                new ConfigError("data.dataset", "expected one of " + KnownDataset.ids() + ", got \""
                        + cfg.dataset() + "\""))));
    }

    private static ImageDataset images(DataConfig cfg, KnownDataset dataset, String split) {
        String prefix = split.equals("train") ? "train" : "t10k";
        Path imagesFile = idxFile(cfg, prefix + "-images-idx3-ubyte");
        Path labelsFile = idxFile(cfg, prefix + "-labels-idx1-ubyte");
        IdxReader.Images images = IdxReader.readImages(imagesFile);
        if ((long) images.rows() * images.cols() != dataset.channels()) {
            throw new DatasetException(imagesFile, "images are " + images.rows() + "x" + images.cols() + ", "
                    + cfg.dataset() + " images are 28x28");
        }
        if (images.count() == 0) {
            throw new DatasetException(imagesFile, "holds no images");
        }
        byte[] labels = IdxReader.readLabels(labelsFile);
        if (labels.length != images.count()) {
            throw new DatasetException(labelsFile, "holds " + labels.length + " labels but " + imagesFile.getFileName()
                    + " holds " + images.count() + " images");
        }
        for (int i = 0; i < labels.length; i++) {
            int label = labels[i] & 0xFF;
            if (label >= dataset.classes()) {
                throw new DatasetException(labelsFile, "label " + label + " of sample " + i + " is outside 0.."
                        + (dataset.classes() - 1));
            }
        }
        ImageAugmentation augmentation = null;
        if (split.equals("train") && cfg.augment()) {
            augmentation = dataset == KnownDataset.MNIST ? ImageAugmentation.MNIST : ImageAugmentation.FASHION_MNIST;
        }
        return new ImageDataset(cfg.dataset() + "/" + split, images, labels, dataset.classes(), cfg.tLen(), cfg.encoding(),
                cfg.dtMs(), augmentation, imagesFile.toString());
    }

    /** {@code base} or {@code base.gz}, whichever exists (the uncompressed file first). */
    private static Path idxFile(DataConfig cfg, String base) {
        Path plain = cfg.root().resolve(base);
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        Path gz = cfg.root().resolve(base + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw missing(gz, cfg.dataset(), cfg.root());
    }

    private static EventDataset nmnist(DataConfig cfg, String split, Integer limit) {
        Path root = cfg.root();
        Path folder = root.resolve(split.equals("train") ? "Train" : "Test");
        Path h5 = root.resolve(split + ".h5");
        if (Files.isDirectory(folder)) {
            return NmnistBinReader.read(folder, nmnistBuilder(cfg, split, folder), limit);
        }
        if (Files.isRegularFile(h5)) {
            return Hdf5EventReader.read(h5, nmnistBuilder(cfg, split, h5), limit);
        }
        throw missing(folder, "nmnist", root);
    }

    private static EventDataset.Builder nmnistBuilder(DataConfig cfg, String split, Path source) {
        return new EventDataset.Builder("nmnist/" + split, KnownDataset.NMNIST.channels(), cfg.tLen(), cfg.dtMs(),
                KnownDataset.NMNIST.classes(), source.toString());
    }

    private static EventDataset hdf5(DataConfig cfg, KnownDataset dataset, String split, Integer limit) {
        Path file = cfg.root().resolve(dataset.id() + "_" + split + ".h5");
        if (!Files.isRegularFile(file)) {
            throw missing(file, cfg.dataset(), cfg.root());
        }
        EventDataset.Builder builder = new EventDataset.Builder(cfg.dataset() + "/" + split, dataset.channels(),
                cfg.tLen(), cfg.dtMs(), dataset.classes(), file.toString());
        return Hdf5EventReader.read(file, builder, limit);
    }

    /**
     * Splits {@code train} into training and validation parts: per class, a shuffled (seed
     * {@link #VALIDATION_SEED}) {@code round(fraction * count)} samples are held out. Both parts keep the original
     * order. The validation part never augments.
     *
     * @param train    the training set to split
     * @param test     the test set, passed through
     * @param fraction share held out per class, in [0, 1); 0 gives no validation split
     * @return the splits
     * @throws ConfigException when {@code fraction} leaves no validation or no training sample
     */
    public static DatasetSplits holdOutValidation(SpikeDataset train, SpikeDataset test, double fraction) {
        if (fraction <= 0) {
            return new DatasetSplits(train, null, test);
        }
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < train.classes(); c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < train.size(); i++) {
            byClass.get(train.label(i)).add(i);
        }
        SplittableRandom random = new SplittableRandom(VALIDATION_SEED);
        boolean[] held = new boolean[train.size()];
        int heldCount = 0;
        for (List<Integer> members : byClass) {
            int[] shuffled = members.stream().mapToInt(Integer::intValue).toArray();
            for (int i = shuffled.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int tmp = shuffled[i];
                shuffled[i] = shuffled[j];
                shuffled[j] = tmp;
            }
            int take = (int) Math.round(fraction * shuffled.length);
            for (int k = 0; k < take; k++) {
                held[shuffled[k]] = true;
            }
            heldCount += take;
        }
        if (heldCount == 0 || heldCount == train.size()) {
            throw new ConfigException("data", List.of(new ConfigError("data.validation_fraction", "a fraction of "
                    + fraction + " of " + train.size() + " training samples leaves "
                    + (heldCount == 0 ? "no validation sample" : "no training sample"))));
        }
        int[] validation = new int[heldCount];
        int[] remaining = new int[train.size() - heldCount];
        for (int i = 0, v = 0, r = 0; i < train.size(); i++) {
            if (held[i]) {
                validation[v++] = i;
            } else {
                remaining[r++] = i;
            }
        }
        return new DatasetSplits(new Subset(train, remaining, true, train.name() + " (train part)"),
                new Subset(train, validation, false, train.name() + " (validation part)"), test);
    }
}
