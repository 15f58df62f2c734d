package snn.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * The outcome of one in-process CLI invocation, for tests.
 *
 * @param code the exit status
 * @param out  what the command printed on its output stream
 * @param err  what it printed on its error stream
 */
public record CliRun(int code, String out, String err) {

    /** Runs {@code snn args...} through {@link Main#run} and captures both streams. */
    public static CliRun run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }
}
