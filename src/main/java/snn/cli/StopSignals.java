package snn.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import snn.training.StopSignal;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (SIGINT) and SIGTERM during {@code snn train}: the first one asks the training to stop cleanly at the end of
 * the batch under way ({@link StopSignal}), which then says where it stopped and how to resume; a second one stops
 * the process at once, as the JVM's own handler does.
 */
final class StopSignals {

    private static final Map<String, SignalHandler> PREVIOUS = new LinkedHashMap<>();

    private StopSignals() {
    }

    /**
     * Installs the handlers for this process's training.
     *
     * @return the signal they set
     */
    static synchronized StopSignal onInterrupt() {
        StopSignal stop = new StopSignal();
        install("INT", "SIGINT (Ctrl-C)", 130, stop);
        install("TERM", "SIGTERM", 143, stop);
        return stop;
    }

    private static void install(String name, String description, int status, StopSignal stop) {
        try {
            Signal signal = new Signal(name);
            SignalHandler previous = Signal.handle(signal, s -> {
                if (stop.requested()) {
                    restore();
                    Runtime.getRuntime().halt(status);
                }
                stop.request(description, status);
                System.err.println("snn: " + description + ": stopping at the end of this batch (again to stop at"
                        + " once, without saving)");
            });
            PREVIOUS.putIfAbsent(name, previous);
        } catch (IllegalArgumentException e) {
            // the JVM does not let us handle it (e.g. run with -Xrs): the default handling stays
        }
    }

    /** Puts back the handlers there were before {@link #onInterrupt()}. */
    static synchronized void restore() {
        PREVIOUS.forEach((name, handler) -> Signal.handle(new Signal(name), handler));
        PREVIOUS.clear();
    }
}
