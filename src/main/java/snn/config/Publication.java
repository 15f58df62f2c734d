package snn.config;

import java.net.URI;
import java.util.List;

/**
 * Where a dataset is published: the official download URLs, their published MD5 checksums, how each archive is
 * unpacked and what it installs in the dataset folder. {@code snn data download} fetches these files; a missing
 * file's message says how to get them.
 *
 * <p>The checksums of Fashion-MNIST and MNIST are the ones their publishers list (and torchvision checks); those of
 * N-MNIST are the ones of the Mendeley Data archives (the same as the author's Dropbox copies). The Zenke lab
 * publishes the SHD/SSC checksums next to the files, in {@code md5sums.txt}, which the downloader fetches first.
 *
 * @param name             the dataset's name, as configs and the CLI spell it
 * @param title            human-readable title with its source
 * @param homepage         the page that documents the data set and links the files
 * @param manualSteps      what to fetch by hand, in a few words
 * @param base             the base URL of the files (and of the checksum manifest)
 * @param checksumManifest name of a published {@code md5sum}-format list next to the files, or {@code null} when
 *                         every file carries its own checksum
 * @param files            the files to fetch
 */
public record Publication(String name, String title, String homepage, String manualSteps, URI base,
        String checksumManifest, List<RemoteFile> files) {

    /** Copies {@code files}. */
    public Publication {
        files = List.copyOf(files);
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
     * @param officialUrl where it is published; {@code null} means the publication's base URL plus {@code name}
     * @param md5         its published MD5 (lower-case hex), or {@code null} to take it from the publication's
     *                    checksum manifest
     * @param unpack      how it is unpacked
     * @param installs    the file or folder it puts in the dataset folder (for {@link Unpack#UNZIP} and
     *                    {@link Unpack#UNTAR_GZ}: the archive's top-level entry that is kept)
     */
    public record RemoteFile(String name, URI officialUrl, String md5, Unpack unpack, String installs) {

        /**
         * An IDX file kept gzipped, with its published checksum.
         *
         * @param name the file name, e.g. {@code train-images-idx3-ubyte.gz}
         * @param md5  its published MD5
         * @return the file
         */
        static RemoteFile idx(String name, String md5) {
            return new RemoteFile(name, null, md5, Unpack.NONE, name);
        }

        /**
         * An HDF5 file published gzipped, its checksum in the publication's manifest.
         *
         * @param name the file name, ending in {@code .h5.gz}
         * @return the file, installed gunzipped
         */
        static RemoteFile h5gz(String name) {
            return new RemoteFile(name, null, null, Unpack.GUNZIP, name.substring(0, name.length() - ".gz".length()));
        }
    }
}
