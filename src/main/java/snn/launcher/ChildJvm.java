package snn.launcher;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the child JVM of a re-launch with this process's standard input, output and error, and stops it when this
 * process is stopped by SIGINT or SIGTERM (the JVM runs its shutdown hooks then).
 */
final class ChildJvm {

    /** How long a stopped child may take to run its own shutdown before it is killed. */
    static final long STOP_GRACE_SECONDS = 10;

    private ChildJvm() {
    }

    /**
     * Starts {@code command}, waits for it and returns its exit status (128 + the signal number when a signal
     * ended it).
     */
    static int run(List<String> command) throws IOException, InterruptedException {
        Process child = new ProcessBuilder(command).inheritIO().start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(child), "snn-launcher-stop-child"));
        return child.waitFor();
    }

    /** SIGTERM to the child, then SIGKILL if it is still running after the grace period. */
    private static void stop(Process child) {
        if (!child.isAlive()) {
            return;
        }
        child.destroy();
        try {
            if (!child.waitFor(STOP_GRACE_SECONDS, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
