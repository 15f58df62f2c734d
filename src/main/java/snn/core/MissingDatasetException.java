package snn.core;

import java.nio.file.Path;

/**
 * A dataset file or folder that does not exist. The message names the missing path and, for a published dataset,
 * where it is published and the {@code snn data download} command that fetches it.
 */
public final class MissingDatasetException extends DatasetException {
    private static final long serialVersionUID = 1L;

    /**
     * The exception for a missing path.
     *
     * @param missing the path that was looked for
     * @param howToGet what to do about it (where the data is published, the download command), or empty; appended to
     *                 {@code "missing " + missing}
     */
    public MissingDatasetException(Path missing, String howToGet) {
        super("missing " + missing + howToGet, missing);
    }
}
