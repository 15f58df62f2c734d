package snn.data;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where each supported dataset is published: the official download URLs, their published MD5 checksums, how each
 * archive is unpacked and what it installs in the dataset folder. Used by {@code snn data download} and by the
 * missing-file messages.
 *
 * <p>The checksums of Fashion-MNIST and MNIST are the ones their publishers list (and torchvision checks); those of
 * N-MNIST are the ones of the Mendeley Data archives (the same as the author's Dropbox copies). The Zenke lab
 * publishes the SHD/SSC checksums next to the files, in {@code md5sums.txt}, which the downloader fetches first.
 */
public final class DatasetCatalog {

    private DatasetCatalog() {
    }

    /** How a downloaded file becomes what the loader reads. */
    public enum Unpack {
        /** Kept as downloaded (the IDX loader reads {@code .gz} directly). */
        NONE,
        /** {@code x.gz} is decompressed to {@code x}. */
        GUNZIP,
        /** A zip archive; its top-level entry {@link RemoteFile#installs()} is moved into the dataset folder. */
        UNZIP,
        /** A gzipped tar archive, unpacked like {@link #UNZIP}. */
        UNTAR_GZ
    }

    /**
     * One published file.
     *
     * @param name        the file's name (also its name under a {@code --base-url} mirror)
     * @param officialUrl where it is published; {@code null} means the entry's base URL plus {@code name}
     * @param md5         its published MD5 (lower-case hex), or {@code null} to take it from the entry's checksum
     *                    manifest
     * @param unpack      how it is unpacked
     * @param installs    the file or folder it puts in the dataset folder (for {@link Unpack#UNZIP} and
     *                    {@link Unpack#UNTAR_GZ}: the archive's top-level entry that is kept)
     */
    public record RemoteFile(String name, URI officialUrl, String md5, Unpack unpack, String installs) {
    }

    /**
     * A dataset's publication.
     *
     * @param name             the name used by configs and the CLI
     * @param title            human-readable title with its source
     * @param homepage         the page that documents the data set and links the files
     * @param manualSteps      what to fetch by hand, in a few words
     * @param base             the base URL of the files (and of the checksum manifest)
     * @param checksumManifest name of a published {@code md5sum}-format list next to the files, or {@code null}
     * @param files            the files to fetch
     */
    public record Entry(String name, String title, String homepage, String manualSteps, URI base,
            String checksumManifest, List<RemoteFile> files) {

        /** Copies {@code files}. */
        public Entry {
            files = List.copyOf(files);
        }
    }

    private static final URI FASHION_BASE =
            URI.create("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/");
    private static final URI MNIST_BASE = URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/");
    private static final URI MENDELEY_NMNIST =
            URI.create("https://data.mendeley.com/public-files/datasets/468j46mzdv/files/");
    private static final URI ZENKELAB = URI.create("https://zenkelab.org/datasets/");

    private static final Map<String, Entry> ENTRIES = Map.of(
            "fashion-mnist", new Entry("fashion-mnist", "Fashion-MNIST (Zalando Research, MIT licence)",
                    "https://github.com/zalandoresearch/fashion-mnist",
                    "the four *-ubyte.gz IDX files, kept gzipped", FASHION_BASE, null, List.of(
                            idx("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                            idx("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                            idx("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                            idx("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"))),
            "mnist", new Entry("mnist", "MNIST (LeCun, Cortes and Burges)", "https://yann.lecun.com/exdb/mnist/",
                    "the four *-ubyte.gz IDX files, kept gzipped; PyTorch's mirror " + MNIST_BASE, MNIST_BASE, null,
                    List.of(
                            idx("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                            idx("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                            idx("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                            idx("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"))),
            "nmnist", new Entry("nmnist", "N-MNIST (Orchard et al. 2015)", "https://www.garrickorchard.com/datasets/n-mnist",
                    "Train.zip and Test.zip unzipped into Train/ and Test/, or the papers' HDF5 conversion"
                            + " train.h5 and test.h5", MENDELEY_NMNIST, null, List.of(
                            new RemoteFile("Train.zip",
                                    MENDELEY_NMNIST.resolve("39c25547-014b-4137-a934-9d29fa53c7a0/file_downloaded"),
                                    "20959b8e626244a1b502305a9e6e2031", Unpack.UNZIP, "Train"),
                            new RemoteFile("Test.zip",
                                    MENDELEY_NMNIST.resolve("05a4d654-7e03-4c15-bdfa-9bb2bcbea494/file_downloaded"),
                                    "69ca8762b2fe404d9b9bad1103e97832", Unpack.UNZIP, "Test"))),
            "shd", new Entry("shd", "Spiking Heidelberg Digits (Cramer et al. 2020)", ZENKELAB.toString(),
                    "shd_train.h5.gz and shd_test.h5.gz, gunzipped", ZENKELAB, "md5sums.txt", List.of(
                            h5gz("shd_train.h5.gz"), h5gz("shd_test.h5.gz"))),
            "ssc", new Entry("ssc", "Spiking Speech Commands (Cramer et al. 2020)", ZENKELAB.toString(),
                    "ssc_train.h5.gz, ssc_valid.h5.gz and ssc_test.h5.gz, gunzipped", ZENKELAB, "md5sums.txt",
                    List.of(h5gz("ssc_train.h5.gz"), h5gz("ssc_valid.h5.gz"), h5gz("ssc_test.h5.gz"))));

    private static RemoteFile idx(String name, String md5) {
        return new RemoteFile(name, null, md5, Unpack.NONE, name);
    }

    private static RemoteFile h5gz(String name) {
        return new RemoteFile(name, null, null, Unpack.GUNZIP, name.substring(0, name.length() - ".gz".length()));
    }

    /**
     * The publication of a downloadable dataset.
     *
     * @param dataset a dataset name, e.g. {@code shd}
     * @return its entry, or empty when the dataset is not downloadable (e.g. {@code synthetic}) or unknown
     */
    public static Optional<Entry> find(String dataset) {
        return Optional.ofNullable(ENTRIES.get(dataset));
    }

    /** {@return the names of the downloadable datasets, sorted} */
    public static List<String> names() {
        return ENTRIES.keySet().stream().sorted().toList();
    }
}
