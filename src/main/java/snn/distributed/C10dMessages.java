package snn.distributed;

import java.util.regex.Pattern;

/**
 * c10d's exceptions carry the message, then the C++ source location and a native stack trace on further lines, and
 * Gloo prefixes its messages with the path of the file that threw. These keep the sentence a user can read.
 */
final class C10dMessages {

    /** Gloo's {@code [/path/to/gloo/transport/tcp/pair.cc:547] } prefix. */
    private static final Pattern SOURCE_PREFIX = Pattern.compile("^\\[[^\\]]*\\.(?:cc|cpp|h|hpp):\\d+\\]\\s*");

    private C10dMessages() {
    }

    /**
     * The first line of a c10d exception's message, without Gloo's source-file prefix.
     *
     * @param e an exception thrown through the presets by c10d or Gloo
     * @return e.g. {@code Connection closed by peer [127.0.0.1]:16103}; the exception's class when it has no message
     */
    static String of(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        int newline = m.indexOf('\n');
        String first = (newline < 0 ? m : m.substring(0, newline)).trim();
        return SOURCE_PREFIX.matcher(first).replaceFirst("");
    }

    /** {@return whether c10d's message says the port to listen on is taken} @param message a first line */
    static boolean addressInUse(String message) {
        return message.contains("EADDRINUSE") || message.contains("address already in use");
    }

    /** {@return whether c10d's message says a client gave up connecting} @param message a first line */
    static boolean connectTimedOut(String message) {
        return message.contains("client socket has timed out") || message.contains("Connection refused")
                || message.contains("failed to connect");
    }
}
