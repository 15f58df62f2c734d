package snn.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import snn.core.BenchException;
import snn.core.ConfigException;
import snn.core.DatasetException;
import snn.core.DeviceUnavailableException;
import snn.core.DistributedException;
import snn.core.DownloadException;
import snn.core.InteropException;
import snn.core.SnnException;
import snn.core.TrainingException;
import snn.core.TrainingStoppedException;
import snn.runtime.BuildInfo;
import snn.runtime.MachineInfo;

/**
 * The {@code snn} command line. {@code snn --config FILE} is short for {@code snn train --config FILE}.
 */
@Command(name = "snn", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Trains and benchmarks spiking neural networks (block, d-block and standard LIF) on LibTorch.",
        subcommands = {TrainCommand.class, EvalCommand.class, CompareCommand.class, ExportCommand.class,
                ImportCommand.class, NirCommand.class, BenchCommand.class, DataCommand.class, PlotCommand.class})
public final class Main implements Callable<Integer> {

    @Option(names = "--config", description = "Shorthand for 'snn train --config FILE'.")
    String config;

    /** The root command; picocli fills in its options. */
    public Main() {
    }

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /**
     * Runs the CLI on the process's standard streams and exits with its status: 0 on success, 1 for an internal
     * error, 2 for a user error (bad config, missing data) or bad usage, 3 for a failed distributed run.
     *
     * @param args the command line, e.g. {@code train --config configs/quickstart.json}
     */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int status = run(args, out, err);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /**
     * Runs the CLI without exiting (used by tests).
     *
     * @param args the command line
     * @param out  where output and help go
     * @param err  where error messages go
     * @return the exit status, as for {@link #main(String[])}
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out).setErr(err);
        cli.setExecutionExceptionHandler(new Errors());
        if (args.length > 0 && args[0].startsWith("--config")) {
            List<String> rewritten = new ArrayList<>(List.of(args));
            rewritten.add(0, "train");
            args = rewritten.toArray(String[]::new);
        }
        return cli.execute(args);
    }

    /** Exit status of a failure the user can act on: a bad config, missing data, an unusable file. */
    static final int USER_ERROR = 2;

    /**
     * Exit status of a distributed run that could not start or go on (a rank died or hung, the store's port is in
     * use, ranks started differently): distinct from a bad config, so that scripts can tell a run worth resuming.
     */
    static final int DISTRIBUTED_FAILURE = 3;

    /**
     * The exit status of each kind of library failure. All are the user's to act on: status 2, like bad usage, or
     * {@value #DISTRIBUTED_FAILURE} for a distributed run that failed; the exhaustive switch makes a new kind of
     * failure decide its status here.
     */
    static int exitStatus(SnnException e) {
        return switch (e) {
            case ConfigException c -> USER_ERROR;
            case DatasetException d -> USER_ERROR;
            case DownloadException d -> USER_ERROR;
            case InteropException i -> USER_ERROR;
            case TrainingException t -> USER_ERROR;
            case BenchException b -> USER_ERROR;
            case DeviceUnavailableException d -> USER_ERROR;
            case DistributedException d -> DISTRIBUTED_FAILURE;
            case TrainingStoppedException s -> s.exitStatus();
        };
    }

    /** Expected failures (bad config, missing data) print one clear message, not a stack trace. */
    static final class Errors implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
            if (e instanceof SnnException s) {
                cmd.getErr().println("snn: " + s.getMessage());
                cmd.getErr().flush();
                return exitStatus(s);
            }
            cmd.getErr().println("snn: internal error: " + e);
            e.printStackTrace(cmd.getErr());
            cmd.getErr().flush();
            return 1;
        }
    }

    /**
     * {@code snn -V}: this build's version and commit ({@link BuildInfo}), the JVM, and the LibTorch version of the
     * PyTorch presets on the class path (read from the jar's manifest, so LibTorch itself is not loaded).
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String presets = MachineInfo.mavenVersion("org.bytedeco", "pytorch"); // e.g. 2.10.0-1.5.13
            int dash = presets.indexOf('-');
            String libtorch = dash > 0 ? presets.substring(0, dash) : presets;
            return new String[] {
                BuildInfo.current().describe(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ", "
                        + System.getProperty("java.home") + ")",
                "LibTorch " + libtorch + " (org.bytedeco:pytorch " + presets + ")"};
        }
    }
}
