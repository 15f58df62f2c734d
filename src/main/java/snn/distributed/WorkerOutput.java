package snn.distributed;

import java.util.regex.Pattern;

/**
 * Decides which lines of a worker's output reach the launcher's output, for one stream of one worker. c10d and Gloo
 * write their own logging straight to the process's streams, where Java cannot intercept it: Gloo's
 * {@code [Gloo] Rank 0 is connected to 1 peer ranks ...} on standard output, c10d's glog-style lines
 * ({@code [W1130 17:07:23.300102034 socket.cpp:469] [c10d] ...}, also {@code [I...]}, {@code [E...]}) on standard
 * error, some followed by {@code Exception raised from ...} and a native stack trace. These are dropped: what they
 * report reaches the user through snn's own error message, which names the rank and says what to do.
 */
final class WorkerOutput {

    private static final Pattern GLOO = Pattern.compile("^\\[Gloo\\] ");
    private static final Pattern GLOG = Pattern.compile(
            "^\\[[IWEF]\\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d+ (?:\\d+ )?[^\\]]*\\] ");
    private static final Pattern TRACE = Pattern.compile("^(Exception raised from |frame #\\d+: )");

    /** Whether the previous line was dropped, so that a native trace or blank line after it is dropped too. */
    private boolean inNoise;

    /**
     * Whether a line is c10d's or Gloo's own logging.
     *
     * @param line a line of the worker's output, without its line terminator
     * @return true when it should not be forwarded
     */
    boolean isNoise(String line) {
        if (GLOO.matcher(line).find() || GLOG.matcher(line).find()) {
            inNoise = true;
            return true;
        }
        if (inNoise && (line.isBlank() || TRACE.matcher(line).find())) {
            return true;
        }
        inNoise = false;
        return false;
    }
}
