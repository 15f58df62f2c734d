package snn.config;

import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import snn.config.Publication.RemoteFile;
import snn.config.Publication.Unpack;

/**
 * Every dataset snn knows, with its facts in one place: the name configs use, what kind of data it is, the papers'
 * time steps and bin width, its input channels and classes, its split files, its published sizes, and where it is
 * published. The config validator, the loaders, {@code snn data}, the dry run and the missing-file messages all read
 * them here.
 */
public enum KnownDataset {

    /** The built-in synthetic spiking task (its shape is set by {@code data.synthetic}). */
    SYNTHETIC("synthetic", Kind.SYNTHETIC, 100, 1.0, 0, 0, 0, 0, List.of("train", "test"), null),

    /** Fashion-MNIST: 28x28 grey images, 10 classes. */
    FASHION_MNIST("fashion-mnist", Kind.IMAGES, 100, 1.0, 784, 10, 60_000, 10_000, List.of("train", "test"),
            new Publication("fashion-mnist", "Fashion-MNIST (Zalando Research, MIT licence)",
                    "https://github.com/zalandoresearch/fashion-mnist", "the four *-ubyte.gz IDX files, kept gzipped",
                    Bases.FASHION, null, List.of(
                            RemoteFile.idx("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                            RemoteFile.idx("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                            RemoteFile.idx("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                            RemoteFile.idx("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")))),

    /** MNIST: 28x28 grey digits, 10 classes. */
    MNIST("mnist", Kind.IMAGES, 100, 1.0, 784, 10, 60_000, 10_000, List.of("train", "test"),
            new Publication("mnist", "MNIST (LeCun, Cortes and Burges)", "https://yann.lecun.com/exdb/mnist/",
                    "the four *-ubyte.gz IDX files, kept gzipped; PyTorch's mirror " + Bases.MNIST, Bases.MNIST, null,
                    List.of(
                            RemoteFile.idx("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                            RemoteFile.idx("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                            RemoteFile.idx("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                            RemoteFile.idx("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")))),

    /** N-MNIST: events of a 34x34 sensor (polarities merged), 10 classes. */
    NMNIST("nmnist", Kind.EVENTS, 300, 1.0, 34 * 34, 10, 60_000, 10_000, List.of("train", "test"),
            new Publication("nmnist", "N-MNIST (Orchard et al. 2015)", "https://www.garrickorchard.com/datasets/n-mnist",
                    "Train.zip and Test.zip unzipped into Train/ and Test/, or the papers' HDF5 conversion"
                            + " train.h5 and test.h5", Bases.MENDELEY_NMNIST, null, List.of(
                            new RemoteFile("Train.zip",
                                    Bases.MENDELEY_NMNIST.resolve("39c25547-014b-4137-a934-9d29fa53c7a0/file_downloaded"),
                                    "20959b8e626244a1b502305a9e6e2031", Unpack.UNZIP, "Train"),
                            new RemoteFile("Test.zip",
                                    Bases.MENDELEY_NMNIST.resolve("05a4d654-7e03-4c15-bdfa-9bb2bcbea494/file_downloaded"),
                                    "69ca8762b2fe404d9b9bad1103e97832", Unpack.UNZIP, "Test")))),

    /** Spiking Heidelberg Digits: 700 cochlea channels, 20 classes. */
    SHD("shd", Kind.EVENTS, 500, 2.0, 700, 20, 8_156, 2_264, List.of("train", "test"),
            new Publication("shd", "Spiking Heidelberg Digits (Cramer et al. 2020)", Bases.ZENKELAB.toString(),
                    "shd_train.h5.gz and shd_test.h5.gz, gunzipped", Bases.ZENKELAB, "md5sums.txt", List.of(
                            RemoteFile.h5gz("shd_train.h5.gz"), RemoteFile.h5gz("shd_test.h5.gz")))),

    /** Spiking Speech Commands: 700 cochlea channels, 35 classes; its validation file is reported, not trained on. */
    SSC("ssc", Kind.EVENTS, 500, 2.0, 700, 35, 75_466, 20_382, List.of("train", "valid", "test"),
            new Publication("ssc", "Spiking Speech Commands (Cramer et al. 2020)", Bases.ZENKELAB.toString(),
                    "ssc_train.h5.gz, ssc_valid.h5.gz and ssc_test.h5.gz, gunzipped", Bases.ZENKELAB, "md5sums.txt",
                    List.of(RemoteFile.h5gz("ssc_train.h5.gz"), RemoteFile.h5gz("ssc_valid.h5.gz"),
                            RemoteFile.h5gz("ssc_test.h5.gz"))));

    /** What a dataset's samples are. */
    public enum Kind {
        /** Generated in memory from the run's seed. */
        SYNTHETIC,
        /** Grey images encoded into spikes (latency or TTFS); the only kind with augmentation. */
        IMAGES,
        /** Recorded events binned into time steps of {@code dt_ms}. */
        EVENTS
    }

    private final String id;
    private final Kind kind;
    private final int defaultTLen;
    private final double defaultDtMs;
    private final int channels;
    private final int classes;
    private final int trainSamples;
    private final int testSamples;
    private final List<String> splits;
    private final Publication publication;

    KnownDataset(String id, Kind kind, int defaultTLen, double defaultDtMs, int channels, int classes,
            int trainSamples, int testSamples, List<String> splits, Publication publication) {
        this.id = id;
        this.kind = kind;
        this.defaultTLen = defaultTLen;
        this.defaultDtMs = defaultDtMs;
        this.channels = channels;
        this.classes = classes;
        this.trainSamples = trainSamples;
        this.testSamples = testSamples;
        this.splits = splits;
        this.publication = publication;
    }

    /**
     * The dataset a config names.
     *
     * @param id a name as configs spell it, e.g. {@code shd}
     * @return the dataset, or empty when snn does not know the name
     */
    public static Optional<KnownDataset> find(String id) {
        return Arrays.stream(values()).filter(d -> d.id.equals(id)).findFirst();
    }

    /** {@return every dataset's name, in declaration order} */
    public static List<String> ids() {
        return Arrays.stream(values()).map(KnownDataset::id).toList();
    }

    /** {@return the names of the datasets read from files (all but {@code synthetic}), in declaration order} */
    public static List<String> fileDatasetIds() {
        return Arrays.stream(values()).filter(d -> d.kind != Kind.SYNTHETIC).map(KnownDataset::id).toList();
    }

    /** {@return the name configs and the CLI use, e.g. {@code fashion-mnist}} */
    public String id() {
        return id;
    }

    /** {@return what the samples are} */
    public Kind kind() {
        return kind;
    }

    /** {@return the papers' time steps per sample (the synthetic task's own {@code t_len} overrides it)} */
    public int defaultTLen() {
        return defaultTLen;
    }

    /** {@return the papers' bin width in ms} */
    public double defaultDtMs() {
        return defaultDtMs;
    }

    /** {@return input channels per time step (0 for {@code synthetic}, whose config sets them)} */
    public int channels() {
        return channels;
    }

    /** {@return the number of classes (0 for {@code synthetic}, whose config sets them)} */
    public int classes() {
        return classes;
    }

    /** {@return the published number of training samples (0 for {@code synthetic})} */
    public int trainSamples() {
        return trainSamples;
    }

    /** {@return the published number of test samples (0 for {@code synthetic})} */
    public int testSamples() {
        return testSamples;
    }

    /** {@return the split files: {@code train} and {@code test}, with {@code valid} between them for SSC} */
    public List<String> splits() {
        return splits;
    }

    /** {@return where the files are published; empty for {@code synthetic}} */
    public Optional<Publication> publication() {
        return Optional.ofNullable(publication);
    }

    /** The publishers' base URLs (a holder class: enum constants cannot refer to the enum's own static fields). */
    private static final class Bases {
        static final URI FASHION =
                URI.create("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/");
        static final URI MNIST = URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/");
        static final URI MENDELEY_NMNIST =
                URI.create("https://data.mendeley.com/public-files/datasets/468j46mzdv/files/");
        static final URI ZENKELAB = URI.create("https://zenkelab.org/datasets/");
    }
}
