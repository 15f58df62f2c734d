package snn.distributed;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.bytedeco.pytorch.TCPStore;

import snn.core.DistributedException;
import snn.runtime.TorchRuntime;

/**
 * Starts N worker processes on this machine and supervises them, as {@code torchrun --nproc-per-node N} does: it
 * hosts the rendezvous store (on {@code MASTER_PORT} when that is set, else on a free port), gives each worker the
 * launch contract in its environment ({@link DistributedEnv#variables()}, with the launcher's store), forwards each
 * worker's output and error line by line behind {@code [rank r] } (without c10d's and Gloo's own logging:
 * {@link WorkerOutput}), and waits for them.
 *
 * <p>When a worker fails, the others stop by themselves with an error naming it (at once when its connections
 * closed, else within the group's timeout); the launcher waits that long for them and then kills any worker still
 * running, which is hung. SIGINT or SIGTERM to the launcher ends all workers (SIGTERM, then SIGKILL after
 * {@link #STOP_GRACE}). A worker whose launcher died outright notices and stops by itself (the command the caller
 * gives is expected to start a JVM that watches its parent, as {@code snn.launcher.Launcher}'s re-launched JVMs do).
 *
 * <p><b>Native memory.</b> The launcher owns the store from {@link #host} to {@link #close()}.
 */
public final class LocalWorkers implements AutoCloseable {

    /** How long a worker that was asked to stop may take before it is killed. */
    static final Duration STOP_GRACE = Duration.ofSeconds(5);

    /** The address the workers reach the launcher's store at. */
    static final String LOOPBACK = "127.0.0.1";

    private final int count;
    private final Duration timeout;
    private final PrintStream out;
    private final PrintStream err;
    private final TCPStore store;
    private boolean closed;

    private LocalWorkers(int count, Duration timeout, PrintStream out, PrintStream err, TCPStore store) {
        this.count = count;
        this.timeout = timeout;
        this.out = out;
        this.err = err;
        this.store = store;
    }

    /**
     * Hosts the rendezvous store of {@code count} workers, ready to {@link #run} them.
     *
     * @param count      the workers, at least 2
     * @param timeout    the workers' group timeout: how long the others may take to stop after one failed
     * @param masterPort the port to host the store on, or 0 for a free one
     * @param out        where the launcher's lines and the workers' output go
     * @param err        where the workers' error output goes
     * @return the launcher, holding the store until {@link #close()}
     * @throws DistributedException when the store cannot be hosted (the port is in use)
     */
    public static LocalWorkers host(int count, Duration timeout, int masterPort, PrintStream out, PrintStream err) {
        if (count < 2) {
            throw new IllegalArgumentException("at least 2 workers, got " + count);
        }
        TorchRuntime.ensureInitialised();
        return new LocalWorkers(count, timeout, out, err, store(masterPort, timeout));
    }

    /**
     * The result of a run of the workers.
     *
     * @param status the launcher's exit status: 0 when every worker succeeded, else the exit status of the first
     *               worker that failed (128 + the signal's number when a signal ended it)
     * @param failed a sentence about the worker at fault: one that hung and had to be killed, else the first that
     *               failed, e.g. {@code worker rank 1 (pid 4242) was killed by signal 9 (SIGKILL)}; empty when none
     *               did
     */
    public record Outcome(int status, String failed) {
    }

    /**
     * Runs the workers to their end.
     *
     * @param command the command that starts one worker (every worker runs the same; its rank is in its environment)
     * @return how the workers ended
     * @throws DistributedException when a worker cannot start
     */
    public Outcome run(List<String> command) {
        int port = Short.toUnsignedInt(store.getPort());
        List<Process> workers = new ArrayList<>();
        List<Thread> forwarders = new ArrayList<>();
        Thread stopper = new Thread(() -> stop(workers), "snn-stop-workers");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            StringBuilder pids = new StringBuilder();
            for (int r = 0; r < count; r++) {
                DistributedEnv env = new DistributedEnv(r, count, r, count, LOOPBACK, port, true, 0);
                ProcessBuilder pb = new ProcessBuilder(command);
                Map<String, String> variables = pb.environment();
                variables.putAll(env.variables());
                Process p;
                try {
                    p = pb.start();
                } catch (IOException e) {
                    throw new DistributedException("cannot start worker rank " + r + " (" + command.get(0) + "): "
                            + e.getMessage(), e);
                }
                workers.add(p);
                forwarders.add(forward(p.getInputStream(), out, r));
                forwarders.add(forward(p.getErrorStream(), err, r));
                pids.append(r == 0 ? "" : ", ").append("rank ").append(r).append(": pid ").append(p.pid());
            }
            line(out, "snn: " + count + " worker processes, store at " + LOOPBACK + ":" + port + " (" + pids + ")");
            Outcome outcome = supervise(workers);
            for (Thread f : forwarders) {
                f.join(TimeUnit.SECONDS.toMillis(10));
            }
            return outcome;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop(workers);
            return new Outcome(130, "the launcher was interrupted");
        } finally {
            stop(workers);
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run
            }
        }
    }

    /** Stops hosting the store; calling it again does nothing. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            store.releaseReference();
        }
    }

    /**
     * Waits for every worker. After the first failure the others get the group's timeout (and the time to name the
     * rank at fault) to stop by themselves; a worker still running then is hung, and is killed.
     */
    private Outcome supervise(List<Process> workers) throws InterruptedException {
        Duration grace = timeout.plus(HealthMonitor.DIAGNOSIS_LIMIT);
        Outcome first = null;
        String hung = null;
        int firstRank = -1;
        long deadline = Long.MAX_VALUE;
        while (true) {
            boolean running = false;
            for (int r = 0; r < workers.size(); r++) {
                Process p = workers.get(r);
                if (p.isAlive()) {
                    running = true;
                } else if (first == null && p.exitValue() != 0) {
                    first = new Outcome(p.exitValue(), worker(r, p) + " " + describe(p.exitValue()));
                    firstRank = r;
                    deadline = System.nanoTime() + grace.toNanos();
                    line(err, "snn: " + first.failed() + "; the other workers stop within "
                            + ProcessGroup.seconds(grace));
                }
            }
            if (!running) {
                // A worker that had to be killed is the one at fault, not the first that reported it.
                return first == null ? new Outcome(0, "") : hung == null ? first : new Outcome(first.status(), hung);
            }
            if (System.nanoTime() > deadline && hung == null) {
                List<String> still = new ArrayList<>();
                for (int r = 0; r < workers.size(); r++) {
                    if (workers.get(r).isAlive()) {
                        still.add(worker(r, workers.get(r)));
                        workers.get(r).destroyForcibly();
                    }
                }
                hung = String.join(", ", still) + " hung: " + (still.size() == 1 ? "it" : "they")
                        + " did not stop within " + ProcessGroup.seconds(grace) + " after worker rank " + firstRank
                        + " failed, and " + (still.size() == 1 ? "was" : "were") + " killed";
                line(err, "snn: " + hung);
            }
            Thread.sleep(100);
        }
    }

    private static String worker(int rank, Process p) {
        return "worker rank " + rank + " (pid " + p.pid() + ")";
    }

    /** Hosts the launcher's store on {@code port} (0: a free one). */
    private static TCPStore store(int port, Duration timeout) {
        try {
            TCPStore store = new TCPStore(LOOPBACK, RendezvousStore.options(port, true, timeout));
            store.retainReference();
            return store;
        } catch (RuntimeException e) {
            String c10d = C10dMessages.of(e);
            if (C10dMessages.addressInUse(c10d)) {
                throw new DistributedException("the launcher cannot host the rendezvous store on port " + port
                        + " (" + DistributedEnv.MASTER_PORT + "): the port is in use by another program or run. Choose"
                        + " a free port with " + DistributedEnv.MASTER_PORT + "=..., or leave it unset to have one"
                        + " picked", e);
            }
            throw new DistributedException("the launcher cannot host the rendezvous store on " + LOOPBACK + ":"
                    + port + ": " + c10d, e);
        }
    }

    /** SIGTERM to every worker still running, then SIGKILL to those still running {@link #STOP_GRACE} later. */
    private static void stop(List<Process> workers) {
        List<Process> alive = workers.stream().filter(Process::isAlive).toList();
        alive.forEach(Process::destroy);
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        for (Process p : alive) {
            try {
                if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Copies a worker's stream to {@code to}, line by line, behind {@code [rank r] }, without c10d's logging. */
    private static Thread forward(InputStream from, PrintStream to, int rank) {
        Thread t = new Thread(() -> {
            WorkerOutput filter = new WorkerOutput();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8))) {
                for (String l = in.readLine(); l != null; l = in.readLine()) {
                    if (!filter.isNoise(l)) {
                        line(to, "[rank " + rank + "] " + l);
                    }
                }
            } catch (IOException e) {
                // the worker's pipe broke as it was killed: nothing more to forward
            }
        }, "snn-worker-" + rank + "-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void line(PrintStream to, String text) {
        synchronized (LocalWorkers.class) {
            to.println(text);
            to.flush();
        }
    }

    /** {@return e.g. {@code ended with status 3} or {@code was killed by signal 9 (SIGKILL)}} */
    static String describe(int status) {
        if (status > 128 && status < 160) {
            int signal = status - 128;
            String name = switch (signal) {
                case 1 -> " (SIGHUP)";
                case 2 -> " (SIGINT)";
                case 6 -> " (SIGABRT)";
                case 9 -> " (SIGKILL)";
                case 11 -> " (SIGSEGV)";
                case 15 -> " (SIGTERM)";
                default -> "";
            };
            return "was killed by signal " + signal + name;
        }
        return "ended with status " + status;
    }
}
