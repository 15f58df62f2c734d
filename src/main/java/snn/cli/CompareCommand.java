package snn.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import snn.core.TrainingException;
import snn.training.RunComparison;
import snn.training.RunFolder;

/** {@code snn compare RUN...}: accuracy, time per batch, speed-up and spike reduction against a baseline run. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compares finished runs against a baseline run, as the papers report them.")
final class CompareCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "2..*", paramLabel = "RUN_DIR", description = "Run folders to compare.")
    List<Path> runs;

    @Option(names = "--baseline", paramLabel = "RUN_DIR",
            description = "The run the others are measured against (default: the first).")
    Path baseline;

    @Override
    public Integer call() {
        int base = baseline == null ? 0 : runs.indexOf(baseline);
        if (base < 0) {
            throw new TrainingException("--baseline " + baseline + " is not one of the compared runs " + runs);
        }
        runs.forEach(RunFolder::open);
        spec.commandLine().getOut().print(RunComparison.table(RunComparison.compare(runs, base), base));
        return 0;
    }
}
