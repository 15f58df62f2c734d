package snn.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code snn} command line. {@code snn --config FILE} is short for {@code snn train --config FILE}.
 */
@Command(name = "snn", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Trains and benchmarks spiking neural networks (block, d-block and standard LIF) on LibTorch.",
        subcommands = {TrainCommand.class, EvalCommand.class, CompareCommand.class, ExportCommand.class,
                ImportCommand.class, BenchCommand.class, DataCommand.class, PlotCommand.class})
public final class Main implements Callable<Integer> {

    @Option(names = "--config", description = "Shorthand for 'snn train --config FILE'.")
    String config;

    /** The root command; picocli fills in its options. */
    public Main() {
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    /**
     * Runs the CLI on the process's standard streams and exits with its status: 0 on success, 1 for an internal
     * error, 2 for a user error (bad config, missing data) or bad usage.
     *
     * @param args the command line, e.g. {@code train --config configs/quickstart.json}
     */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
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

    /** Expected failures (bad config, missing data) print one clear message, not a stack trace. */
    static final class Errors implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
            if (e instanceof UserError) {
                cmd.getErr().println("snn: " + e.getMessage());
                cmd.getErr().flush();
                return 2;
            }
            cmd.getErr().println("snn: internal error: " + e);
            e.printStackTrace(cmd.getErr());
            cmd.getErr().flush();
            return 1;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"snn " + (v != null ? v : "(development build)")};
        }
    }
}
