package snn.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * In a re-launched JVM: ends this JVM when the launcher that started it is gone without having stopped it (killed
 * with SIGKILL, which runs no shutdown hook), so that no training keeps running without its parent. Linux only: it
 * polls this process's parent id in {@code /proc/self/stat}, which changes when the parent dies; elsewhere it does
 * nothing.
 */
final class ParentWatch {

    /** The exit status of a JVM whose launcher died: that of a process ended by SIGHUP. */
    static final int ORPHANED_STATUS = 129;

    private static final long POLL_MILLIS = 500;

    private ParentWatch() {
    }

    /** Starts the watch on a daemon thread. */
    static void start() {
        long parent = parentPid();
        if (parent <= 1) {
            return;
        }
        Thread watch = new Thread(() -> {
            try {
                long now = parent;
                while (now == parent || now == -1) {
                    Thread.sleep(POLL_MILLIS);
                    now = parentPid();
                }
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("snn: stopping: the launcher that started this JVM (pid " + parent + ") has ended");
            System.exit(ORPHANED_STATUS);
        }, "snn-launcher-parent-watch");
        watch.setDaemon(true);
        watch.start();
    }

    /** This process's parent id from {@code /proc/self/stat}, or -1 where that file cannot be read. */
    static long parentPid() {
        try {
            String stat = new String(Files.readAllBytes(Paths.get("/proc/self/stat")), StandardCharsets.ISO_8859_1);
            // "pid (command) state ppid ...": the command may hold spaces and parentheses, so parse after the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
