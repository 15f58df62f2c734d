package snn.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import snn.config.DataConfig;
import snn.config.KnownDataset;
import snn.config.Publication;
import snn.core.MissingDatasetException;
import snn.data.Datasets;
import snn.data.Downloader;
import snn.data.InspectableDataset;
import snn.data.SplitStatistics;

/** {@code snn data inspect ...} and {@code snn data download ...}. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Inspects and downloads datasets.",
        subcommands = {DataCommand.Inspect.class, DataCommand.Download.class})
final class DataCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** Reads every split file of a dataset and reports what it holds. */
    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = "Shows samples per split, classes and their counts, events per sample, the time span and"
                    + " the events that binning drops.")
    static final class Inspect implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--dataset", required = true, paramLabel = "NAME",
                description = "fashion-mnist, mnist, nmnist, shd or ssc.")
        String dataset;

        @Option(names = "--root", required = true, paramLabel = "DIR", description = "Folder holding the dataset's files.")
        Path root;

        @Option(names = "--t-len", paramLabel = "STEPS",
                description = "Time steps per sample (default per dataset: 100 images, 300 N-MNIST, 500 SHD/SSC).")
        Integer tLen;

        @Option(names = "--dt-ms", paramLabel = "MS", description = "Bin width in ms (default 1 N-MNIST, 2 SHD/SSC).")
        Double dtMs;

        @Option(names = "--encoding", paramLabel = "latency|ttfs",
                description = "Image encoding whose spikes are counted (default latency).")
        String encoding;

        @Override
        public Integer call() {
            KnownDataset known = KnownDataset.find(dataset).filter(k -> k.kind() != KnownDataset.Kind.SYNTHETIC)
                    .orElseThrow(() -> new CommandLine.ParameterException(spec.commandLine(), "unknown dataset '"
                            + dataset + "'; inspect reads " + String.join(", ", KnownDataset.fileDatasetIds())));
            DataConfig.Encoding enc = DataConfig.Encoding.LATENCY;
            if (encoding != null) {
                enc = switch (encoding) {
                    case "latency" -> DataConfig.Encoding.LATENCY;
                    case "ttfs" -> DataConfig.Encoding.TTFS;
                    default -> throw new CommandLine.ParameterException(spec.commandLine(),
                            "--encoding must be latency or ttfs, got '" + encoding + "'");
                };
            }
            DataConfig.Builder builder = DataConfig.builder(dataset).root(root).encoding(enc);
            if (tLen != null) {
                builder.tLen(tLen);
            }
            if (dtMs != null) {
                builder.dtMs(dtMs);
            }
            DataConfig cfg = builder.build();
            if (cfg.tLen() < 1 || !(cfg.dtMs() > 0)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--t-len must be >= 1 and --dt-ms > 0");
            }
            PrintWriter out = spec.commandLine().getOut();
            boolean images = known.kind() == KnownDataset.Kind.IMAGES;
            Map<String, InspectableDataset> splits = new LinkedHashMap<>();
            List<String> notes = new ArrayList<>();
            for (String split : known.splits()) {
                try {
                    splits.put(split, Datasets.openSplit(cfg, split));
                } catch (MissingDatasetException e) {
                    if (!split.equals("valid")) {
                        throw e;
                    }
                    notes.add("valid: " + e.file() + " is missing (it is not used for training)");
                }
            }
            out.printf(Locale.ROOT, "%-6s %9s  %-28s %-22s %s%n", "split", "samples",
                    images ? "spikes/sample min/median/max" : "events/sample min/median/max",
                    images ? "spike times (ms)" : "time span (ms)", "dropped by binning");
            StringBuilder classLines = new StringBuilder();
            for (Map.Entry<String, InspectableDataset> e : splits.entrySet()) {
                SplitStatistics s = e.getValue().statistics();
                out.printf(Locale.ROOT, "%-6s %9d  %-28s %-22s %s%n", e.getKey(), s.samples(),
                        s.minEvents() + " / " + trim(s.medianEvents()) + " / " + s.maxEvents(),
                        String.format(Locale.ROOT, "%.1f .. %.1f", s.firstEventMs(), s.lastEventMs()),
                        String.format(Locale.ROOT, "%d of %d (%.2f%%)", s.droppedEvents(), s.events(),
                                s.events() == 0 ? 0.0 : 100.0 * s.droppedEvents() / s.events()));
                out.printf("       from %s%n", s.source());
                classLines.append(String.format(Locale.ROOT, "%-6s %s%n", e.getKey(), classCounts(s.classCounts())));
            }
            notes.forEach(out::println);
            InspectableDataset first = splits.values().iterator().next();
            out.printf(Locale.ROOT, "%s: %d channels, %d steps of %s ms, %d classes%n", dataset, first.channels(),
                    first.timeSteps(), trim(cfg.dtMs()), first.classes());
            out.println("samples per class (class:count):");
            out.print(classLines);
            out.flush();
            return 0;
        }

        private static String classCounts(int[] counts) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < counts.length; c++) {
                sb.append(c == 0 ? "" : " ").append(c).append(':').append(counts[c]);
            }
            return sb.toString();
        }

        private static String trim(double v) {
            return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
        }
    }

    /** Fetches, verifies and unpacks a dataset's published files. */
    @Command(name = "download", mixinStandardHelpOptions = true,
            description = "Downloads a dataset's official files over HTTPS, verifies their published checksums and"
                    + " unpacks them into --root. Nothing is put in place before it is verified.")
    static final class Download implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "fashion-mnist, mnist, nmnist, shd or ssc.")
        String dataset;

        @Option(names = "--root", required = true, paramLabel = "DIR", description = "Folder to put the files in.")
        Path root;

        @Option(names = "--base-url", paramLabel = "URL",
                description = "Fetch every file by name from this mirror instead of the official URLs.")
        URI baseUrl;

        @Override
        public Integer call() {
            Publication entry = KnownDataset.find(dataset).flatMap(KnownDataset::publication).orElseThrow(() ->
                    new CommandLine.ParameterException(spec.commandLine(), "unknown dataset '" + dataset
                            + "'; downloadable: " + String.join(", ", KnownDataset.fileDatasetIds())));
            PrintWriter out = spec.commandLine().getOut();
            out.println(entry.title() + " (" + entry.homepage() + ") into " + root);
            out.flush();
            new Downloader(out).download(entry, root, baseUrl);
            out.println("done. Use it with data.dataset = \"" + dataset + "\", data.root = \"" + root + "\"");
            out.flush();
            return 0;
        }
    }
}
