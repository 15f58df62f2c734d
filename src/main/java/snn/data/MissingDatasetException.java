package snn.data;

import java.nio.file.Path;

import snn.config.KnownDataset;
import snn.config.Publication;

/**
 * A dataset file or folder that does not exist. The message names the missing path, where the data set is
 * published and the {@code snn data download} command that fetches it.
 */
public final class MissingDatasetException extends DatasetException {
    private static final long serialVersionUID = 1L;

    /**
     * Composes the message: the missing path and, for a downloadable dataset, where to get it.
     *
     * @param missing the path that was looked for
     * @param dataset the dataset name ({@code shd}, ...), for the download hint
     * @param root    the dataset folder, for the download hint
     */
    public MissingDatasetException(Path missing, String dataset, Path root) {
        super(message(missing, dataset, root), missing);
    }

    private static String message(Path missing, String dataset, Path root) {
        Publication entry = KnownDataset.find(dataset).flatMap(KnownDataset::publication).orElse(null);
        StringBuilder sb = new StringBuilder("missing ").append(missing);
        if (entry == null) {
            return sb.toString();
        }
        sb.append(" (").append(entry.title()).append(").\n  Get it from ").append(entry.homepage())
                .append(" (").append(entry.manualSteps()).append("),\n  or run: snn data download ")
                .append(dataset).append(" --root ").append(root);
        return sb.toString();
    }
}
